# smtp-probe/launcher v3
# What: the one command line smtp-probe runs on Windows, over WinRM and over OpenSSH alike.
#   It stays far below cmd.exe's 8,191-character limit whatever the job, because the real
#   script and its parameters arrive on stdin instead of the command line.
# Input: stdin's first line is base64 of UTF-8 JSON {"script": "...", "params": {...}};
#   the line is read byte by byte from the raw stream so nothing after it is buffered away:
#   the rest of stdin (a password line, an upload) is left for the script.
# Parameters reach the script by splatting, as typed values: no quoting rules apply.
# Exit codes: the script's own (its `exit N`); 1 when the first line is missing or not that
#   JSON, or when the script stops on an error (its message goes to stderr as one line).
$ProgressPreference = 'SilentlyContinue'
Set-PSDebug -Off
# PowerShell 7 colours error text even when redirected; 5.1 has no $PSStyle and never does.
if ($PSVersionTable.PSVersion.Major -ge 7) { $PSStyle.OutputRendering = 'PlainText' }
# One stdin line as the bytes it was sent in ([Console]::In would decode with the OEM code
# page), or $null at the end of input. Scripts the launcher runs call it too (deploy.ps1's
# password line): one reader, so the launcher's line and theirs are cut alike.
function Read-StdinLine {
  $in = [Console]::OpenStandardInput()
  $line = New-Object IO.MemoryStream
  while (($b = $in.ReadByte()) -ge 0 -and $b -ne 10) { $line.WriteByte($b) }
  if ($b -ne 10) { return $null }
  return ,$line.ToArray()
}
$bytes = Read-StdinLine
try {
  if ($null -eq $bytes) { throw 'no line' }
  $text = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String([Text.Encoding]::ASCII.GetString($bytes).Trim()))
  $call = $text | ConvertFrom-Json
  if ($null -eq $call -or -not ($call.script -is [string])) { throw 'no script' }
} catch {
  [Console]::Error.WriteLine('launcher: the first stdin line is not a script call')
  exit 1
}
$params = @{}
foreach ($p in $call.params.PSObject.Properties) { $params[$p.Name] = $p.Value }
try {
  & ([ScriptBlock]::Create($call.script)) @params
} catch {
  [Console]::Error.WriteLine($_.Exception.Message)
  exit 1
}
exit 0

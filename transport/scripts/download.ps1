# smtp-probe/download v2
# What: sends one file back: a "BYTES SHA256" line, then the file as base64 lines.
# Parameters: Path (full path of the file), MaxBytes (refuse a larger file before sending any of it).
# Exit codes: 0 sent; 2 the file cannot be opened; 3 the file is larger than MaxBytes.
param(
  [Parameter(Mandatory = $true)][string]$Path,
  [Parameter(Mandatory = $true)][long]$MaxBytes
)
# The caller joins with '\'; PowerShell on Unix (the test lab) wants '/'.
if ([IO.Path]::DirectorySeparatorChar -eq '/') { $Path = $Path.Replace('\', '/') }
try { $in = [IO.File]::OpenRead($Path) } catch { [Console]::Error.WriteLine("download: $($_.Exception.Message)"); exit 2 }
if ($in.Length -gt $MaxBytes) { [Console]::Error.WriteLine("too-large $($in.Length)"); $in.Close(); exit 3 }
$sum = -join ([Security.Cryptography.SHA256]::Create().ComputeHash($in) | ForEach-Object { $_.ToString('x2') })
[void]$in.Seek(0, 'Begin')
[Console]::Out.WriteLine("$($in.Length) $sum")
$buf = New-Object byte[] 49152
while (($n = $in.Read($buf, 0, $buf.Length)) -gt 0) { [Console]::Out.WriteLine([Convert]::ToBase64String($buf, 0, $n)) }
$in.Close()
exit 0

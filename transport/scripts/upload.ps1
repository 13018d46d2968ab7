# smtp-probe/upload v2
# What: receives one file as base64 lines on stdin, ended by a "." line, into a temporary
#   name beside Dest; checks its sha256, then moves it into place (replacing an old copy),
#   so a reader never sees half a file. Prints "ok BYTES SHA256".
# Parameters: Dest (full path of the file), Sha256 (expected, lowercase hex).
# Exit codes: 0 stored; 1 stdin ended early, the hash differed or the file could not be written.
param(
  [Parameter(Mandatory = $true)][string]$Dest,
  [Parameter(Mandatory = $true)][string]$Sha256
)
$ErrorActionPreference = 'Stop'
# The caller joins with '\'; PowerShell on Unix (the test lab) wants '/'.
if ([IO.Path]::DirectorySeparatorChar -eq '/') { $Dest = $Dest.Replace('\', '/') }
$Sha256 = $Sha256.ToLowerInvariant()
[void][IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($Dest))
$tmp = $Dest + '.part-' + [Guid]::NewGuid().ToString('N')
$out = [IO.File]::Create($tmp)
$hash = [Security.Cryptography.SHA256]::Create()
$n = 0
try {
  while ($true) {
    $line = [Console]::In.ReadLine()
    if ($null -eq $line -or $line -eq '.') { break }
    $bytes = [Convert]::FromBase64String($line)
    $out.Write($bytes, 0, $bytes.Length)
    [void]$hash.TransformBlock($bytes, 0, $bytes.Length, $null, 0)
    $n += $bytes.Length
  }
  $out.Close()
  if ($line -ne '.') { throw 'upload: stdin ended before the end marker' }
  [void]$hash.TransformFinalBlock([byte[]]@(), 0, 0)
  $got = -join ($hash.Hash | ForEach-Object { $_.ToString('x2') })
  if ($got -ne $Sha256) { throw "upload: sha256 mismatch: expected $Sha256, got $got" }
  if (Test-Path -LiteralPath $Dest) { [IO.File]::Replace($tmp, $Dest, [NullString]::Value) } else { [IO.File]::Move($tmp, $Dest) }
  "ok $n $got"
} catch {
  $out.Dispose()
  Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue
  [Console]::Error.WriteLine($_.Exception.Message)
  exit 1
}
exit 0

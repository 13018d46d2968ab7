# smtp-probe/append-chunk v2
# What: the naive upload, kept only as the benchmark's baseline: one PowerShell process per
#   chunk, appending the base64 chunk it reads from stdin to Path.
# Parameters: Path (the file to append to).
# Exit codes: 0 appended; 1 the chunk could not be decoded or written.
param([Parameter(Mandatory = $true)][string]$Path)
$ErrorActionPreference = 'Stop'
if ([IO.Path]::DirectorySeparatorChar -eq '/') { $Path = $Path.Replace('\', '/') }
$bytes = [Convert]::FromBase64String([Console]::In.ReadToEnd())
$f = [IO.File]::Open($Path, 'Append')
$f.Write($bytes, 0, $bytes.Length)
$f.Close()
exit 0

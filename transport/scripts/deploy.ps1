# smtp-probe/deploy v2
# What: checks that the runtime and the bundle are in the per-user cache
#   (%LOCALAPPDATA%\smtp-probe\SHA256\NAME); on a miss prints "miss" lines and stops so the
#   caller uploads and calls again; on a hit runs one probe in a fresh work folder.
#   A file is trusted when its ".NAME.verified" stamp is no older than it and its size
#   matches; otherwise it is hashed in full (hashing ~90 MB every run would cost more than
#   the rest of the cycle).
# Parameters: Job (work folder name), Runtime*/Bundle* (sha256, file name, size, whether it
#   was uploaded in this cycle), Command (probe or diagnose), PasswordStdin (the probe's
#   password is the next line of stdin, read with launcher.ps1's Read-StdinLine: this
#   script runs under the launcher), ArgsB64 (the probe's settings: base64 of a JSON
#   array of arguments, which the probe decodes and validates itself, so no value ever
#   passes through Windows' native-argument quoting).
# Output: control lines "@smtp-probe-deploy root|miss|cached|zip|exit ...", one per line.
# Exit codes: 0 after a miss; the probe's exit code after a run; 1 when the work folder
#   cannot be prepared or stdin has no password line; 127 when the runtime did not start.
param(
  [Parameter(Mandatory = $true)][string]$Job,
  [Parameter(Mandatory = $true)][string]$RuntimeSha256,
  [Parameter(Mandatory = $true)][string]$RuntimeName,
  [Parameter(Mandatory = $true)][long]$RuntimeBytes,
  [bool]$RuntimeFresh = $false,
  [Parameter(Mandatory = $true)][string]$BundleSha256,
  [Parameter(Mandatory = $true)][string]$BundleName,
  [Parameter(Mandatory = $true)][long]$BundleBytes,
  [bool]$BundleFresh = $false,
  [ValidateSet('probe', 'diagnose')][string]$Command = 'probe',
  [bool]$PasswordStdin = $false,
  [Parameter(Mandatory = $true)][string]$ArgsB64
)
$ErrorActionPreference = 'Stop'
$r = Join-Path $env:LOCALAPPDATA 'smtp-probe'
"@smtp-probe-deploy root $r"

function Test-Cached([string]$sha, [string]$name, [long]$bytes, [bool]$fresh) {
  $f = [IO.Path]::Combine($r, $sha, $name)
  $s = [IO.Path]::Combine($r, $sha, ".$name.verified")
  if (-not (Test-Path -LiteralPath $f -PathType Leaf)) { return $false }
  if ($fresh) { New-Item -ItemType File -Force -Path $s | Out-Null }
  $i = Get-Item -LiteralPath $f
  $v = Get-Item -LiteralPath $s -ErrorAction SilentlyContinue
  if ($v -and $i.Length -eq $bytes -and $i.LastWriteTimeUtc -le $v.LastWriteTimeUtc) { return $true }
  if ((Get-FileHash -LiteralPath $f -Algorithm SHA256).Hash -ne $sha) { return $false }
  New-Item -ItemType File -Force -Path $s | Out-Null
  return $true
}

$miss = $false
if (-not (Test-Cached $RuntimeSha256 $RuntimeName $RuntimeBytes $RuntimeFresh)) { '@smtp-probe-deploy miss runtime'; $miss = $true }
if (-not (Test-Cached $BundleSha256 $BundleName $BundleBytes $BundleFresh)) { '@smtp-probe-deploy miss bundle'; $miss = $true }
if ($miss) { exit 0 }
'@smtp-probe-deploy cached'

$w = [IO.Path]::Combine($r, 'work', $Job)
try {
  if (Test-Path -LiteralPath $w) { Remove-Item -LiteralPath $w -Recurse -Force }
  New-Item -ItemType Directory -Force -Path $w | Out-Null
} catch {
  [Console]::Error.WriteLine("deploy: cannot prepare $w`: $($_.Exception.Message)")
  exit 1
}
$rt = [IO.Path]::Combine($r, $RuntimeSha256, $RuntimeName)
# PowerShell on Unix (the test lab runs these scripts with PowerShell 7 on Linux) needs the
# execute bit, which Windows does not have.
if ([IO.Path]::DirectorySeparatorChar -eq '/') { & chmod +x -- $rt }
$zip = [IO.Path]::Combine($w, 'result.zip')
$run = @([IO.Path]::Combine($r, $BundleSha256, $BundleName), $Command, '--out', [IO.Path]::Combine($w, 'out'), '--zip-to', $zip, '--quiet', '--args-b64', $ArgsB64)
# Windows PowerShell 5.1 turns a native program's stderr lines into error records, which
# 'Stop' would make fatal: the probe's own exit code is what counts here.
$ErrorActionPreference = 'Continue'
if ($PasswordStdin) {
  # The next stdin line, with the launcher's own reader (as the UTF-8 bytes it was sent in),
  # piped on as UTF-8 (5.1 pipes to programs in ASCII by default).
  $bytes = Read-StdinLine
  if ($null -eq $bytes) { [Console]::Error.WriteLine('deploy: no password line on stdin'); exit 1 }
  $OutputEncoding = New-Object Text.UTF8Encoding $false
  [Text.Encoding]::UTF8.GetString($bytes).TrimEnd([char]13) | & $rt @run --password-stdin
  $rc = $LASTEXITCODE
} else {
  & $rt @run
  $rc = $LASTEXITCODE
}
if ($null -eq $rc) { [Console]::Error.WriteLine("deploy: the runtime $rt did not start"); $rc = 127 }
Remove-Item -LiteralPath ([IO.Path]::Combine($w, 'out')) -Recurse -Force -ErrorAction SilentlyContinue
if (Test-Path -LiteralPath $zip) { "@smtp-probe-deploy zip $((Get-Item -LiteralPath $zip).Length)" }
"@smtp-probe-deploy exit $rc"
exit $rc

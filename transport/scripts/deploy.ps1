# smtp-probe/deploy v5
# What: checks that the runtime, the bundle and the loader are in the per-user cache
#   (%LOCALAPPDATA%\smtp-probe\SHA256\NAME); on a miss prints "miss" lines and stops so the
#   caller uploads and calls again (with a "gzip" line: it can take the files compressed);
#   on a hit runs one probe in a fresh work folder. A file uploaded gzip-compressed is
#   unpacked first (see Install-Gz below); a bad one prints "bad WHICH why" and stays a miss.
#   A file is trusted when its ".NAME.verified" stamp is no older than it and its size
#   matches; otherwise it is hashed in full (hashing ~90 MB every run would cost more than
#   the rest of the cycle). Keeps the cache bounded: once a day a run removes the versions
#   no run has used for 30 days and work folders that killed jobs left (Remove-Unused).
# Parameters: Job (work folder name), Runtime*/Bundle*/Loader* (sha256, file name, size, whether it
#   was uploaded uncompressed in this cycle, the .gz file uploaded into the sha256 folder
#   in this cycle or ''; the runtime starts the loader, which runs the bundle with a code
#   cache, payload/loader/runner.ts), Command (probe or diagnose), PasswordStdin (the probe's
#   password is the next line of stdin, read with launcher.ps1's Read-StdinLine: this
#   script runs under the launcher), ArgsB64 (the probe's settings: base64 of a JSON
#   array of arguments, which the probe decodes and validates itself, so no value ever
#   passes through Windows' native-argument quoting).
# Output: control lines "@smtp-probe-deploy root|miss|gzip|bad|cached|zip|exit ...", one per line.
# Exit codes: 0 after a miss; the probe's exit code after a run; 1 when the work folder
#   cannot be prepared or stdin has no password line; 127 when the runtime did not start.
param(
  [Parameter(Mandatory = $true)][string]$Job,
  [Parameter(Mandatory = $true)][string]$RuntimeSha256,
  [Parameter(Mandatory = $true)][string]$RuntimeName,
  [Parameter(Mandatory = $true)][long]$RuntimeBytes,
  [bool]$RuntimeFresh = $false,
  [string]$RuntimeGz = '',
  [Parameter(Mandatory = $true)][string]$BundleSha256,
  [Parameter(Mandatory = $true)][string]$BundleName,
  [Parameter(Mandatory = $true)][long]$BundleBytes,
  [bool]$BundleFresh = $false,
  [string]$BundleGz = '',
  [Parameter(Mandatory = $true)][string]$LoaderSha256,
  [Parameter(Mandatory = $true)][string]$LoaderName,
  [Parameter(Mandatory = $true)][long]$LoaderBytes,
  [bool]$LoaderFresh = $false,
  [string]$LoaderGz = '',
  [ValidateSet('probe', 'diagnose')][string]$Command = 'probe',
  [bool]$PasswordStdin = $false,
  [Parameter(Mandatory = $true)][string]$ArgsB64
)
$ErrorActionPreference = 'Stop'
$r = Join-Path $env:LOCALAPPDATA 'smtp-probe'
"@smtp-probe-deploy root $r"
# Each run stamps the three folders it uses, before trusting them, so the daily sweep of
# another job never takes a version a run is about to start.
foreach ($sha in @($RuntimeSha256, $BundleSha256, $LoaderSha256)) {
  try { [IO.File]::WriteAllText([IO.Path]::Combine($r, $sha, '.used'), '') } catch { }
}

# As deploy.sh's sweep: a sha256 folder that neither a run (its ".used" stamp) nor an upload
# (the folder's own time) has touched for over 30 days is removed, as are work folders over
# a day old; once a day per runner ("$r\.swept"). A runtime still running elsewhere is
# locked by Windows: its removal fails quietly and is tried again the next day.
function Remove-Unused {
  $stamp = Join-Path $r '.swept'
  $last = Get-Item -LiteralPath $stamp -Force -ErrorAction SilentlyContinue
  if ($last -and $last.LastWriteTimeUtc -gt [DateTime]::UtcNow.AddDays(-1)) { return }
  [IO.File]::WriteAllText($stamp, '')
  $old = [DateTime]::UtcNow.AddDays(-30)
  $current = @($RuntimeSha256, $BundleSha256, $LoaderSha256)
  foreach ($d in @(Get-ChildItem -LiteralPath $r -Directory -Force -ErrorAction SilentlyContinue)) {
    if ($d.Name -cnotmatch '^[0-9a-f]{64}$' -or $current -contains $d.Name -or $d.LastWriteTimeUtc -ge $old) { continue }
    $used = Get-Item -LiteralPath (Join-Path $d.FullName '.used') -Force -ErrorAction SilentlyContinue
    if ($used -and $used.LastWriteTimeUtc -ge $old) { continue }
    Remove-Item -LiteralPath $d.FullName -Recurse -Force -ErrorAction SilentlyContinue
  }
  $day = [DateTime]::UtcNow.AddDays(-1)
  Get-ChildItem -LiteralPath (Join-Path $r 'work') -Directory -Force -ErrorAction SilentlyContinue |
    Where-Object { $_.Name -ne $Job -and $_.LastWriteTimeUtc -lt $day } |
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue
}

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

# The uploaded .gz becomes the cached file: unpacked under a temporary name in the same
# folder with its sha256 taken on the way, then renamed into place, so the cache never holds
# half a runtime under its real name. One job at a time per file: the lock is a file held
# open with FileShare.None, which the OS releases when a killed process dies; a second job
# waits for it, then finds the file there. Leftovers of killed uploads and unpacks (never
# trusted: only the real name is) are swept once they are an hour old.
function Install-Gz([string]$which, [string]$sha, [string]$name, [long]$bytes, [string]$gz) {
  $d = Join-Path $r $sha
  $z = Join-Path $d $gz
  $t = Join-Path $d ".$name.tmp-$PID"
  $lock = $null
  $until = [DateTime]::UtcNow.AddMinutes(10)
  while ($null -eq $lock) {
    try { $lock = [IO.File]::Open((Join-Path $d ".$name.lock"), 'OpenOrCreate', 'ReadWrite', 'None') } catch {
      if ([DateTime]::UtcNow -gt $until) {
        "@smtp-probe-deploy bad $which the lock on $name is held for over 10 minutes"
        Remove-Item -LiteralPath $z -Force -ErrorAction SilentlyContinue
        return
      }
      Start-Sleep -Milliseconds 250
    }
  }
  try {
    if (Test-Cached $sha $name $bytes $false) { return }
    $hash = [Security.Cryptography.SHA256]::Create()
    $n = 0
    try {
      $in = [IO.File]::OpenRead($z)
      try {
        $unz = New-Object IO.Compression.GZipStream($in, [IO.Compression.CompressionMode]::Decompress)
        $out = [IO.File]::Create($t)
        try {
          $buf = New-Object byte[] 1048576
          while (($k = $unz.Read($buf, 0, $buf.Length)) -gt 0) {
            $out.Write($buf, 0, $k)
            [void]$hash.TransformBlock($buf, 0, $k, $null, 0)
            $n += $k
          }
        } finally { $out.Dispose() }
      } finally { $in.Dispose() }
    } catch {
      "@smtp-probe-deploy bad $which $name`: the upload is not valid gzip data (or the disk is full); removed"
      return
    }
    [void]$hash.TransformFinalBlock([byte[]]@(), 0, 0)
    $got = -join ($hash.Hash | ForEach-Object { $_.ToString('x2') })
    if ($got -ne $sha -or $n -ne $bytes) { "@smtp-probe-deploy bad $which $name`: unpacked to sha256 $got ($n bytes), expected $sha; removed"; return }
    $f = Join-Path $d $name
    if (Test-Path -LiteralPath $f) { [IO.File]::Replace($t, $f, [NullString]::Value) } else { [IO.File]::Move($t, $f) }
    New-Item -ItemType File -Force -Path (Join-Path $d ".$name.verified") | Out-Null
  } finally {
    Remove-Item -LiteralPath $z, $t -Force -ErrorAction SilentlyContinue
    $old = [DateTime]::UtcNow.AddHours(-1)
    Get-ChildItem -LiteralPath $d -Force -File -ErrorAction SilentlyContinue |
      Where-Object { $_.Name -match '\.(gz|tmp|part)-' -and $_.LastWriteTimeUtc -lt $old } |
      Remove-Item -Force -ErrorAction SilentlyContinue
    $lock.Dispose()
  }
}

if ($RuntimeGz) { Install-Gz 'runtime' $RuntimeSha256 $RuntimeName $RuntimeBytes $RuntimeGz }
if ($BundleGz) { Install-Gz 'bundle' $BundleSha256 $BundleName $BundleBytes $BundleGz }
if ($LoaderGz) { Install-Gz 'loader' $LoaderSha256 $LoaderName $LoaderBytes $LoaderGz }
$miss = $false
if (-not (Test-Cached $RuntimeSha256 $RuntimeName $RuntimeBytes $RuntimeFresh)) { '@smtp-probe-deploy miss runtime'; $miss = $true }
if (-not (Test-Cached $BundleSha256 $BundleName $BundleBytes $BundleFresh)) { '@smtp-probe-deploy miss bundle'; $miss = $true }
if (-not (Test-Cached $LoaderSha256 $LoaderName $LoaderBytes $LoaderFresh)) { '@smtp-probe-deploy miss loader'; $miss = $true }
# System.IO.Compression's GZipStream is in every .NET PowerShell runs on (Framework 2.0 on).
if ($miss) { '@smtp-probe-deploy gzip'; exit 0 }
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
$run = @([IO.Path]::Combine($r, $LoaderSha256, $LoaderName), [IO.Path]::Combine($r, $BundleSha256, $BundleName), $Command, '--out', [IO.Path]::Combine($w, 'out'), '--zip-to', $zip, '--quiet', '--args-b64', $ArgsB64)
# Compiled code of the bundle is cached next to it (by the loader), as deploy.sh does: later probes start faster.
$env:NODE_COMPILE_CACHE = [IO.Path]::Combine($r, 'compile-cache')
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
# The sweep only saves disk: nothing in it may change this job's outcome.
try { Remove-Unused } catch { }
"@smtp-probe-deploy exit $rc"
exit $rc

// Every command the fleet runs on a runner, for POSIX sh (linux) and Windows PowerShell 5.1,
// kept in this one file so they can be read and reviewed as scripts. Values are spliced in
// only through quoteSh/quotePs; anything a caller names (job ids, artifact names) is checked
// or made safe first, so nothing from job data can break out of its quotes.
import { createHash } from 'node:crypto';
import type { RemoteOs } from './types.js';

/** Control lines the deploy script prints on stdout; the probe itself runs --quiet. */
export const MARK = '@smtp-probe-deploy';

export function quoteSh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** PowerShell also ends a single-quoted string at typographic quotes, so those are doubled too. */
export function quotePs(s: string): string {
  return `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

/** `powershell.exe -EncodedCommand`: no quoting rules of cmd.exe (OpenSSH's default shell) to get wrong. */
export function encodePowerShell(script: string): string {
  // Progress records would come back as CLIXML noise on stderr.
  const full = `$ProgressPreference = 'SilentlyContinue'\n${script}`;
  return `powershell.exe -NoProfile -NonInteractive -EncodedCommand ${Buffer.from(full, 'utf16le').toString('base64')}`;
}

/** The per-user cache folder, as an expression the remote shell expands. */
export function cacheRootExpr(os: RemoteOs): string {
  return os === 'linux' ? '"${XDG_CACHE_HOME:-$HOME/.cache}/smtp-probe"' : "(Join-Path $env:LOCALAPPDATA 'smtp-probe')";
}

/** Prints the cache folder's absolute path. */
export function resolveCacheRoot(os: RemoteOs): string {
  return os === 'linux' ? `echo ${cacheRootExpr(os)}` : cacheRootExpr(os);
}

/** Exits 0 when `path` holds a file whose sha256 is `sha256`, 1 otherwise. */
export function checkSha256(os: RemoteOs, path: string, sha256: string): string {
  if (os === 'linux') return `[ "$(sha256sum <${quoteSh(path)} 2>/dev/null | cut -c1-64)" = ${quoteSh(sha256)} ]`;
  return `if ((Test-Path -LiteralPath ${quotePs(path)} -PathType Leaf) -and (Get-FileHash -LiteralPath ${quotePs(path)} -Algorithm SHA256).Hash -eq ${quotePs(sha256)}) { exit 0 } else { exit 1 }`;
}

export function makeFolder(os: RemoteOs, path: string): string {
  if (os === 'linux') return `mkdir -p ${quoteSh(path)}`;
  return `New-Item -ItemType Directory -Force -Path ${quotePs(path)} | Out-Null`;
}

/** Removes a folder and everything under it; a missing folder is not an error. */
export function removeFolder(os: RemoteOs, path: string): string {
  if (os === 'linux') return `rm -rf ${quoteSh(path)}`;
  return `if (Test-Path -LiteralPath ${quotePs(path)}) { Remove-Item -LiteralPath ${quotePs(path)} -Recurse -Force }`;
}

/** Removes a job's work folder, found through the cache root expression (no path needed). */
export function removeWorkFolder(os: RemoteOs, jobId: string): string {
  const job = workFolderName(jobId);
  if (os === 'linux') return `rm -rf ${cacheRootExpr(os)}/work/${quoteSh(job)}`;
  // First line and parameter block: see psScript.
  return `# smtp-probe/remove-work v1: removes one job's work folder under the per-user cache
$Job = ${quotePs(job)}
$w = Join-Path ${cacheRootExpr(os)} "work\\$Job"
if (Test-Path -LiteralPath $w) { Remove-Item -LiteralPath $w -Recurse -Force }
`;
}

/**
 * A job id as a folder name: kept as is when it is a safe name, otherwise (BullMQ ids hold
 * `:`, which Windows forbids) the unsafe characters become `_` and a short hash of the
 * original keeps two ids from landing in one folder.
 */
export function workFolderName(jobId: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,79}$/.test(jobId)) return jobId;
  const safe = jobId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 60);
  return `${safe}-${createHash('sha256').update(jobId).digest('hex').slice(0, 8)}`;
}

export interface CachedFile {
  sha256: string;
  name: string;
  bytes: number;
  /** Uploaded and verified in this cycle: mark it verified without hashing it again. */
  fresh: boolean;
}

export interface RunSpec {
  jobId: string;
  runtime: CachedFile;
  bundle: CachedFile;
  probeArgs: string[];
  /** The payload command to run: `probe` (default) or `diagnose` (probe plus the evidence around it). */
  command?: 'probe' | 'diagnose';
  /** The probe's password arrives as the first line of the script's stdin (--password-stdin). */
  passwordStdin?: boolean;
  /**
   * linux: send result.zip back on this same command (base64 between marker lines) when it is
   * at most this many bytes, then remove the work folder: no SFTP session, no second command.
   */
  inlineZipMax?: number;
}

/** Artifact names land in paths and scripts, so they are held to a plain file name. */
export function checkArtifact(a: { sha256: string; name: string }): void {
  if (!/^[0-9a-f]{64}$/.test(a.sha256)) throw new Error(`artifact ${a.name}: sha256 must be 64 lowercase hex digits`);
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/.test(a.name)) throw new Error(`artifact name "${a.name}" is not a plain file name`);
}

/**
 * The whole warm cycle in one remote command: print the cache root; check both artifacts
 * (a file is trusted when a `.NAME.verified` stamp is at least as new as it and its size
 * matches; otherwise it is hashed in full, since hashing a ~100 MB runtime every run would
 * cost more than the rest of the cycle); on any miss print `miss` lines and stop so the
 * caller uploads and calls again. On a hit: recreate the job's work folder, run the probe,
 * drop its run folder (the ZIP holds it all) and print the ZIP size and the exit code.
 */
export function deployScript(os: RemoteOs, spec: RunSpec): string {
  checkArtifact(spec.runtime);
  checkArtifact(spec.bundle);
  const job = workFolderName(spec.jobId);
  return os === 'linux' ? shScript(spec, job) : psScript(spec, job);
}

function shScript(s: RunSpec, job: string): string {
  const q = quoteSh;
  const check = (what: string, a: CachedFile) =>
    `cached ${a.sha256} ${q(a.name)} ${a.bytes} ${a.fresh ? 'fresh' : 'old'} || { echo "${MARK} miss ${what}"; miss=1; }`;
  return `r=${cacheRootExpr('linux')}
echo "${MARK} root $r"
cached() { # sha256 name bytes fresh|old
  f="$r/$1/$2" s="$r/$1/.$2.verified"
  [ -f "$f" ] || return 1
  [ "$4" = fresh ] && touch "$s"
  [ -f "$s" ] && [ ! "$f" -nt "$s" ] && [ $(wc -c <"$f") -eq "$3" ] && return 0
  [ "$(sha256sum <"$f" | cut -c1-64)" = "$1" ] && touch "$s"
}
miss=
${check('runtime', s.runtime)}
${check('bundle', s.bundle)}
[ -z "$miss" ] || exit 0
echo "${MARK} cached"
w="$r/work/"${q(job)}
rm -rf "$w" && mkdir -p "$w" || exit 1
rt="$r/${s.runtime.sha256}/"${q(s.runtime.name)}
[ -x "$rt" ] || chmod +x "$rt" || exit 1
# The probe runs in the background so that a command timeout stops it, not only this shell:
# a TERM/HUP from sshd is passed on, and since sshd refuses signals to root sessions, the
# end of our stdin (the caller closed the channel) stops it too.
# Compiled code of the bundle is cached next to it: later probes on this runner start faster.
export NODE_COMPILE_CACHE="$r/compile-cache"
exec 3<&0
${
  s.passwordStdin
    ? `IFS= read -r pw <&3 || exit 1
# printf is a shell builtin: the password never shows in a process list.
printf '%s\\n' "$pw" | "$rt" "$r/${s.bundle.sha256}/"${q(s.bundle.name)} ${s.command ?? 'probe'} --out "$w/out" --zip-to "$w/result.zip" --quiet --password-stdin ${s.probeArgs.map(q).join(' ')} 3<&- &
p=$!
unset pw`
    : `"$rt" "$r/${s.bundle.sha256}/"${q(s.bundle.name)} ${s.command ?? 'probe'} --out "$w/out" --zip-to "$w/result.zip" --quiet ${s.probeArgs.map(q).join(' ')} </dev/null 3<&- &
p=$!`
}
trap 'kill $p 2>/dev/null' HUP INT TERM
{ cat <&3; kill $p; } >/dev/null 2>&1 &
g=$!
wait $p
rc=$?
kill $g 2>/dev/null
rm -rf "$w/out"
${
  s.inlineZipMax === undefined
    ? `[ -f "$w/result.zip" ] && echo "${MARK} zip $(wc -c <"$w/result.zip")"`
    : `if [ -f "$w/result.zip" ]; then
  n=$(wc -c <"$w/result.zip")
  echo "${MARK} zip $n"
  [ "$n" -le ${Math.floor(s.inlineZipMax)} ] && { echo "${MARK} zipdata"; base64 "$w/result.zip"; echo "${MARK} zipdata-end"; }
fi
rm -rf "$w"`
}
echo "${MARK} exit $rc"
exit $rc
`;
}

/**
 * The PowerShell twin of shScript. Like every script sent to Windows it starts with a
 * "# smtp-probe/NAME v1" line and takes its values as plain assignments right below it, so
 * the values are readable at the top and the test endpoint can recognise the script and
 * read them (test/lab/winrm-standin.ts).
 */
function psScript(s: RunSpec, job: string): string {
  const q = quotePs;
  const file = (prefix: string, a: CachedFile) =>
    `$${prefix}Sha256 = ${q(a.sha256)}\n$${prefix}Name = ${q(a.name)}\n$${prefix}Bytes = ${a.bytes}\n$${prefix}Fresh = $${a.fresh}`;
  return `# smtp-probe/deploy v1: cache check, then one probe run in a fresh work folder
$Job = ${q(job)}
${file('Runtime', s.runtime)}
${file('Bundle', s.bundle)}
$Command = ${q(s.command ?? 'probe')}
$PasswordStdin = $${s.passwordStdin === true}
$ProbeArgs = @(${s.probeArgs.map(q).join(', ')})
$ErrorActionPreference = 'Stop'
$r = ${cacheRootExpr('windows')}
"${MARK} root $r"
function Test-Cached([string]$sha, [string]$name, [long]$bytes, [bool]$fresh) {
  $f = Join-Path $r "$sha\\$name"; $s = Join-Path $r "$sha\\.$name.verified"
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
if (-not (Test-Cached $RuntimeSha256 $RuntimeName $RuntimeBytes $RuntimeFresh)) { '${MARK} miss runtime'; $miss = $true }
if (-not (Test-Cached $BundleSha256 $BundleName $BundleBytes $BundleFresh)) { '${MARK} miss bundle'; $miss = $true }
if ($miss) { exit 0 }
'${MARK} cached'
$w = Join-Path $r "work\\$Job"
if (Test-Path -LiteralPath $w) { Remove-Item -LiteralPath $w -Recurse -Force }
New-Item -ItemType Directory -Force -Path $w | Out-Null
$run = @((Join-Path $r "$BundleSha256\\$BundleName"), $Command, '--out', "$w\\out", '--zip-to', "$w\\result.zip", '--quiet')
if ($PasswordStdin) {
  # The first stdin line, read as the UTF-8 bytes it was sent in ([Console]::In would use
  # the OEM code page), and piped on as UTF-8 (5.1 pipes to programs in ASCII by default).
  $in = [Console]::OpenStandardInput()
  $line = New-Object IO.MemoryStream
  while (($b = $in.ReadByte()) -ge 0 -and $b -ne 10) { $line.WriteByte($b) }
  if ($b -ne 10) { [Console]::Error.WriteLine('deploy: no password line on stdin'); exit 1 }
  $pw = [Text.Encoding]::UTF8.GetString($line.ToArray()).TrimEnd([char]13)
  $OutputEncoding = New-Object Text.UTF8Encoding $false
  $pw | & (Join-Path $r "$RuntimeSha256\\$RuntimeName") @run --password-stdin @ProbeArgs
  $rc = $LASTEXITCODE
  Remove-Variable pw
} else {
  & (Join-Path $r "$RuntimeSha256\\$RuntimeName") @run @ProbeArgs
  $rc = $LASTEXITCODE
}
Remove-Item -LiteralPath "$w\\out" -Recurse -Force -ErrorAction SilentlyContinue
if (Test-Path -LiteralPath "$w\\result.zip") { "${MARK} zip $((Get-Item -LiteralPath "$w\\result.zip").Length)" }
"${MARK} exit $rc"
exit $rc
`;
}

/** A remote path as SFTP wants it: OpenSSH on Windows serves `C:\x` as `/C:/x`. */
export function sftpPath(os: RemoteOs, path: string): string {
  if (os === 'linux') return path;
  const p = path.replace(/\\/g, '/');
  return /^[A-Za-z]:/.test(p) ? `/${p}` : p;
}

/** Joins remote path parts with the remote OS's separator. */
export function remoteJoin(os: RemoteOs, ...parts: string[]): string {
  const sep = os === 'linux' ? '/' : '\\';
  return parts.map((p, i) => (i === 0 ? p.replace(/[\\/]+$/, '') : p.replace(/^[\\/]+|[\\/]+$/g, ''))).join(sep);
}

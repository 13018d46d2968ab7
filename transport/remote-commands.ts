// What the fleet runs on a runner, as calls of the script files in transport/scripts/:
// deploy (cache check + one probe run) and remove-work, for POSIX sh and Windows
// PowerShell 5.1. Anything a caller names (job ids, artifact names) is checked or made safe
// here, and the probe's settings travel as one base64 JSON argument the probe validates.
import { createHash } from 'node:crypto';
import { shCommand } from './scripts.js';
import type { RemoteCommand, RemoteOs } from './types.js';

/** Control lines the deploy script prints on stdout; the probe itself runs --quiet. */
export const MARK = '@smtp-probe-deploy';

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

/** The probe's arguments as the one `--args-b64` value both deploy scripts pass on untouched. */
export function encodeProbeArgs(args: readonly string[]): string {
  return Buffer.from(JSON.stringify(args), 'utf8').toString('base64');
}

export interface CachedFile {
  sha256: string;
  name: string;
  bytes: number;
  /** Uploaded and verified in this cycle: mark it verified without hashing it again. */
  fresh: boolean;
  /** Uploaded gzip-compressed in this cycle, as this file in the sha256 folder: unpack it first. */
  gz?: string;
}

/** The name an upload of `name`'s .gz gets in its sha256 folder: hidden, and one per job. */
export function gzUploadName(name: string, nonce: string): string {
  return `.${name}.gz-${nonce}`;
}

export interface RunSpec {
  jobId: string;
  runtime: CachedFile;
  bundle: CachedFile;
  /** What the runner starts: the runtime runs the loader, the loader the bundle. */
  loader: CachedFile;
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

/** Artifact names land in paths, so they are held to a plain file name. */
function checkArtifact(a: CachedFile): void {
  if (!/^[0-9a-f]{64}$/.test(a.sha256)) throw new Error(`artifact ${a.name}: sha256 must be 64 lowercase hex digits`);
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/.test(a.name)) throw new Error(`artifact name "${a.name}" is not a plain file name`);
  if (a.gz !== undefined && !/^\.[A-Za-z0-9._-]{1,100}\.gz-[0-9a-f]{8,32}$/.test(a.gz)) throw new Error(`artifact ${a.name}: "${a.gz}" is not an upload name`);
}

/** One pass of the deploy script (see its header for the protocol). */
export function deployCommand(os: RemoteOs, spec: RunSpec): RemoteCommand {
  checkArtifact(spec.runtime);
  checkArtifact(spec.bundle);
  checkArtifact(spec.loader);
  const job = workFolderName(spec.jobId);
  const argsB64 = encodeProbeArgs(spec.probeArgs);
  const command = spec.command ?? 'probe';
  if (os === 'linux') {
    const file = (a: CachedFile) => [a.sha256, a.name, String(a.bytes), a.gz ? `gz:${a.gz}` : a.fresh ? 'fresh' : 'old'];
    const inline = spec.inlineZipMax === undefined ? 'none' : String(Math.floor(spec.inlineZipMax));
    return shCommand('deploy.sh', [job, ...file(spec.runtime), ...file(spec.bundle), ...file(spec.loader), command, spec.passwordStdin ? 'yes' : 'no', inline, argsB64]);
  }
  return {
    script: 'deploy.ps1',
    params: {
      Job: job,
      RuntimeSha256: spec.runtime.sha256,
      RuntimeName: spec.runtime.name,
      RuntimeBytes: spec.runtime.bytes,
      RuntimeFresh: spec.runtime.fresh,
      RuntimeGz: spec.runtime.gz ?? '',
      BundleSha256: spec.bundle.sha256,
      BundleName: spec.bundle.name,
      BundleBytes: spec.bundle.bytes,
      BundleFresh: spec.bundle.fresh,
      BundleGz: spec.bundle.gz ?? '',
      LoaderSha256: spec.loader.sha256,
      LoaderName: spec.loader.name,
      LoaderBytes: spec.loader.bytes,
      LoaderFresh: spec.loader.fresh,
      LoaderGz: spec.loader.gz ?? '',
      Command: command,
      PasswordStdin: spec.passwordStdin === true,
      ArgsB64: argsB64,
    },
  };
}

/** Removes a job's work folder, found through the cache root (no path needed). */
export function removeWorkCommand(os: RemoteOs, jobId: string): RemoteCommand {
  const job = workFolderName(jobId);
  return os === 'linux' ? shCommand('remove-work.sh', [job]) : { script: 'remove-work.ps1', params: { Job: job } };
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

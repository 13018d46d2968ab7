// The seam between the fleet and the ways of reaching a runner. A worker only ever talks
// to a Transport; ssh.ts and winrm/ implement it, deploy.ts builds the push/run/fetch
// cycle on top of it, so a new transport slots in without touching the queue.

import type { PsCall } from './scripts.js';
import { SmtpProbeError } from '../payload/util/errors.js';

export type RemoteOs = 'linux' | 'windows';

/** A command for a Transport: a sh command line on Linux, a script call on Windows. */
export type RemoteCommand = string | PsCall;

export interface ExecOptions {
  /** Whole-command limit; on expiry the command is signalled and TransportError('timeout') thrown. */
  timeoutMs: number;
  /** Output as it arrives (for the job log); the full text is also returned. */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  signal?: AbortSignal;
  /** Bytes kept of each stream in the result; the rest is dropped (it still streams). */
  maxOutputBytes?: number;
  /**
   * Written to the command's input once, at its start: how a secret reaches a runner without
   * argv or a file. SSH keeps the input open until the command ends (the deploy script reads
   * its end as "stop"); WinRM sends it as the whole input.
   */
  stdin?: string;
}

export interface ExecResult {
  /** null when the remote side gave no exit status (killed, signal). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface Transport {
  readonly kind: 'ssh' | 'winrm';
  readonly os: RemoteOs;
  /**
   * Runs one command. On linux it is a POSIX sh command line; on windows a call of one of
   * the script files (or, for tests, an ad-hoc PowerShell script), always started through
   * the launcher (transport/scripts/launcher.ps1) with the call on stdin.
   */
  exec(command: RemoteCommand, opts: ExecOptions): Promise<ExecResult>;
  /** Creates parent folders, writes remotePath atomically (temp name + rename), checks sha256. */
  upload(localPath: string, remotePath: string, opts: { sha256: string; onProgress?: (sentBytes: number) => void }): Promise<{ bytes: number }>;
  /** Fetches remotePath; refuses (TransportError 'too-large') beyond maxBytes without writing past it. */
  download(remotePath: string, localPath: string, opts: { maxBytes: number }): Promise<{ bytes: number; sha256: string }>;
  close(): Promise<void>;
}

/**
 * Why a transport step failed. `retryable` drives the queue: a refused login or a
 * changed host key fails the job at once, a timeout or a reset is retried with backoff.
 */
export const TRANSPORT_ERROR_CODES = [
  'unreachable', // connect refused / no route / DNS of the runner
  'timeout', // connect, handshake or command ran out of time
  'reset', // connection dropped mid-way
  'auth', // credentials refused
  'host-key-unknown', // not in known_hosts and --accept-new not given
  'host-key-mismatch', // known_hosts holds another key: possible MITM
  'tls', // WinRM certificate not trusted / name mismatch
  'protocol', // peer spoke something unexpected (SOAP fault, SFTP status)
  'too-large',
  'remote-command', // a remote helper step (mkdir, hash) failed
  'quota', // e.g. WinRM shells-per-user quota
] as const;
export type TransportErrorCode = (typeof TRANSPORT_ERROR_CODES)[number];

const RETRYABLE: ReadonlySet<TransportErrorCode> = new Set(['unreachable', 'timeout', 'reset', 'quota']);

export class TransportError extends SmtpProbeError {
  override name = 'TransportError';
  declare readonly code: TransportErrorCode;
  readonly retryable: boolean;
  constructor(code: TransportErrorCode, message: string, opts?: { cause?: unknown; retryable?: boolean }) {
    super(code, message, 'internal', opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.retryable = opts?.retryable ?? RETRYABLE.has(code);
  }
}

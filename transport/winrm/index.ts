// The WinRM transport: a Transport over one Windows Remote Shell on HTTPS. Every command is
// the launcher (transport/scripts/launcher.ps1) with the script call as its first stdin line;
// files travel as base64 lines through the stdin of ONE long-lived PowerShell process per
// transfer, hashed at both ends.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { TransportError, type ExecOptions, type ExecResult, type RemoteCommand, type Transport } from '../types.js';
import { WinRmHttp, type HttpSettings } from './http.js';
import { POWERSHELL, launcherArguments, launcherInput } from '../scripts.js';
import { DOWNLOAD_TOO_LARGE, readableStderr } from './powershell.js';
import { WinRmShell } from './shell.js';
import { ENVELOPE_OVERHEAD } from './wsman.js';

/** The HTTP settings (address, credentials, certificate checks), with defaults, plus the shell's. */
export interface WinRmConnectOptions extends Omit<HttpSettings, 'connectTimeoutMs' | 'label'> {
  https: boolean;
  operationTimeoutMs?: number;
  connectTimeoutMs?: number;
  maxEnvelopeBytes?: number;
  chunkBytes?: number;
  label?: string;
}

/**
 * 500 KB: Windows' MaxEnvelopeSizekb default since WinRM 3.0 (Windows 8 / Server 2012).
 * Hosts on WinRM 2.0 (150 KB) need maxEnvelopeBytes: 153600.
 */
export const DEFAULT_MAX_ENVELOPE = 500 * 1024;
export const DEFAULT_OPERATION_TIMEOUT = 20_000;

/**
 * Raw bytes per upload chunk: its base64 line (x4/3, plus a newline) inside the base64 of
 * a Send stream (x4/3) fills one envelope under the limit, so each chunk is one Send.
 */
export function defaultChunkBytes(maxEnvelopeBytes: number): number {
  const line = Math.floor(((maxEnvelopeBytes - ENVELOPE_OVERHEAD) * 3) / 4) - 4;
  return Math.floor(line / 4) * 3;
}

export interface RunInput {
  command: string;
  args: string;
  /** Data for stdin, sent before reading output; stdin is closed after it. */
  stdin?: AsyncIterable<Buffer> | Buffer[];
}

export class WinRmTransport implements Transport {
  readonly kind = 'winrm' as const;
  readonly os = 'windows' as const;
  private shell: Promise<WinRmShell> | undefined;

  constructor(
    private readonly http: WinRmHttp,
    private readonly o: Required<Pick<WinRmConnectOptions, 'operationTimeoutMs' | 'maxEnvelopeBytes' | 'chunkBytes' | 'label'>>,
  ) {}

  /** Round trips so far; the benchmark reports it. */
  get requests(): number {
    return this.http.requests;
  }

  /** The shell is opened on first use and reused for every command until close(). */
  openShell(): Promise<WinRmShell> {
    this.shell ??= WinRmShell.open(this.http, { label: this.o.label, maxEnvelopeBytes: this.o.maxEnvelopeBytes, operationTimeoutMs: this.o.operationTimeoutMs });
    this.shell.catch(() => (this.shell = undefined));
    return this.shell;
  }

  async exec(call: RemoteCommand, opts: ExecOptions): Promise<ExecResult> {
    const input = opts.stdin === undefined ? [] : [Buffer.from(opts.stdin, 'utf8')];
    const r = await this.run(launch(call, input), opts);
    return { ...r, stderr: readableStderr(r.stderr) };
  }

  /** Runs one process in the shell: Command, Send stdin, Receive until Done, Signal terminate. */
  async run(input: RunInput, opts: ExecOptions): Promise<ExecResult> {
    const t0 = Date.now();
    const deadline = t0 + opts.timeoutMs;
    const shell = await this.openShell();
    const commandId = await shell.command(input.command, input.args);
    const keep = opts.maxOutputBytes ?? Infinity;
    const out = { stdout: new Collector(keep, opts.onStdout), stderr: new Collector(keep, opts.onStderr) };
    let done = false;
    try {
      if (input.stdin) {
        const cap = shell.sendCapacity();
        let pending: Buffer | undefined;
        for await (const chunk of input.stdin) {
          for (let at = 0; at < chunk.length; at += cap) {
            if (pending) await shell.send(commandId, pending, false);
            pending = chunk.subarray(at, at + cap);
            this.checkTime(deadline, opts);
          }
        }
        await shell.send(commandId, pending ?? Buffer.alloc(0), true);
      }
      for (;;) {
        this.checkTime(deadline, opts);
        const wait = Math.min(this.o.operationTimeoutMs, Math.max(deadline - Date.now(), 1));
        const chunk = await shell.receive(commandId, wait, opts.signal);
        if (!chunk) continue;
        out.stdout.add(chunk.stdout);
        out.stderr.add(chunk.stderr);
        if (chunk.done) {
          done = true;
          return { exitCode: chunk.exitCode, stdout: out.stdout.text(), stderr: out.stderr.text(), durationMs: Date.now() - t0 };
        }
      }
    } finally {
      // A command cut short gets ctrl_c first (as a console user would send), then every
      // command is terminated, which is also how Windows releases a finished one.
      if (!done) await shell.signal(commandId, 'ctrl_c').catch(() => undefined);
      await shell.signal(commandId, 'terminate').catch(() => undefined);
    }
  }

  private checkTime(deadline: number, opts: ExecOptions): void {
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new TransportError('timeout', `${this.o.label}: command aborted`, { retryable: false });
    if (Date.now() >= deadline) throw new TransportError('timeout', `${this.o.label}: the WinRM command ran past ${opts.timeoutMs} ms and was terminated`);
  }

  async upload(localPath: string, remotePath: string, opts: { sha256: string; onProgress?: (sentBytes: number) => void }): Promise<{ bytes: number }> {
    const want = opts.sha256.toLowerCase();
    const hash = createHash('sha256');
    let sent = 0;
    const chunkBytes = this.o.chunkBytes;
    let local = '';
    // Stdin closes without the "." marker when the local bytes are not the ones promised:
    // the remote script then deletes its temp file and fails, and we report the mismatch.
    const lines = async function* (): AsyncGenerator<Buffer> {
      for await (const raw of createReadStream(localPath, { highWaterMark: chunkBytes })) {
        const chunk = raw as Buffer;
        hash.update(chunk);
        yield Buffer.from(chunk.toString('base64') + '\n', 'latin1');
        sent += chunk.length;
        opts.onProgress?.(sent);
      }
      local = hash.digest('hex');
      if (local === want) yield Buffer.from('.\n');
    };
    const size = statSync(localPath).size;
    const r = await this.run(launch({ script: 'upload.ps1', params: { Dest: remotePath, Sha256: want } }, lines()), { timeoutMs: uploadTimeout(size), maxOutputBytes: 64 * 1024 });
    if (local !== want) throw new TransportError('remote-command', `upload: ${localPath} has sha256 ${local}, not the expected ${want}`, { retryable: false });
    const ok = /^ok (\d+) ([0-9a-f]{64})\s*$/m.exec(r.stdout);
    if (r.exitCode !== 0 || !ok || ok[2] !== want)
      throw new TransportError('remote-command', `${this.o.label}: upload to ${remotePath} failed (exit ${r.exitCode}): ${oneLine(readableStderr(r.stderr) || r.stdout)}`);
    return { bytes: Number(ok[1]) };
  }

  async download(remotePath: string, localPath: string, opts: { maxBytes: number }): Promise<{ bytes: number; sha256: string }> {
    mkdirSync(dirname(localPath), { recursive: true });
    const tmp = `${localPath}.part-${randomBytes(6).toString('hex')}`;
    const file = createWriteStream(tmp);
    const reader = new Base64Lines(file, opts.maxBytes);
    try {
      const r = await this.run(
        launch({ script: 'download.ps1', params: { Path: remotePath, MaxBytes: Math.floor(opts.maxBytes) } }, []),
        { timeoutMs: uploadTimeout(opts.maxBytes), maxOutputBytes: 0, onStdout: (s) => reader.push(s) },
      );
      await reader.end();
      const err = oneLine(readableStderr(r.stderr));
      if (r.exitCode === DOWNLOAD_TOO_LARGE) throw new TransportError('too-large', `${this.o.label}: ${remotePath} is larger than ${opts.maxBytes} bytes (${err})`, { retryable: false });
      if (r.exitCode !== 0) throw new TransportError('remote-command', `${this.o.label}: download of ${remotePath} failed (exit ${r.exitCode}): ${err}`);
      const got = reader.result();
      renameSync(tmp, localPath);
      return got;
    } catch (e) {
      file.destroy();
      rmSync(tmp, { force: true });
      throw e;
    }
  }

  async close(): Promise<void> {
    const shell = this.shell;
    this.shell = undefined;
    if (shell) await (await shell.catch(() => undefined))?.delete().catch(() => undefined);
    this.http.close();
  }
}

/** The launcher with the call as its first stdin line and the caller's input after it. */
export function launch(call: RemoteCommand, input: AsyncIterable<Buffer> | Buffer[]): RunInput {
  const head = launcherInput(call);
  const stdin = Array.isArray(input)
    ? [head, ...input]
    : (async function* () {
        yield head;
        yield* input;
      })();
  return { command: POWERSHELL, args: launcherArguments(), stdin };
}

// Upload/download limits: generous for a slow WAN (64 KB/s) with a 2-minute floor.
function uploadTimeout(bytes: number): number {
  return 120_000 + Math.ceil(bytes / 64);
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 500) || '(no output)';
}

/** Keeps up to `keep` bytes of a stream and forwards decoded text as it arrives. */
class Collector {
  private parts: Buffer[] = [];
  private size = 0;
  private decoder = new StringDecoder('utf8');
  constructor(
    private readonly keep: number,
    private readonly onText?: (s: string) => void,
  ) {}
  add(b: Buffer): void {
    if (!b.length) return;
    if (this.onText) {
      const s = this.decoder.write(b);
      if (s) this.onText(s);
    }
    if (this.size < this.keep) {
      const take = b.subarray(0, Math.min(b.length, this.keep - this.size));
      this.parts.push(take);
      this.size += take.length;
    }
  }
  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

/** Reads the download script's output: a "BYTES SHA256" line, then base64 lines to a file. */
class Base64Lines {
  private buf = '';
  private header: { bytes: number; sha256: string } | undefined;
  private bytes = 0;
  private hash = createHash('sha256');
  private failed: Error | undefined;
  constructor(
    private readonly file: WriteStream,
    private readonly maxBytes: number,
  ) {}
  push(text: string): void {
    this.buf += text;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) this.line(line);
    }
  }
  private line(line: string): void {
    if (this.failed) return;
    if (!this.header) {
      const m = /^(\d+) ([0-9a-f]{64})$/.exec(line);
      if (!m) return void (this.failed = new TransportError('protocol', `download: unexpected first line: ${line.slice(0, 100)}`));
      this.header = { bytes: Number(m[1]), sha256: m[2]! };
      return;
    }
    const chunk = Buffer.from(line, 'base64');
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return void (this.failed = new TransportError('too-large', `download: more than ${this.maxBytes} bytes arrived`, { retryable: false }));
    this.hash.update(chunk);
    this.file.write(chunk);
  }
  async end(): Promise<void> {
    if (this.buf.trim()) this.line(this.buf.trim());
    this.buf = '';
    await new Promise<void>((resolve, reject) => this.file.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  result(): { bytes: number; sha256: string } {
    if (this.failed) throw this.failed;
    if (!this.header) throw new TransportError('protocol', 'download: the remote side sent no header line');
    const sha256 = this.hash.digest('hex');
    if (this.bytes !== this.header.bytes || sha256 !== this.header.sha256)
      throw new TransportError('protocol', `download: got ${this.bytes} bytes with sha256 ${sha256}, the host announced ${this.header.bytes} bytes with ${this.header.sha256}`);
    return { bytes: this.bytes, sha256 };
  }
}

/** Connects and opens the remote shell, so bad credentials or certificates fail here. */
export async function connectWinRm(opts: WinRmConnectOptions): Promise<Transport> {
  const label = opts.label ?? `winrm://${opts.address}:${opts.port}`;
  if (!opts.https)
    throw new TransportError(
      'protocol',
      `${label}: WinRM over HTTP needs NTLM/Kerberos message encryption, which smtp-probe does not support yet; use the HTTPS listener (5986)`,
      { retryable: false },
    );
  const maxEnvelopeBytes = opts.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE;
  const chunkBytes = opts.chunkBytes ?? defaultChunkBytes(maxEnvelopeBytes);
  if (chunkBytes < 3 || maxEnvelopeBytes <= ENVELOPE_OVERHEAD)
    throw new TransportError('protocol', `${label}: maxEnvelopeBytes must exceed ${ENVELOPE_OVERHEAD} and chunkBytes be positive`, { retryable: false });
  const http = new WinRmHttp({
    address: opts.address,
    port: opts.port,
    username: opts.username,
    password: opts.password,
    auth: opts.auth,
    caFile: opts.caFile,
    thumbprint: opts.thumbprint,
    insecureSkipVerify: opts.insecureSkipVerify,
    connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
    label,
  });
  const t = new WinRmTransport(http, { operationTimeoutMs: opts.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT, maxEnvelopeBytes, chunkBytes, label });
  try {
    await t.openShell();
  } catch (err) {
    http.close();
    throw err;
  }
  return t;
}

// The SSH transport (ssh2): strict host key checking against a known_hosts file, key, agent
// or password login, commands with a hard time limit, and SFTP transfers that never leave a
// half-written file under its real name.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { open as openLocal, rename as renameLocal, rm as rmLocal } from 'node:fs/promises';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import ssh2, { type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { appendKnownHost, fingerprint, judgeHostKey, keyTypeOf, linesFor, readKnownHosts, type HostKeyVerdict } from './known-hosts.js';
import { sftpPath } from './remote-commands.js';
import { launcherCommandLine, launcherInput } from './scripts.js';
import { TransportError, type ExecOptions, type ExecResult, type RemoteCommand, type RemoteOs, type Transport } from './types.js';

const { Client, utils } = ssh2;
type SshClient = InstanceType<typeof Client>;

export interface SshConnectOptions {
  address: string;
  port: number;
  username: string;
  os: RemoteOs;
  auth: { kind: 'key'; privateKeyPath: string; passphrase?: string } | { kind: 'agent'; socket?: string } | { kind: 'password'; password: string };
  knownHostsPath: string;
  /** Trust and record a host seen for the first time; a changed key is refused all the same. */
  acceptNew: boolean;
  /** TCP connect, key exchange and login together. */
  connectTimeoutMs: number;
  keepaliveIntervalMs?: number;
  /** How messages name the host (default user@address:port). */
  label?: string;
}

const DEFAULT_MAX_OUTPUT = 1024 * 1024;
const CIPHERS = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes256-ctr', 'chacha20-poly1305@openssh.com'];
const WRITE_CHUNK = 64 * 1024;
const WRITES_IN_FLIGHT = 16;
const READ_CHUNK = 64 * 1024;

export async function connectSsh(opts: SshConnectOptions): Promise<Transport> {
  const label = opts.label ?? `${opts.username}@${opts.address}:${opts.port}`;
  const auth = authConfig(opts, label);
  let known: ReturnType<typeof readKnownHosts>;
  try {
    known = readKnownHosts(opts.knownHostsPath);
  } catch (err) {
    throw new TransportError('host-key-unknown', `${label}: cannot read ${opts.knownHostsPath} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`, { cause: err });
  }
  const mine = linesFor(known, opts.address, opts.port).filter((l) => !l.revoked);
  let refusal: TransportError | undefined;

  const hostVerifier = (key: Buffer): boolean => {
    const verdict = judgeHostKey(known, opts.address, opts.port, key);
    if (verdict.kind === 'known') return true;
    if (verdict.kind === 'unknown' && opts.acceptNew) {
      try {
        appendKnownHost(opts.knownHostsPath, opts.address, opts.port, key);
        return true;
      } catch (err) {
        refusal = new TransportError('host-key-unknown', `${label}: cannot record its host key in ${opts.knownHostsPath} (${(err as NodeJS.ErrnoException).code ?? 'unwritable'})`, { cause: err });
        return false;
      }
    }
    refusal = hostKeyError(verdict, key, label, opts);
    return false;
  };

  const client = new Client();
  const a = opts.auth;
  if (a.kind === 'password') {
    // Many sshd setups offer only keyboard-interactive for passwords (PAM): answer its prompts.
    client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => a.password)));
  }
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: TransportError) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(err);
    };
    client.once('ready', () => {
      settled = true;
      resolve();
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => fail(refusal ?? connectError(err, label, opts.connectTimeoutMs)));
    client.once('close', () => fail(refusal ?? new TransportError('reset', `${label}: connection closed before login completed`)));
    try {
      client.connect({
        host: opts.address,
        port: opts.port,
        username: opts.username,
        readyTimeout: opts.connectTimeoutMs,
        keepaliveInterval: opts.keepaliveIntervalMs ?? 15_000,
        keepaliveCountMax: 3,
        hostVerifier,
        // Ask first for the key types known_hosts holds, as ssh(1) does, so a host known by its
        // ed25519 key is not judged on an RSA key it could also offer.
        // AES-GCM first: OpenSSL does it in hardware, while ssh2's chacha20-poly1305 runs in
        // JavaScript unless its optional native add-on was built (npm skips install scripts).
        algorithms: { serverHostKey: preferKnownTypes(mine.map((l) => l.keyType)), cipher: CIPHERS },
        ...auth,
      } as ConnectConfig);
    } catch (err) {
      fail(new TransportError('auth', `${label}: ${(err as Error).message}`, { cause: err }));
    }
  });
  return new SshTransport(client, opts.os, label);
}

function authConfig(opts: SshConnectOptions, label: string): Partial<ConnectConfig> {
  const a = opts.auth;
  if (a.kind === 'password') return { password: a.password, tryKeyboard: true };
  if (a.kind === 'agent') {
    const agent = a.socket ?? process.env.SSH_AUTH_SOCK;
    if (!agent) throw new TransportError('auth', `${label}: agent login asked for, but no agent socket given and SSH_AUTH_SOCK is not set`);
    return { agent };
  }
  let privateKey: Buffer;
  try {
    privateKey = readFileSync(a.privateKeyPath);
  } catch (err) {
    throw new TransportError('auth', `${label}: cannot read private key ${a.privateKeyPath} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  // Parsed here so a wrong passphrase or a bad file reads as such, not as a refused login.
  const parsed = utils.parseKey(privateKey, a.passphrase);
  if (parsed instanceof Error) throw new TransportError('auth', `${label}: private key ${a.privateKeyPath}: ${parsed.message}`);
  return { privateKey, passphrase: a.passphrase };
}

const ALL_HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** Host key algorithms, those of the key types known_hosts holds for this host first. */
function preferKnownTypes(types: string[]): string[] {
  const wanted = new Set(types.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])));
  return [...ALL_HOST_KEY_ALGOS.filter((a) => wanted.has(a)), ...ALL_HOST_KEY_ALGOS.filter((a) => !wanted.has(a))];
}

function hostKeyError(v: HostKeyVerdict, key: Buffer, label: string, opts: SshConnectOptions): TransportError {
  const seen = `${keyTypeOf(key)} ${fingerprint(key)}`;
  const file = opts.knownHostsPath;
  if (v.kind === 'unknown') {
    return new TransportError(
      'host-key-unknown',
      `${label}: host key ${seen} is not in ${file}; check it out of band and add it, or rerun with --accept-new to trust it on first use`,
    );
  }
  if (v.kind === 'revoked') return new TransportError('host-key-mismatch', `${label}: host key ${seen} is marked @revoked in ${file} line ${v.line}; refusing`);
  if (v.kind === 'mismatch') {
    const where = v.lines.length === 1 ? `line ${v.lines[0]}` : `lines ${v.lines.join(', ')}`;
    return new TransportError(
      'host-key-mismatch',
      `${label}: HOST KEY CHANGED: the host presents ${seen} but ${file} ${where} holds ${v.knownFingerprints.join(', ')}; ` +
        `possible man-in-the-middle. If the host was reinstalled, remove the old entry (ssh-keygen -R '[${opts.address}]:${opts.port}' -f ${file}) and accept the new key`,
    );
  }
  return new TransportError('protocol', `${label}: host key check failed`);
}

function connectError(err: Error & { level?: string; code?: string }, label: string, timeoutMs: number): TransportError {
  const cause = { cause: err };
  if (err.level === 'client-timeout') return new TransportError('timeout', `${label}: no SSH login within ${timeoutMs} ms`, cause);
  if (err.level === 'client-authentication') return new TransportError('auth', `${label}: login refused (${err.message})`, cause);
  if (err.level === 'agent') return new TransportError('auth', `${label}: SSH agent: ${err.message}`, cause);
  if (err.level === 'client-socket' || err.level === 'client-dns') {
    if (err.code === 'ETIMEDOUT') return new TransportError('timeout', `${label}: TCP connect timed out`, cause);
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return new TransportError('reset', `${label}: connection reset during login`, cause);
    return new TransportError('unreachable', `${label}: cannot connect (${err.code ?? err.message})`, cause);
  }
  return new TransportError('protocol', `${label}: SSH handshake failed (${err.message})`, cause);
}

class SshTransport implements Transport {
  readonly kind = 'ssh';
  private sftpSession: Promise<SFTPWrapper> | undefined;
  /** Set once the connection is gone; every later or pending call fails with it. */
  private lost: TransportError | undefined;
  private readonly lostListeners = new Set<(err: TransportError) => void>();
  /** Pending SFTP requests: ssh2 never answers a request sent after its channel closed. */
  private readonly sftpWaiters = new Set<(err: TransportError) => void>();

  constructor(
    private readonly client: SshClient,
    readonly os: RemoteOs,
    private readonly label: string,
  ) {
    const onLost = (err: TransportError) => {
      if (this.lost) return;
      this.lost = err;
      for (const l of [...this.lostListeners, ...this.sftpWaiters]) l(err);
    };
    client.on('error', (err: Error & { level?: string }) =>
      onLost(err.level === 'client-timeout' ? new TransportError('timeout', `${label}: keepalive unanswered, connection dropped`, { cause: err }) : new TransportError('reset', `${label}: connection failed: ${err.message}`, { cause: err })),
    );
    client.on('close', () => onLost(new TransportError('reset', `${label}: connection closed`)));
  }

  async exec(command: RemoteCommand, o: ExecOptions): Promise<ExecResult> {
    // Windows OpenSSH runs commands through cmd.exe (8,191 characters at most): always the
    // short launcher, with the script and its parameters as the first line of stdin.
    if (this.os === 'linux' && typeof command !== 'string') throw new TransportError('protocol', `${this.label}: a PowerShell script call cannot run on a linux runner`, { retryable: false });
    const wire = this.os === 'windows' ? launcherCommandLine() : (command as string);
    const head = this.os === 'windows' ? launcherInput(command) : undefined;
    const started = performance.now();
    const cap = o.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    return new Promise<ExecResult>((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let exitCode: number | null = null;
      let done = false;
      const out = new Collector(cap, o.onStdout);
      const err = new Collector(cap, o.onStderr);
      const finish = (failure?: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        this.lostListeners.delete(onLost);
        if (failure) {
          if (channel) stopChannel(channel);
          return reject(failure);
        }
        resolve({ exitCode, stdout: out.text(), stderr: err.text(), durationMs: Math.round(performance.now() - started) });
      };
      const timer = setTimeout(() => finish(new TransportError('timeout', `${this.label}: command ran over ${o.timeoutMs} ms and was stopped`)), o.timeoutMs);
      const onAbort = () => finish(o.signal?.reason ?? new Error('aborted'));
      const onLost = (e: TransportError) => finish(e);
      if (o.signal?.aborted) return onAbort();
      o.signal?.addEventListener('abort', onAbort, { once: true });
      if (this.lost) return finish(this.lost);
      this.lostListeners.add(onLost);

      this.client.exec(wire, (e, ch) => {
        if (e) return finish(this.lost ?? new TransportError('reset', `${this.label}: cannot start a command: ${e.message}`, { cause: e }));
        channel = ch;
        if (done) return stopChannel(ch);
        ch.on('data', (b: Buffer) => out.push(b));
        ch.stderr.on('data', (b: Buffer) => err.push(b));
        if (head) ch.write(head);
        if (o.stdin !== undefined) ch.write(o.stdin);
        let exited = false;
        ch.on('exit', (code: number | null) => {
          exited = true;
          exitCode = typeof code === 'number' ? code : null;
        });
        ch.on('close', () => {
          out.end();
          err.end();
          // A channel that closes without an exit status may be the connection going down:
          // let the client's own close/error land first so that reads as a reset.
          if (exited) finish();
          else setImmediate(() => finish(this.lost));
        });
      });
    });
  }

  async upload(localPath: string, remotePath: string, opts: { sha256: string; onProgress?: (sentBytes: number) => void }): Promise<{ bytes: number }> {
    const sftp = await this.sftp();
    const target = sftpPath(this.os, remotePath);
    const temp = `${target}.part-${randomBytes(4).toString('hex')}`;
    // Keep the local permission bits on linux (an executable runtime stays executable).
    const mode = this.os === 'linux' ? statSync(localPath).mode & 0o777 : undefined;
    await this.mkdirs(sftp, posix.dirname(target));
    const local = await openLocal(localPath, 'r');
    let handle: Buffer | undefined;
    try {
      handle = await this.sftpCall<Buffer>(`create ${remotePath}`, (cb) => sftp.open(temp, 'w', mode === undefined ? {} : { mode }, cb));
      const hash = createHash('sha256');
      let sent = 0;
      // Several writes in flight: one write per round trip would crawl on a long link.
      const inFlight = new Set<Promise<void>>();
      let failed: unknown;
      for (;;) {
        const buf = Buffer.allocUnsafe(WRITE_CHUNK);
        const { bytesRead } = await local.read(buf, 0, WRITE_CHUNK, sent);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        hash.update(chunk);
        const at = sent;
        sent += bytesRead;
        const h = handle;
        const p: Promise<void> = this.sftpCall<void>(`write ${remotePath}`, (cb) => sftp.write(h, chunk, 0, chunk.length, at, (e) => cb(e)))
          .then(
            () => opts.onProgress?.(at + chunk.length),
            (e: unknown) => void (failed ??= e),
          )
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
        if (failed) throw failed;
      }
      await Promise.all(inFlight);
      if (failed) throw failed;
      const h = handle;
      handle = undefined;
      await this.sftpCall<void>(`close ${remotePath}`, (cb) => sftp.close(h, (e) => cb(e)));
      const digest = hash.digest('hex');
      if (digest !== opts.sha256.toLowerCase()) {
        throw new TransportError('protocol', `${this.label}: ${localPath} has sha256 ${digest}, expected ${opts.sha256}; not installed`, { retryable: false });
      }
      const st = await this.sftpCall<{ size: number }>(`stat ${remotePath}`, (cb) => sftp.stat(temp, cb));
      if (st.size !== sent) throw new TransportError('protocol', `${this.label}: ${remotePath} arrived with ${st.size} of ${sent} bytes`);
      await this.replace(sftp, temp, target, remotePath);
      return { bytes: sent };
    } catch (e) {
      // Leave nothing half-written behind (unless the connection itself is gone).
      const h = handle;
      if (h) await this.sftpCall<void>('close', (cb) => sftp.close(h, (x) => cb(x))).catch(() => {});
      await this.sftpCall<void>('remove', (cb) => sftp.unlink(temp, (x) => cb(x))).catch(() => {});
      throw e;
    } finally {
      await local.close();
    }
  }

  async download(remotePath: string, localPath: string, opts: { maxBytes: number }): Promise<{ bytes: number; sha256: string }> {
    const sftp = await this.sftp();
    const source = sftpPath(this.os, remotePath);
    const tooLarge = (what: string) => new TransportError('too-large', `${this.label}: ${remotePath} ${what}, over the ${opts.maxBytes}-byte limit; not fetched`);
    const st = await this.sftpCall<{ size: number }>(`stat ${remotePath}`, (cb) => sftp.stat(source, cb));
    if (st.size > opts.maxBytes) throw tooLarge(`is ${st.size} bytes`);
    const handle = await this.sftpCall<Buffer>(`open ${remotePath}`, (cb) => sftp.open(source, 'r', cb));
    const partial = `${localPath}.partial`;
    const local = await openLocal(partial, 'w');
    const hash = createHash('sha256');
    let got = 0;
    try {
      // Counted as it streams too: the file may grow after the stat.
      for (;;) {
        const buf = Buffer.allocUnsafe(READ_CHUNK);
        const n = await this.sftpCall<number>(`read ${remotePath}`, (cb) => sftp.read(handle, buf, 0, READ_CHUNK, got, (e, bytes) => cb(e, bytes)));
        if (n === 0) break;
        if (got + n > opts.maxBytes) throw tooLarge(`grew past ${got + n} bytes while being read`);
        const chunk = buf.subarray(0, n);
        await local.write(chunk);
        hash.update(chunk);
        got += n;
      }
      await local.close();
      await renameLocal(partial, localPath);
      return { bytes: got, sha256: hash.digest('hex') };
    } catch (e) {
      await local.close().catch(() => {});
      await rmLocal(partial, { force: true });
      throw e;
    } finally {
      sftp.close(handle, () => {});
    }
  }

  async close(): Promise<void> {
    if (this.lost) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => (this.client.destroy(), resolve()), 2000);
      this.client.once('close', () => (clearTimeout(t), resolve()));
      this.client.end();
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    if (this.lost) return Promise.reject(this.lost);
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((e, s) => {
        if (e) {
          this.sftpSession = undefined;
          return reject(this.lost ?? new TransportError('protocol', `${this.label}: SFTP unavailable (${e.message}); is the sftp subsystem enabled in sshd_config?`, { cause: e }));
        }
        s.on('close', () => {
          this.sftpSession = undefined;
          const err = this.lost ?? new TransportError('reset', `${this.label}: SFTP session closed`);
          for (const w of this.sftpWaiters) w(err);
        });
        resolve(s);
      });
    });
    return this.sftpSession;
  }

  /** One SFTP request as a promise; a dropped connection reads as such, not as an SFTP status. */
  private sftpCall<T>(what: string, start: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise<T>((resolve, reject) => {
      const gone = (e: TransportError) => reject(e);
      this.sftpWaiters.add(gone);
      start((err, value) => {
        this.sftpWaiters.delete(gone);
        if (!err) return resolve(value as T);
        if (this.lost) return reject(this.lost);
        reject(new TransportError('protocol', `${this.label}: SFTP ${what}: ${err.message}`, { cause: err }));
      });
    });
  }

  private async mkdirs(sftp: SFTPWrapper, dir: string): Promise<void> {
    if (dir === '/' || dir === '.' || /^\/[A-Za-z]:\/?$/.test(dir)) return;
    const isDir = () => this.sftpCall<boolean>(`stat ${dir}`, (cb) => sftp.stat(dir, (e, st) => cb(null, !e && st.isDirectory())));
    if (await isDir()) return;
    await this.mkdirs(sftp, posix.dirname(dir));
    await this.sftpCall<void>(`mkdir ${dir}`, (cb) => sftp.mkdir(dir, (e) => cb(e))).catch(async (e: unknown) => {
      // Another upload may have made it meanwhile.
      if (!(await isDir())) throw e;
    });
  }

  /** Renames over an existing file: posix-rename@openssh.com where offered, else remove then rename. */
  private async replace(sftp: SFTPWrapper, from: string, to: string, shown: string): Promise<void> {
    try {
      await this.sftpCall<void>(`rename ${shown}`, (cb) => sftp.ext_openssh_rename(from, to, (e) => cb(e)));
      return;
    } catch (e) {
      if (this.lost) throw this.lost;
      if (!(e instanceof TransportError) && !/not supported/i.test(String(e))) throw e;
    }
    await this.sftpCall<void>(`remove ${shown}`, (cb) => sftp.unlink(to, (e) => cb(e))).catch(() => {});
    await this.sftpCall<void>(`rename ${shown}`, (cb) => sftp.rename(from, to, (e) => cb(e)));
  }
}

/** Asks the remote process to stop, then drops the channel whether or not it listened. */
function stopChannel(ch: ClientChannel): void {
  try {
    ch.signal('TERM');
  } catch {
    /* channel already closing */
  }
  ch.close();
}

/** Decodes a stream as UTF-8 across chunk edges, streams it on, keeps the first `cap` bytes. */
class Collector {
  private readonly decoder = new StringDecoder('utf8');
  private readonly parts: string[] = [];
  private kept = 0;
  constructor(
    private readonly cap: number,
    private readonly onChunk?: (s: string) => void,
  ) {}
  push(b: Buffer): void {
    this.emit(this.decoder.write(b), b.length);
  }
  end(): void {
    this.emit(this.decoder.end(), 0);
  }
  private emit(s: string, bytes: number): void {
    if (!s) return;
    this.onChunk?.(s);
    if (this.kept >= this.cap) return;
    this.parts.push(this.kept + bytes > this.cap ? s.slice(0, this.cap - this.kept) : s);
    this.kept += bytes || Buffer.byteLength(s);
  }
  text(): string {
    return this.parts.join('');
  }
}

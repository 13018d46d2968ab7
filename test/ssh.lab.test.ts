// The SSH transport against real OpenSSH sshd instances on loopback: commands, SFTP,
// host key checking, and each way a connection can fail.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectSsh, type SshConnectOptions } from '../transport/ssh.js';
import type { Transport } from '../transport/types.js';
import { failure, tempDir } from './helpers.js';
import { freePort } from '../lab/ports.js';
import { makeKeyPair, startSshd, type LabSshd } from '../lab/sshd.js';

const lab = inject('lab');
let dir: string;
let key: { privateKeyPath: string; publicKey: string };
let a: LabSshd;
let b: LabSshd;
let knownHosts: string;

beforeAll(async () => {
  dir = tempDir('ssh-');
  key = makeKeyPair(dir, 'client');
  [a, b] = await Promise.all([
    startSshd({ dir, address: '127.0.1.1', authorizedKeys: [key.publicKey] }),
    startSshd({ dir, address: '127.0.1.2', authorizedKeys: [key.publicKey] }),
  ]);
  knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${a.knownHostsLine}\n${b.knownHostsLine}\n`);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

function opts(host: LabSshd, over: Partial<SshConnectOptions> = {}): SshConnectOptions {
  return {
    address: host.address,
    port: host.port,
    username: 'root',
    os: 'linux',
    auth: { kind: 'key', privateKeyPath: key.privateKeyPath },
    knownHostsPath: knownHosts,
    acceptNew: false,
    connectTimeoutMs: 5000,
    ...over,
  };
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** What `ssh-keygen -l` prints for a public key: the fingerprint an operator compares. */
function keygenFingerprint(pubLine: string): string {
  const f = join(dir, `fp-${randomBytes(3).toString('hex')}.pub`);
  writeFileSync(f, pubLine + '\n');
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', f]).toString().split(' ')[1]!;
}

describe('ssh transport: commands and files', () => {
  let t: Transport;
  beforeAll(async () => {
    t = await connectSsh(opts(a));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('streams output as it comes and returns the exit code', async () => {
    const seen: Array<{ s: string; at: number }> = [];
    const started = Date.now();
    const r = await t.exec('echo one; echo warn >&2; sleep 0.4; echo two; exit 7', {
      timeoutMs: 5000,
      onStdout: (s) => seen.push({ s, at: Date.now() - started }),
    });
    expect(r.exitCode).toBe(7);
    expect(r.stdout).toBe('one\ntwo\n');
    expect(r.stderr).toBe('warn\n');
    // "one" arrived before the command finished, not in one piece at the end.
    expect(seen[0]!.s).toBe('one\n');
    expect(r.durationMs - seen[0]!.at).toBeGreaterThanOrEqual(300);
  });

  it('keeps only maxOutputBytes of a stream but still streams it all', async () => {
    let streamed = 0;
    const r = await t.exec('head -c 100000 /dev/zero | tr "\\0" x', { timeoutMs: 5000, maxOutputBytes: 1000, onStdout: (s) => (streamed += s.length) });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toHaveLength(1000);
    expect(streamed).toBe(100_000);
  });

  it('uploads into new folders under a temp name, keeps the mode, and downloads the same bytes', async () => {
    const data = randomBytes(700_000);
    const local = join(dir, 'payload.bin');
    writeFileSync(local, data);
    chmodSync(local, 0o755);
    const remoteDir = join(a.dir, 'up', 'deep', 'er');
    const remote = join(remoteDir, 'payload.bin');
    const progress: number[] = [];
    const up = await t.upload(local, remote, { sha256: sha256(data), onProgress: (n) => progress.push(n) });
    expect(up.bytes).toBe(data.length);
    expect(progress.at(-1)).toBe(data.length);
    const remoteSum = await t.exec(`sha256sum ${remote} | cut -c1-64`, { timeoutMs: 5000 });
    expect(remoteSum.stdout.trim()).toBe(sha256(data));
    expect(statSync(remote).mode & 0o777).toBe(0o755);
    expect(readdirSync(remoteDir)).toEqual(['payload.bin']);

    // A second upload replaces the file in place.
    const data2 = randomBytes(1000);
    writeFileSync(local, data2);
    await t.upload(local, remote, { sha256: sha256(data2) });
    expect(sha256(readFileSync(remote))).toBe(sha256(data2));

    const back = join(dir, 'back.bin');
    const down = await t.download(remote, back, { maxBytes: 10_000 });
    expect(down).toEqual({ bytes: 1000, sha256: sha256(data2) });
    expect(readFileSync(back).equals(data2)).toBe(true);
  });

  it('refuses to install an upload whose bytes do not match the sha256 given', async () => {
    const local = join(dir, 'wrong.bin');
    writeFileSync(local, 'not what the caller thinks');
    const remote = join(a.dir, 'wrong', 'wrong.bin');
    const err = await failure(t.upload(local, remote, { sha256: '0'.repeat(64) }));
    expect(err.message).toMatch(/sha256/);
    expect(existsSync(remote)).toBe(false);
    expect(readdirSync(join(a.dir, 'wrong'))).toEqual([]);
  });

  it('refuses a download over maxBytes from its size, writing nothing', async () => {
    const remote = join(a.dir, 'big.bin');
    writeFileSync(remote, randomBytes(50_000));
    const local = join(dir, 'big-local.bin');
    const err = await failure(t.download(remote, local, { maxBytes: 10_000 }));
    expect(err.code).toBe('too-large');
    expect(existsSync(local)).toBe(false);
    expect(existsSync(`${local}.partial`)).toBe(false);
  });

  it('refuses a download that turns out larger than its size said, counting as it streams', async () => {
    // procfs files stat as 0 bytes yet read as more: the stat check alone would let this through.
    expect(statSync('/proc/cpuinfo').size).toBe(0);
    const local = join(dir, 'cpuinfo');
    const err = await failure(t.download('/proc/cpuinfo', local, { maxBytes: 200 }));
    expect(err.code).toBe('too-large');
    expect(err.message).toContain('while being read');
    expect(existsSync(local)).toBe(false);
    expect(existsSync(`${local}.partial`)).toBe(false);
    const ok = await t.download('/proc/cpuinfo', local, { maxBytes: 1_000_000 });
    expect(ok.bytes).toBe(readFileSync(local).length);
    expect(ok.bytes).toBeGreaterThan(200);
  });

  it('stops a command at its time limit with a timeout error; the connection stays usable', async () => {
    // (Whether the remote process dies is the deploy script's job: OpenSSH refuses signal
    // requests on root sessions, which is how the lab logs in; see test/ssh-deploy.lab.test.ts.)
    const started = Date.now();
    const err = await failure(t.exec('sleep 4 </dev/null >/dev/null 2>&1', { timeoutMs: 600 }));
    expect(err.code).toBe('timeout');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('600 ms');
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await t.exec('true', { timeoutMs: 5000 })).exitCode).toBe(0);
  });

  it('an aborted signal stops a command with the abort reason', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('worker shutting down')), 200);
    await expect(t.exec('sleep 4 </dev/null >/dev/null 2>&1', { timeoutMs: 10_000, signal: ac.signal })).rejects.toThrow('worker shutting down');
  });
});

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).toString().trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('ssh transport: host keys', () => {
  it('refuses a host missing from known_hosts, naming the file and the fingerprint', async () => {
    const empty = join(dir, 'known_hosts.empty');
    writeFileSync(empty, `${b.knownHostsLine}\n`);
    const err = await failure(connectSsh(opts(a, { knownHostsPath: empty })));
    expect(err.code).toBe('host-key-unknown');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(empty);
    expect(err.message).toContain(keygenFingerprint(a.hostKeyPub));
    expect(err.message).toContain('--accept-new');
    expect(readFileSync(empty, 'utf8')).toBe(`${b.knownHostsLine}\n`);
  });

  it('with --accept-new records the key, connects, and the next strict connect passes', async () => {
    const fresh = join(dir, 'new', 'known_hosts');
    const t1 = await connectSsh(opts(a, { knownHostsPath: fresh, acceptNew: true }));
    expect((await t1.exec('true', { timeoutMs: 5000 })).exitCode).toBe(0);
    await t1.close();
    expect(readFileSync(fresh, 'utf8')).toBe(`${a.knownHostsLine}\n`);
    // The line is one OpenSSH itself finds.
    expect(execFileSync('ssh-keygen', ['-F', `[${a.address}]:${a.port}`, '-f', fresh]).toString()).toContain(a.hostKeyPub);
    const t2 = await connectSsh(opts(a, { knownHostsPath: fresh }));
    await t2.close();
  });

  it('refuses a changed host key even with --accept-new, saying which line and both fingerprints', async () => {
    const changed = join(dir, 'known_hosts.changed');
    // Host a's name with host b's key: what a reinstalled host or a man in the middle looks like.
    writeFileSync(changed, `# fleet\n${b.knownHostsLine}\n[${a.address}]:${a.port} ${b.hostKeyPub}\n`);
    const err = await failure(connectSsh(opts(a, { knownHostsPath: changed, acceptNew: true })));
    expect(err.code).toBe('host-key-mismatch');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`${changed} line 3`);
    expect(err.message).toContain(keygenFingerprint(a.hostKeyPub));
    expect(err.message).toContain(keygenFingerprint(b.hostKeyPub));
    expect(readFileSync(changed, 'utf8').split('\n')).toHaveLength(4);
  });

  it('accepts a hashed known_hosts (ssh-keygen -H) and refuses a key marked @revoked', async () => {
    const hashed = join(dir, 'known_hosts.hashed');
    writeFileSync(hashed, `${a.knownHostsLine}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
    expect(readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/);
    await (await connectSsh(opts(a, { knownHostsPath: hashed }))).close();

    const revoked = join(dir, 'known_hosts.revoked');
    writeFileSync(revoked, `${a.knownHostsLine}\n@revoked * ${a.hostKeyPub}\n`);
    const err = await failure(connectSsh(opts(a, { knownHostsPath: revoked })));
    expect(err.code).toBe('host-key-mismatch');
    expect(err.message).toMatch(/@revoked .* line 2/);
  });
});

describe('ssh transport: failures to connect', () => {
  it('a key the host does not accept is an auth failure, not retried', async () => {
    const other = makeKeyPair(dir, 'stranger');
    const err = await failure(connectSsh(opts(a, { auth: { kind: 'key', privateKeyPath: other.privateKeyPath } })));
    expect(err.code).toBe('auth');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`root@${a.address}:${a.port}`);
  });

  it('logs in through a real ssh-agent holding the key', async () => {
    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      await expect.poll(() => existsSync(sock)).toBe(true);
      execFileSync('ssh-add', ['-q', key.privateKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const t = await connectSsh(opts(a, { auth: { kind: 'agent', socket: sock } }));
      expect((await t.exec('echo via-agent', { timeoutMs: 5000 })).stdout).toBe('via-agent\n');
      await t.close();
    } finally {
      agent.kill();
    }
  });

  it('a missing key file or an absent agent is an auth failure with the reason', async () => {
    const e1 = await failure(connectSsh(opts(a, { auth: { kind: 'key', privateKeyPath: join(dir, 'nope') } })));
    expect(e1.code).toBe('auth');
    expect(e1.message).toContain('ENOENT');
    const e2 = await failure(connectSsh(opts(a, { auth: { kind: 'agent', socket: join(dir, 'no-agent.sock') } })));
    expect(e2.code).toBe('auth');
  });

  it('a host where nothing listens is unreachable (retryable)', async () => {
    const port = await freePort(['127.0.1.3']);
    const err = await failure(connectSsh({ ...opts(a), address: '127.0.1.3', port }));
    expect(err.code).toBe('unreachable');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('a host that accepts TCP but never speaks SSH times out', async () => {
    const started = Date.now();
    const err = await failure(connectSsh({ ...opts(a), address: lab.blackhole.host, port: lab.blackhole.port, connectTimeoutMs: 700 }));
    expect(err.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a host that goes down mid-session fails the running command and upload with reset, without hanging', async () => {
    const c = await startSshd({ dir, address: '127.0.1.4', authorizedKeys: [key.publicKey] });
    writeFileSync(knownHosts, `${c.knownHostsLine}\n`, { flag: 'a' });
    const t = await connectSsh(opts(c));
    const running = t.exec('sleep 5', { timeoutMs: 10_000 });
    // This Node binary (~100 MB): still in flight when the host goes.
    const big = process.execPath;
    const uploading = t.upload(big, join(c.dir, 'big'), { sha256: '0'.repeat(64) });
    await expect.poll(() => childrenOf(c.pid).length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100));
    // The listener, then the per-connection process serving us (its child): the host is gone.
    const sessions = childrenOf(c.pid);
    c.kill();
    for (const pid of sessions) process.kill(pid, 'SIGKILL');
    const [e1, e2] = await Promise.all([failure(running), failure(uploading)]);
    expect(e1.code).toBe('reset');
    expect(e2.code).toBe('reset');
    expect(e1.retryable).toBe(true);
    await failure(t.exec('true', { timeoutMs: 1000 }));
    await t.close();
  });
});

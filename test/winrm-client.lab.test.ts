// Our WinRM client against the lab endpoint over loopback HTTPS, whose powershell.exe is
// real PowerShell 7: the launcher, upload.ps1 and download.ps1 run as they are shipped.
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createServer as createHttpsServer } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectWinRm, type WinRmConnectOptions } from '../transport/winrm/index.js';
import { MAX_REPLY_BYTES } from '../transport/winrm/http.js';
import type { Transport } from '../transport/types.js';
import { makePki } from '../lab/ca.js';
import { freePort } from '../lab/ports.js';
import { startWinRmLab, type WinRmLab, type WinRmLabOptions } from '../lab/winrm-server.js';
import { failure, tempDir, unzip } from './helpers.js';

const USER = 'runner';
const PASS = 'S3cret-pass';
const HELLO = "Write-Output 'hello'\n[Console]::Error.WriteLine('warn')\nexit 3";
const SLEEP = 'Start-Sleep -Seconds 30';
const LONG = `# ${'padding '.repeat(1500)}\nWrite-Output 'long'`;

const lab = inject('lab');
const certPem = readFileSync(join(lab.dir, 'server.crt'), 'utf8');
const keyPem = readFileSync(join(lab.dir, 'server.key'), 'utf8');

async function endpoint(extra: Partial<WinRmLabOptions> = {}): Promise<WinRmLab> {
  return startWinRmLab({ certPem, keyPem, users: { [USER]: PASS }, ...extra });
}

function opts(ep: WinRmLab, extra: Partial<WinRmConnectOptions> = {}): WinRmConnectOptions {
  return { address: ep.host, port: ep.port, https: true, username: USER, password: PASS, auth: 'ntlm', caFile: lab.caFile, ...extra };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('WinRM client against the lab endpoint', () => {
  let ep: WinRmLab;
  let t: Transport;
  let dir: string;
  beforeAll(async () => {
    ep = await endpoint();
    t = await connectWinRm(opts(ep));
    dir = tempDir('winrm-');
  });
  afterAll(async () => {
    await t?.close();
    await ep?.stop();
  });

  it('exec returns exit code, stdout and stderr, and streams output', async () => {
    const seen: string[] = [];
    const r = await t.exec(HELLO, { timeoutMs: 10_000, onStdout: (s) => seen.push(s) });
    expect(t.os).toBe('windows');
    expect(t.kind).toBe('winrm');
    expect(r).toMatchObject({ exitCode: 3, stdout: 'hello\n', stderr: 'warn\n' });
    expect(seen.join('')).toBe('hello\n');
  });

  it('a script far past the cmd.exe line limit runs through the same short launcher', async () => {
    const before = ep.stats.commands;
    const r = await t.exec(LONG, { timeoutMs: 10_000 });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'long\n' });
    expect(ep.stats.commands - before).toBe(1);
  });

  it('a script that throws fails with exit 1 and its message on stderr', async () => {
    const r = await t.exec("throw 'no such thing'", { timeoutMs: 10_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/no such thing/);
  });

  it('uploads 3 MB through one PowerShell process, sha256-checked, atomically replacing the target', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const local = join(dir, 'payload.bin');
    writeFileSync(local, data);
    const remote = join(dir, 'remote', 'cache', 'payload.bin');
    const before = { ...ep.stats };
    const progress: number[] = [];
    const r = await t.upload(local, remote, { sha256: sha(data), onProgress: (n) => progress.push(n) });
    expect(r.bytes).toBe(data.length);
    expect(readFileSync(remote).equals(data)).toBe(true);
    expect(ep.stats.commands - before.commands).toBe(1);
    expect(progress.at(-1)).toBe(data.length);
    // Again with other content: the same path is replaced, no temp file is left behind.
    const data2 = randomBytes(1000);
    writeFileSync(local, data2);
    await t.upload(local, remote, { sha256: sha(data2) });
    expect(readFileSync(remote).equals(data2)).toBe(true);
    expect(readdirSync(join(dir, 'remote', 'cache'))).toEqual(['payload.bin']);
  });

  it('an upload the remote side cannot write gives TransportError remote-command with its error', async () => {
    const local = join(dir, 'small.bin');
    writeFileSync(local, 'abc');
    const err = await failure(t.upload(local, '/dev/null/cannot/x.bin', { sha256: sha(Buffer.from('abc')) }));
    expect(err.code).toBe('remote-command');
    expect(err.message).toMatch(/upload to \/dev\/null\/cannot\/x.bin failed \(exit 1\)/);
  });

  it('refuses an upload whose local bytes do not match the sha256 given, leaving no file', async () => {
    const local = join(dir, 'other.bin');
    writeFileSync(local, randomBytes(700_000)); // several chunks: the remote side has a temp file by then
    const remote = join(dir, 'remote', 'bad', 'other.bin');
    const err = await failure(t.upload(local, remote, { sha256: 'f'.repeat(64) }));
    expect(err.code).toBe('remote-command');
    expect(err.message).toMatch(/has sha256 [0-9a-f]{64}, not the expected f{64}/);
    expect(readdirSync(join(dir, 'remote', 'bad'))).toEqual([]);
  });

  it('downloads a result ZIP, verified by sha256, and refuses one over maxBytes', async () => {
    const zipPath = join(dir, 'result.zip');
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from('{"verdict":"ok"}'), 'probe_summary.json');
    zip.addBuffer(randomBytes(200_000), 'transcript.bin', { compress: false });
    const written = new Promise<void>((resolve) => zip.outputStream.pipe(createWriteStream(zipPath)).on('close', () => resolve()));
    zip.end();
    await written;
    const bytes = readFileSync(zipPath);
    const local = join(dir, 'fetched', 'result.zip');
    const r = await t.download(zipPath, local, { maxBytes: 10_000_000 });
    expect(r).toEqual({ bytes: bytes.length, sha256: sha(bytes) });
    expect((await unzip(local)).get('probe_summary.json')?.toString()).toBe('{"verdict":"ok"}');
    const small = join(dir, 'fetched', 'small.zip');
    const err = await failure(t.download(zipPath, small, { maxBytes: 1000 }));
    expect(err.code).toBe('too-large');
    expect(existsSync(small)).toBe(false);
  });

  it('a command running past timeoutMs is terminated and gives TransportError timeout', async () => {
    const t0 = Date.now();
    const err = await failure(t.exec(SLEEP, { timeoutMs: 700 }));
    expect(err.code).toBe('timeout');
    expect(err.retryable).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    // The shell is still usable afterwards.
    expect((await t.exec(HELLO, { timeoutMs: 10_000 })).exitCode).toBe(3);
  });

  it('an abort signal cuts a waiting Receive short; the transport reconnects for the next command', async () => {
    const ac = new AbortController();
    const reason = new Error('job cancelled');
    setTimeout(() => ac.abort(reason), 300);
    const t0 = Date.now();
    await expect(t.exec(SLEEP, { timeoutMs: 60_000, signal: ac.signal })).rejects.toBe(reason);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((await t.exec(HELLO, { timeoutMs: 10_000 })).stdout).toBe('hello\n');
  });
});

describe('WinRM client errors', () => {
  let ep: WinRmLab;
  beforeAll(async () => {
    ep = await endpoint({ maxShellsPerUser: 2 });
  });
  afterAll(() => ep.stop());

  it('a wrong password gives TransportError auth, with NTLM and with Basic', async () => {
    for (const auth of ['ntlm', 'basic'] as const) {
      const err = await failure(connectWinRm(opts(ep, { auth, password: 'nope' })));
      expect(err.code).toBe('auth');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain(`${auth} login of runner`);
      expect(err.message).not.toContain('nope');
    }
  });

  it('a certificate from another CA gives TransportError tls; a pinned sha256 thumbprint is accepted instead', async () => {
    const other = makePki(tempDir('winrm-ca-'));
    const err = await failure(connectWinRm(opts(ep, { caFile: other.caCert })));
    expect(err.code).toBe('tls');
    const thumb = new X509Certificate(certPem).fingerprint256; // AB:CD:... form
    const pinned = await connectWinRm(opts(ep, { caFile: undefined, thumbprint: thumb }));
    await pinned.close();
    const wrong = await failure(connectWinRm(opts(ep, { caFile: undefined, thumbprint: 'ab'.repeat(32) })));
    expect(wrong.code).toBe('tls');
    expect(wrong.message).toMatch(/thumbprint mismatch/);
    // The SHA-1 Thumbprint Windows shows works too (the inventory accepts it), and a wrong one fails.
    const sha1 = new X509Certificate(certPem).fingerprint.replace(/:/g, '');
    await (await connectWinRm(opts(ep, { caFile: undefined, thumbprint: sha1 }))).close();
    expect((await failure(connectWinRm(opts(ep, { caFile: undefined, thumbprint: 'cd'.repeat(20) })))).message).toMatch(/thumbprint mismatch/);
  });

  it('turning validation off is possible only explicitly, and warns loudly', async () => {
    const other = makePki(tempDir('winrm-ca2-'));
    const warned: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warned.push(`${w.code}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      expect((await failure(connectWinRm(opts(ep, { caFile: other.caCert, insecureSkipVerify: false })))).code).toBe('tls');
      const t = await connectWinRm(opts(ep, { caFile: undefined, insecureSkipVerify: true, username: 'LAB\\runner' }));
      await t.close();
      await new Promise((r) => setImmediate(r));
      expect(warned.join('\n')).toMatch(/SMTP_PROBE_WINRM_INSECURE: .*validation is OFF/);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a SOAP fault (shell gone after a service restart) gives TransportError protocol with the fault reason', async () => {
    const t = await connectWinRm(opts(ep));
    ep.dropShells();
    const err = await failure(t.exec(HELLO, { timeoutMs: 5000 }));
    expect(err.code).toBe('protocol');
    expect(err.message).toMatch(/shell was not found on the server.*w:InvalidSelectors, 2150858843/);
    await t.close();
  });

  it('an envelope over the host MaxEnvelopeSize gives TransportError too-large', async () => {
    const small = await endpoint({ maxEnvelopeBytes: 64 * 1024 });
    try {
      const t = await connectWinRm(opts(small, { maxEnvelopeBytes: 512_000 }));
      const local = join(tempDir('winrm-env-'), 'big.bin');
      const data = randomBytes(400_000);
      writeFileSync(local, data);
      const err = await failure(t.upload(local, `${local}.remote`, { sha256: sha(data) }));
      expect(err.code).toBe('too-large');
      expect(err.message).toMatch(/exceeds the host's MaxEnvelopeSize.*w:EncodingLimit, 2150859025/);
      await t.close();
    } finally {
      await small.stop();
    }
  });

  it('the shells-per-user quota gives TransportError quota (retryable)', async () => {
    const a = await connectWinRm(opts(ep));
    const b = await connectWinRm(opts(ep, { auth: 'basic' }));
    const err = await failure(connectWinRm(opts(ep)));
    expect(err.code).toBe('quota');
    expect(err.retryable).toBe(true);
    await a.close();
    await b.close();
    await (await connectWinRm(opts(ep))).close(); // Delete freed the slots
  });

  it('a listener that never completes the handshake gives TransportError timeout within connectTimeoutMs', async () => {
    const t0 = Date.now();
    const err = await failure(connectWinRm(opts(ep, { address: lab.blackhole.host, port: lab.blackhole.port, connectTimeoutMs: 500 })));
    expect(err.code).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('refused connection, plain HTTP and an unsupported thumbprint are clear errors', async () => {
    const port = await freePort(['127.0.0.1']);
    expect((await failure(connectWinRm(opts(ep, { port })))).code).toBe('unreachable');
    const http = await failure(connectWinRm(opts(ep, { https: false })));
    expect(http.message).toMatch(/not support.*HTTPS/);
    expect((await failure(connectWinRm(opts(ep, { caFile: undefined, thumbprint: 'AB12' })))).message).toMatch(/SHA-256.*SHA-1/);
  });
});

describe('WinRM replies a worker must not believe (stand-in HTTPS peer)', () => {
  // A stand-in: no real WinRM host sends these; Node's HTTPS server plays the hostile peer.
  async function peer(answer: (res: ServerResponse) => void): Promise<{ port: number; close: () => void }> {
    const server = createHttpsServer({ cert: certPem, key: keyPem }, (req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, close: () => server.close() };
  }
  const basic = (port: number) => ({ address: '127.0.0.1', port, https: true, username: USER, password: PASS, auth: 'basic' as const, caFile: lab.caFile });

  it('a reply past MAX_REPLY_BYTES is dropped while it streams: TransportError too-large', async () => {
    let sent = 0;
    const p = await peer((res) => {
      res.writeHead(200, { 'Content-Type': 'application/soap+xml' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const more = () => {
        while (sent <= MAX_REPLY_BYTES * 2 && res.write(chunk)) sent += chunk.length;
        if (sent <= MAX_REPLY_BYTES * 2) res.once('drain', more);
        else res.end();
      };
      res.on('error', () => undefined);
      more();
    });
    try {
      const err = await failure(connectWinRm(basic(p.port)));
      expect(err.code).toBe('too-large');
      expect(err.message).toMatch(/reply exceeds 16777216 bytes/);
      expect(sent).toBeLessThan(MAX_REPLY_BYTES * 2);
    } finally {
      p.close();
    }
  });

  it('a reply declaring a DTD (XXE, entity expansion) is not parsed: TransportError protocol', async () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&x;</s:Body></s:Envelope>';
    const p = await peer((res) => res.writeHead(200, { 'Content-Type': 'application/soap+xml' }).end(xxe));
    try {
      const err = await failure(connectWinRm(basic(p.port)));
      expect(err.code).toBe('protocol');
      expect(err.message).toMatch(/without a SOAP envelope/);
      expect(err.message).not.toMatch(/root:/);
    } finally {
      p.close();
    }
  });
});

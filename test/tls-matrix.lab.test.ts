// --tls-matrix against real TLS servers on loopback (Node's TLS server, limited to TLS 1.0/1.1,
// to TLS 1.3, or to two TLS 1.2 suites), each endpoint checked with openssl s_client as well:
// the matrix must agree with what OpenSSL's own client gets, version by version.
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki } from '../lab/ca.js';
import { TLS10_11_ONLY, TLS12_TWO_SUITES, TLS13_ONLY, startLimitedTls, type LimitedTls } from '../lab/tls-limited.js';
import { closeHard } from '../lab/ports.js';
import { startDns, type LabDns } from '../lab/dns-server.js';
import type { ProbeSummary } from '../payload/schema/summary.js';
import { readJson, runCli, runFolder, tempDir } from './helpers.js';
import { readFileSync } from 'node:fs';

const HOST = '127.0.0.1';
const FLAGS: Record<string, string> = { TLSv1: '-tls1', 'TLSv1.1': '-tls1_1', 'TLSv1.2': '-tls1_2', 'TLSv1.3': '-tls1_3' };

/** What openssl s_client gets for one pinned version: the negotiated protocol, or null. */
function sClient(port: number, version: string, starttls: boolean, cipher?: string): Promise<string | null> {
  const args = ['s_client', '-connect', `${HOST}:${port}`, FLAGS[version]!, '-servername', 'localhost', ...(starttls ? ['-starttls', 'smtp'] : [])];
  if (version !== 'TLSv1.3') args.push('-cipher', cipher ?? 'ALL:COMPLEMENTOFALL@SECLEVEL=0');
  return new Promise((resolve) => {
    const c = execFile('openssl', args, { timeout: 15_000 }, (_e, stdout) => {
      const proto = /^\s*Protocol\s*:\s*(\S+)/m.exec(stdout)?.[1] ?? /New, (TLSv[\d.]+),/.exec(stdout)?.[1];
      const ok = /Cipher is (?!\(NONE\))/.test(stdout) || /Cipher\s*:\s*(?!0000)\S+/.test(stdout);
      resolve(ok && proto ? proto : null);
    });
    c.stdin!.end('QUIT\r\n');
  });
}

let lastFolder = '';
async function matrixRun(port: number, mode: string, ca: string): Promise<ProbeSummary> {
  const out = tempDir('tlsm-');
  const r = await runCli(['probe', '--host', HOST, '--sni', 'localhost', '--port', `${port}:${mode}`, '--ca', ca, '--tls-matrix', '--out', out, '--timeout', '10s']);
  expect(r.stderr).toBe('');
  lastFolder = runFolder(out);
  return readJson<ProbeSummary>(join(lastFolder, 'probe_summary.json'));
}

const accepted = (s: ProbeSummary) => s.tls_matrix!.ports[0]!.versions.filter((v) => v.status === 'accepted').map((v) => v.version);

describe('--tls-matrix', () => {
  let old: LimitedTls, modern: LimitedTls, two: LimitedTls, pkiCa = '';
  beforeAll(async () => {
    const pki = makePki(tempDir('tlsm-pki-'));
    pkiCa = pki.caCert;
    const keys = { key: pki.keyPem, cert: pki.certPem };
    old = await startLimitedTls(HOST, 'starttls', { ...TLS10_11_ONLY, ...keys });
    modern = await startLimitedTls(HOST, 'implicit', { ...TLS13_ONLY, ...keys });
    two = await startLimitedTls(HOST, 'implicit', { ...TLS12_TWO_SUITES, ...keys });
  });
  afterAll(async () => {
    for (const s of [old, modern, two]) if (s) await closeHard(s.server);
  });

  it('a TLS 1.0/1.1-only STARTTLS server: the same versions as openssl s_client, and the mismatch with this runtime flagged', async () => {
    const s = await matrixRun(old.port, 'starttls', pkiCa);
    const openssl: string[] = [];
    for (const v of Object.keys(FLAGS)) if (await sClient(old.port, v, true)) openssl.push(v);
    expect(openssl).toEqual(['TLSv1', 'TLSv1.1']);
    expect(accepted(s)).toEqual(openssl);
    const port = s.tls_matrix!.ports[0]!;
    expect(port.versions.find((v) => v.version === 'TLSv1.2')).toMatchObject({ status: 'refused' });
    expect(port.findings.map((f) => f.id)).toContain('tls-version-mismatch');
    expect(s.tls_matrix!.runtime.default_offer).not.toContain('TLSv1');
    expect(port.verification).toMatchObject({ name: 'localhost', authorized: true });
    // The finding names this runtime and its minimum, says it cannot negotiate, and rests on the handshakes.
    const f = port.findings.find((x) => x.id === 'tls-version-mismatch')!;
    const rt = s.tls_matrix!.runtime;
    expect(f.severity).toBe('error');
    expect(f.text).toContain(`127.0.0.1:${old.port} (starttls) accepts only TLSv1, TLSv1.1; this runtime (Node ${rt.node}, OpenSSL ${rt.openssl}) offers ${rt.default_offer.join(', ')} by default (minimum ${rt.default_min_version}), so it cannot negotiate TLS with this server`);
    expect(f.text).toMatch(/\.NET on a Windows build with TLS 1\.0\/1\.1 off, Java 8u291/);
    // Evidence: what each pinned handshake got, the server's refusal of TLS 1.2 included (OpenSSL's alert text).
    expect(f.evidence).toMatch(/^TLSv1 accepted \([A-Z0-9-]+[^)]*\); TLSv1\.1 accepted \([^)]+\); TLSv1\.2 refused: [^;]*(alert|version|handshake)[^;]*; TLSv1\.3 refused: /i);
    expect(f.next_step).toMatch(/^Enable TLS 1\.2 \(and 1\.3\) on the server or the middlebox/);
    // The bot's own attempt (runtime defaults) fails the handshake: the matrix explains why.
    expect(s.attempts[0]!.classification.class).toBe('tls');
    const md = readFileSync(join(lastFolder, 'report.md'), 'utf8');
    expect(md).toContain('## TLS matrix');
    expect(md).toContain(`- ⚠ **tls-version-mismatch** (error): ${f.text}. Evidence: ${f.evidence}. Next step: ${f.next_step}`);
    const html = readFileSync(join(lastFolder, 'report.html'), 'utf8');
    expect(html).toContain('<section id="tls-matrix"><h2>TLS matrix</h2>');
    expect(html).toContain('refused by the server (or a middlebox)');
  });

  it('a TLS 1.3-only implicit server: only TLSv1.3, with its suites, as openssl s_client', async () => {
    const s = await matrixRun(modern.port, 'implicit', pkiCa);
    const openssl: string[] = [];
    for (const v of Object.keys(FLAGS)) if (await sClient(modern.port, v, false)) openssl.push(v);
    expect(openssl).toEqual(['TLSv1.3']);
    expect(accepted(s)).toEqual(['TLSv1.3']);
    const v13 = s.tls_matrix!.ports[0]!.versions.find((v) => v.version === 'TLSv1.3')!;
    // OpenSSL's server default: the three TLS 1.3 suites every build enables.
    expect(v13.ciphers.map((c) => c.name).sort()).toEqual(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
    expect(v13.ciphers_complete).toBe(true);
    expect(s.tls_matrix!.ports[0]!.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(s.verdict.class).toBe('ok');
  });

  it('enumerates exactly the server\'s TLS 1.2 suites, each confirmed by openssl s_client -cipher', async () => {
    const s = await matrixRun(two.port, 'implicit', pkiCa);
    const v12 = s.tls_matrix!.ports[0]!.versions.find((v) => v.version === 'TLSv1.2')!;
    expect(v12.ciphers.map((c) => c.name).sort()).toEqual(['AES256-SHA', 'ECDHE-RSA-AES128-GCM-SHA256']);
    expect(v12.ciphers_complete).toBe(true);
    // Three handshakes: two accepted suites and the refusal that ends the list.
    expect(v12.handshakes).toBe(3);
    for (const c of v12.ciphers) expect(await sClient(two.port, 'TLSv1.2', false, `${c.name}@SECLEVEL=0`)).toBe('TLSv1.2');
    expect(await sClient(two.port, 'TLSv1.2', false, 'ECDHE-RSA-AES256-GCM-SHA384')).toBeNull();
  });

  it('runs on every address up to the cap: one address of the pool that accepts only TLS 1.0/1.1 is told apart, the capped one named', async () => {
    // mixed.lab.test: a modern and an old TLS terminator on the same port, two addresses where nothing listens, and a fifth past the cap.
    const pki = makePki(tempDir('tlsm-pool-'));
    const keys = { key: pki.keyPem, cert: pki.certPem };
    const good = await startLimitedTls('127.24.0.1', 'starttls', { minVersion: 'TLSv1.2', ...keys });
    let legacy: LimitedTls | null = null;
    let dns: LabDns | null = null;
    try {
      legacy = await startLimitedTls('127.24.0.2', 'starttls', { ...TLS10_11_ONLY, ...keys }, good.port);
      const pool = ['127.24.0.1', '127.24.0.2', '127.24.0.3', '127.24.0.4', '127.24.0.5'];
      dns = await startDns({ 'mixed.lab.test': { A: pool } });
      const out = tempDir('tlsm-');
      const r = await runCli(['probe', '--host', 'mixed.lab.test', '--resolver', `127.0.0.1:${dns.port}`, '--sni', 'localhost', '--port', `${good.port}:starttls`, '--ca', pki.caCert, '--tls-matrix', '--out', out, '--timeout', 'connect=3s']);
      expect(r.stderr).toBe('');
      const folder = runFolder(out);
      const s = readJson<ProbeSummary>(join(folder, 'probe_summary.json'));
      const m = s.tls_matrix!;
      expect(m.addresses).toEqual({ resolved: pool, probed: pool.slice(0, 4), cap: 4 });
      const acc = (ip: string) => m.ports.find((p) => p.ip === ip)!.versions.filter((v) => v.status === 'accepted').map((v) => v.version);
      expect(m.ports.map((p) => p.ip)).toEqual(pool.slice(0, 4));
      expect(acc('127.24.0.1')).toEqual(['TLSv1.2', 'TLSv1.3']);
      expect(acc('127.24.0.2')).toEqual(['TLSv1', 'TLSv1.1']);
      expect(m.ports.find((p) => p.ip === '127.24.0.3')!.versions.every((v) => v.status === 'unreachable')).toBe(true);
      expect(m.ports.find((p) => p.ip === '127.24.0.2')!.findings.map((f) => f.id)).toContain('tls-version-mismatch');
      // The unreachable addresses are a connection matter, not another TLS configuration.
      expect(m.findings).toEqual([expect.objectContaining({ id: 'tls-addresses-differ', where: String(good.port), evidence: '127.24.0.1: TLSv1.2 TLSv1.3; 127.24.0.2: TLSv1 TLSv1.1' })]);
      const md = readFileSync(join(folder, 'report.md'), 'utf8');
      expect(md).toContain(`Addresses: ${pool.slice(0, 4).join(', ')}; capped at 4: not probed 127.24.0.5.`);
      expect(md).toContain(`- ⚠ **tls-addresses-differ** (error): port ${good.port}/starttls: the server's addresses accept different TLS versions`);
      expect(readFileSync(join(folder, 'report.html'), 'utf8')).toContain('capped at 4: not probed 127.24.0.5.');
      expect(r.stdout).toContain(`tls matrix: 127.24.0.1:${good.port}: TLSv1.2 TLSv1.3; 127.24.0.2:${good.port}: TLSv1 TLSv1.1`);
    } finally {
      await closeHard(good.server);
      if (legacy) await closeHard(legacy.server);
      await dns?.close();
    }
  }, 120_000);

  it('agrees with testssl.sh --protocols where testssl is installed', async () => {
    const testssl = spawnSync('sh', ['-c', 'command -v testssl || command -v testssl.sh'], { encoding: 'utf8' }).stdout.trim();
    if (!testssl) return;
    const s = await matrixRun(old.port, 'starttls', pkiCa);
    const r = await new Promise<string>((resolve) => {
      execFile(testssl, ['--quiet', '--color', '0', '--warnings', 'off', '--protocols', '-t', 'smtp', `${HOST}:${old.port}`], { timeout: 120_000 }, (_e, stdout) => resolve(stdout));
    });
    const offered = (name: string) => new RegExp(`^\\s*${name.replace('.', '\\.')}\\s+offered`, 'm').test(r);
    expect(offered('TLS 1.2') || offered('TLS 1.3')).toBe(false);
    expect(accepted(s)).toEqual([offered('TLS 1') ? 'TLSv1' : null, offered('TLS 1.1') ? 'TLSv1.1' : null].filter(Boolean));
  }, 150_000);
});

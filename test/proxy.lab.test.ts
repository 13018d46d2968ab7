// The probe through real proxies on loopback: squid (HTTP CONNECT, open, Basic auth, a
// CONNECT deny rule), tinyproxy (CONNECT, open) and dante (SOCKS5 without auth, and with username auth against a
// throwaway system user), to the lab Postfix. `--proxy auto` is tested with the direct
// path blackholed: our own DNS sends lab.smtp-probe.test to 127.0.0.8 where a listener
// never accepts, while squid's own hosts file sends it to the Postfix on 127.0.0.1.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProbeSummarySchema, type ProbeSummary } from '../payload/schema/summary.js';
import { filesUnder, runCli, runFolder, tempDir, unzip } from './helpers.js';
import { startDns, type LabDns } from '../lab/dns-server.js';
import { startBlackhole, type Blackhole } from '../lab/faults.js';
import { addSystemUser, proxiesAvailable, startDante, startSquid, startTinyproxy, type LabDante, type LabSquid, type LabTinyproxy } from '../lab/proxies.js';

const lab = inject('lab');
const SOCKS_USER = 'smtpprobe-px';
const SOCKS_PASSWORD = 'Dante-lab-' + Math.random().toString(36).slice(2, 10);
const b64 = (s: string) => Buffer.from(s).toString('base64');

let squid: LabSquid;
let tinyproxy: LabTinyproxy;
let dante: LabDante;
let danteAuth: LabDante;
let dns: LabDns;
let blackhole: Blackhole;
let removeUser: () => void = () => {};

beforeAll(async () => {
  if (!proxiesAvailable()) throw new Error('proxy lab: squid and dante-server are required (apt-get install squid dante-server), run as root');
  const dir = tempDir('proxies-');
  // The denied port is a real listener (Postfix's implicit-TLS port), so 403 and 0x02 are the ACL's doing.
  const denied = lab.postfix.implicitPort;
  squid = await startSquid({ deniedPort: denied, hosts: '127.0.0.1 lab.smtp-probe.test' });
  tinyproxy = await startTinyproxy();
  removeUser = addSystemUser(SOCKS_USER, SOCKS_PASSWORD);
  dante = await startDante(join(dir, 'dante'), { method: 'none', blockedPort: denied });
  danteAuth = await startDante(join(dir, 'dante-auth'), { method: 'username', blockedPort: denied });
  dns = await startDns({ 'lab.smtp-probe.test': { A: ['127.0.0.8'], ttl: 60 } });
  blackhole = await startBlackhole('127.0.0.8', lab.postfix.starttlsPort);
}, 60_000);

afterAll(async () => {
  squid?.stop();
  tinyproxy?.stop();
  dante?.stop();
  danteAuth?.stop();
  blackhole?.stop();
  await dns?.close();
  removeUser();
});

async function probe(args: string[], env: Record<string, string> = {}, trustLab = true) {
  const out = tempDir();
  const r = await runCli(['probe', '--json', '--out', out, '--ehlo-name', 'probe.lab.test', ...(trustLab ? ['--ca', lab.caFile] : []), ...args], env);
  const summary = r.stdout ? ProbeSummarySchema.parse(JSON.parse(r.stdout)) : (null as unknown as ProbeSummary);
  return { ...r, out, summary, folder: summary ? runFolder(out) : '' };
}

/** Every output file, every ZIP entry, stdout and stderr: none may hold a planted secret. */
async function expectNoSecret(run: { out: string; stdout: string; stderr: string }, secrets: string[]): Promise<void> {
  const folder = runFolder(run.out);
  const files = filesUnder(folder);
  const texts = files.filter((f) => !f.endsWith('.zip')).map((f) => [f, readFileSync(join(folder, f), 'latin1')] as const);
  const zipped = [...(await unzip(join(folder, 'attachments/all_files.zip'))).entries()].map(([n, b]) => [`zip:${n}`, b.toString('latin1')] as const);
  expect(zipped.length).toBe(texts.length);
  for (const [name, t] of [...texts, ...zipped, ['stdout', run.stdout] as const, ['stderr', run.stderr] as const]) {
    for (const s of secrets) expect(t.includes(s), `${name} holds a planted secret (${s.slice(0, 6)}…)`).toBe(false);
  }
}

const postfix = () => ['--host', '127.0.0.1', '--port', `${lab.postfix.starttlsPort}:starttls`];

describe('HTTP CONNECT through squid', () => {
  it('is ok without auth, with the proxy connect and tunnel timed apart', async () => {
    const { code, summary, folder } = await probe([...postfix(), '--proxy', `http://127.0.0.1:${squid.openPort}`]);
    expect(summary.verdict.class).toBe('ok');
    expect(code).toBe(0);
    expect(summary.schema_version).toBe(3);
    const a = summary.attempts[0]!;
    expect(a.path).toBe('proxy');
    expect(a.proxy).toMatchObject({ kind: 'http', proxy: `http://127.0.0.1:${squid.openPort}`, destination: `127.0.0.1:${lab.postfix.starttlsPort}`, resolved_by: 'local', reply_code: 200, failed_step: null });
    expect(a.proxy!.reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(a.proxy!.connect_ms).toBeGreaterThan(0);
    expect(a.proxy!.tunnel_ms).toBeGreaterThan(0);
    expect(a.tcp.connect_ms).toBeGreaterThanOrEqual(a.proxy!.connect_ms! + a.proxy!.tunnel_ms! - 1);
    expect(a.smtp.banner?.lines[0]).toMatch(/ESMTP Postfix/);
    expect(summary.settings.proxy).toMatchObject({ mode: 'explicit', kind: 'http', source: '--proxy', password_from: null });
    const transcript = readFileSync(join(folder, a.transcript_file), 'utf8');
    expect(transcript).toContain(`through HTTP CONNECT proxy 127.0.0.1:${squid.openPort}`);
    expect(transcript).toMatch(/proxy: HTTP\/1\.1 200 /);
    expect(readFileSync(join(folder, 'report.md'), 'utf8')).toContain('## Proxy');
  });

  it('is ok through tinyproxy too, a second CONNECT implementation', async () => {
    const { code, summary } = await probe([...postfix(), '--proxy', `http://127.0.0.1:${tinyproxy.port}`]);
    expect(code).toBe(0);
    expect(summary.attempts[0]!.proxy?.reply).toMatch(/^HTTP\/1\.[01] 200 /);
  });

  it('is ok with Basic auth, the password from an env var or a file, and writes it nowhere', async () => {
    const viaEnv = await probe([...postfix(), '--proxy', `http://${squid.user}@127.0.0.1:${squid.authPort}`, '--proxy-password-env', 'LAB_PROXY_PW'], { LAB_PROXY_PW: squid.password });
    expect(viaEnv.summary.verdict.class).toBe('ok');
    expect(viaEnv.summary.settings.proxy?.password_from).toBe('env LAB_PROXY_PW');
    const file = join(lab.dir, 'proxy-password.txt');
    writeFileSync(file, `${squid.password}\n`, { mode: 0o600 });
    const viaFile = await probe([...postfix(), '--proxy', `http://${squid.user}@127.0.0.1:${squid.authPort}`, '--proxy-password-file', file]);
    expect(viaFile.summary.verdict.class).toBe('ok');
    const secrets = [squid.password, b64(`${squid.user}:${squid.password}`)];
    await expectNoSecret(viaEnv, secrets);
    await expectNoSecret(viaFile, secrets);
  });

  it('says 407 when no credentials are sent, and when the password is wrong', async () => {
    const none = await probe([...postfix(), '--proxy', `http://127.0.0.1:${squid.authPort}`]);
    expect(none.code).toBe(16);
    expect(none.summary.verdict).toMatchObject({ class: 'proxy', hint_id: 'proxy-auth-required' });
    expect(none.summary.verdict.evidence).toMatch(/CONNECT 127\.0\.0\.1:\d+: HTTP\/1\.1 407 Proxy Authentication Required/);
    expect(none.summary.attempts[0]!.proxy).toMatchObject({ reply_code: 407, failed_step: 'proxy-auth' });
    const wrong = await probe([...postfix(), '--proxy', `http://${squid.user}@127.0.0.1:${squid.authPort}`, '--proxy-password-env', 'LAB_PROXY_PW'], { LAB_PROXY_PW: 'not-the-password-4711' });
    expect(wrong.code).toBe(16);
    expect(wrong.summary.verdict).toMatchObject({ class: 'proxy', hint_id: 'proxy-auth-failed' });
    expect(wrong.summary.verdict.evidence).toContain('407');
    await expectNoSecret(wrong, ['not-the-password-4711', b64(`${squid.user}:not-the-password-4711`)]);
  });

  it('says 403 when the proxy ACL refuses the CONNECT', async () => {
    const { code, summary } = await probe(['--host', '127.0.0.1', '--port', `${lab.postfix.implicitPort}:implicit`, '--proxy', `http://127.0.0.1:${squid.openPort}`]);
    expect(code).toBe(16);
    expect(summary.verdict).toMatchObject({ class: 'proxy', hint_id: 'proxy-forbidden' });
    expect(summary.verdict.evidence).toMatch(/HTTP\/1\.1 403 Forbidden/);
  });

  it('says the proxy cannot reach the server when squid gets a refusal upstream (503)', async () => {
    const { summary } = await probe(['--host', '127.0.0.7', '--port', String(lab.closedPort), '--proxy', `http://127.0.0.1:${squid.openPort}`]);
    expect(summary.verdict).toMatchObject({ class: 'proxy', hint_id: 'proxy-upstream-unreachable' });
    expect(summary.verdict.evidence).toMatch(/HTTP\/1\.1 50[234] /);
  });

  it('lets squid resolve a name it knows and this machine does not, and says so', async () => {
    const { summary } = await probe(['--host', 'lab.smtp-probe.test', '--port', `${lab.postfix.starttlsPort}:starttls`, '--proxy', `http://127.0.0.1:${squid.openPort}`]);
    expect(summary.verdict.class).toBe('ok');
    expect(summary.dns.source).toBe('proxy');
    expect(summary.dns.targets).toEqual([{ address: 'lab.smtp-probe.test', family: null }]);
    expect(summary.attempts[0]!.proxy?.resolved_by).toBe('proxy');
  });

  it('refuses a password in the --proxy URL with exit 2 and one line that does not repeat it', async () => {
    const r = await runCli(['probe', '--out', tempDir(), '--host', '127.0.0.1', '--proxy', `http://botsvc:Argv-S3cret@127.0.0.1:${squid.openPort}`]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--proxy must not carry a password');
    expect(r.stderr + r.stdout).not.toContain('Argv-S3cret');
  });
});

describe('SOCKS5 through dante', () => {
  it('is ok without auth, the name resolved here (socks5)', async () => {
    const { code, summary } = await probe(['--host', 'localhost', '--port', `${lab.postfix.starttlsPort}:starttls`, '--hosts-file', join(lab.dir, 'hosts'), '--proxy', `socks5://127.0.0.1:${dante.port}`]);
    expect(code).toBe(0);
    const a = summary.attempts[0]!;
    expect(a.ip).toBe('127.0.0.1');
    expect(a.proxy).toMatchObject({ kind: 'socks5', resolved_by: 'local', reply: 'SOCKS5 reply 0x00 succeeded', reply_code: 0 });
    expect(summary.dns.source).not.toBe('proxy');
  });

  it('is ok with socks5h: the proxy resolves the name, no DNS answer is invented here', async () => {
    const { code, summary, folder } = await probe(['--host', 'localhost', '--port', `${lab.postfix.starttlsPort}:starttls`, '--proxy', `socks5h://127.0.0.1:${dante.port}`]);
    expect(code).toBe(0);
    expect(summary.dns.source).toBe('proxy');
    expect(summary.dns.targets).toEqual([{ address: 'localhost', family: null }]);
    expect(summary.attempts[0]).toMatchObject({ ip: 'localhost', family: null, proxy: { resolved_by: 'proxy', destination: `localhost:${lab.postfix.starttlsPort}` } });
    const dnsFile = JSON.parse(readFileSync(join(folder, 'dns_resolution.json'), 'utf8')) as { resolvers: unknown[]; getaddrinfo: unknown; differences: string[] };
    expect(dnsFile.resolvers).toEqual([]);
    expect(dnsFile.getaddrinfo).toBeNull();
    expect(dnsFile.differences[0]).toContain('the proxy socks5h://127.0.0.1');
    expect(readFileSync(join(folder, 'report.md'), 'utf8')).toContain('Not resolved on this machine: the proxy resolves localhost');
  });

  it('is ok with username/password (a throwaway system user), and refuses a wrong one', async () => {
    const url = `socks5://${SOCKS_USER}@127.0.0.1:${danteAuth.port}`;
    const good = await probe([...postfix(), '--proxy', url, '--proxy-password-env', 'LAB_SOCKS_PW'], { LAB_SOCKS_PW: SOCKS_PASSWORD });
    expect(good.summary.verdict.class).toBe('ok');
    await expectNoSecret(good, [SOCKS_PASSWORD]);
    const bad = await probe([...postfix(), '--proxy', url, '--proxy-password-env', 'LAB_SOCKS_PW'], { LAB_SOCKS_PW: 'wrong-socks-pw' });
    expect(bad.code).toBe(16);
    expect(bad.summary.verdict).toMatchObject({ class: 'proxy', hint_id: 'proxy-auth-failed' });
    expect(bad.summary.attempts[0]!.proxy?.failed_step).toBe('proxy-auth');
    const none = await probe([...postfix(), '--proxy', `socks5://127.0.0.1:${danteAuth.port}`]);
    expect(none.summary.verdict).toMatchObject({ class: 'proxy', hint_id: 'proxy-socks-auth-method' });
  });

  it('reports the SOCKS reply code: 0x02 not allowed by ruleset, 0x05 connection refused', async () => {
    const ruled = await probe(['--host', '127.0.0.1', '--port', `${lab.postfix.implicitPort}:implicit`, '--proxy', `socks5://127.0.0.1:${dante.port}`]);
    expect(ruled.summary.verdict).toMatchObject({ class: 'proxy', hint_id: 'proxy-forbidden' });
    expect(ruled.summary.verdict.evidence).toContain('SOCKS5 reply 0x02 connection not allowed by ruleset');
    const refused = await probe(['--host', '127.0.0.7', '--port', String(lab.closedPort), '--proxy', `socks5://127.0.0.1:${dante.port}`]);
    expect(refused.summary.verdict).toMatchObject({ class: 'proxy', hint_id: 'proxy-upstream-unreachable' });
    expect(refused.summary.verdict.evidence).toContain('SOCKS5 reply 0x05 connection refused');
  });

  it('says the proxy is unreachable when nothing listens on the proxy port', async () => {
    const { summary } = await probe([...postfix(), '--proxy', `socks5://127.0.0.7:${lab.closedPort}`]);
    expect(summary.verdict).toMatchObject({ class: 'proxy', hint_id: 'proxy-unreachable' });
    expect(summary.attempts[0]!.proxy?.failed_step).toBe('proxy-connect');
  });
});

describe('TLS through a proxy that presents its own certificate', () => {
  // The proxies here pass TLS through untouched; what an intercepting proxy would serve is
  // played by the lab servers behind them (a lab-CA and a Zscaler-named chain for smtp.gmail.com).
  it('calls a smtp.gmail.com chain not from Google Trust Services, seen through the proxy, interception', async () => {
    const { code, summary } = await probe(['--host', 'smtp.gmail.com', '--resolver', lab.dns.spec, '--port', `${lab.gmail.implicitPort}:implicit`, '--proxy', `socks5://127.0.0.1:${dante.port}`], {}, false);
    expect(code).toBe(16);
    expect(summary.verdict).toMatchObject({ class: 'proxy', hint_id: 'proxy-tls-interception' });
    expect(summary.verdict.evidence).toMatch(/issuer O=smtp-probe lab, CN=smtp-probe Lab Root CA.*through socks5:\/\/127\.0\.0\.1:\d+: expected an issuer from Google Trust Services/);
  });

  it('names the inspection product when the chain carries its name', async () => {
    const { summary } = await probe(['--host', lab.faults.host, '--port', `${lab.faults.ports.zscaler}:implicit`, '--sni', 'smtp.gmail.com', '--proxy', `http://127.0.0.1:${squid.openPort}`]);
    expect(summary.verdict).toMatchObject({ class: 'proxy', hint_id: 'proxy-tls-interception' });
    expect(summary.verdict.evidence).toContain('issuer looks like Zscaler');
  });
});

describe('--proxy auto', () => {
  it('probes the blackholed direct path and the discovered proxy side by side and says what differs', async () => {
    const envUrl = `http://${squid.user}:${encodeURIComponent(squid.password)}@127.0.0.1:${squid.authPort}`;
    const run = await probe(['--host', 'lab.smtp-probe.test', '--resolver', dns.address + ':' + dns.port, '--port', `${lab.postfix.starttlsPort}:starttls`, '--timeout', 'connect=1s', '--proxy', 'auto'], { HTTPS_PROXY: envUrl, NO_PROXY: 'localhost,.corp.example' });
    const { code, summary, folder } = run;
    expect(code).toBe(16);
    expect(summary.verdict).toMatchObject({ class: 'proxy', hint_id: 'proxy-only-path' });
    expect(summary.comparison?.text).toBe(`direct: connect timeout; via proxy http://***@127.0.0.1:${squid.authPort}: ok (1/1)`);
    expect(summary.comparison).toMatchObject({ differs: true, direct: { ok: 0, attempts: 1 }, proxy: { ok: 1, attempts: 1, class: 'ok' } });
    expect(summary.attempts.map((a) => [a.path, a.ip])).toEqual([
      ['direct', '127.0.0.8'],
      ['proxy', 'lab.smtp-probe.test'],
    ]);
    expect(summary.settings.proxy).toMatchObject({ mode: 'auto', source: 'HTTPS_PROXY', password_from: 'HTTPS_PROXY', resolved_by: 'proxy' });
    expect(summary.proxy_discovery).toMatchObject({ no_proxy: 'localhost,.corp.example', no_proxy_covers_host: false, chosen: { source: 'HTTPS_PROXY' } });
    const env = JSON.parse(readFileSync(join(folder, 'env_snapshot.json'), 'utf8')) as { proxy_env: Record<string, string>; proxy_discovery: { candidates: Array<{ proxy: string }> } };
    expect(env.proxy_env.HTTPS_PROXY).toBe(`http://***:***@127.0.0.1:${squid.authPort}`);
    expect(env.proxy_discovery.candidates[0]!.proxy).toBe(`http://***@127.0.0.1:${squid.authPort}`);
    const report = readFileSync(join(folder, 'report.md'), 'utf8');
    expect(report).toContain(`**direct: connect timeout; via proxy http://***@127.0.0.1:${squid.authPort}: ok (1/1)**`);
    expect(report).toContain('| direct | 1 | 0 |');
    await expectNoSecret(run, [squid.user, squid.password, encodeURIComponent(squid.password), b64(`${squid.user}:${squid.password}`)]);
  });

  it('still probes through the proxy when this machine cannot resolve the name and the proxy can', async () => {
    // lab.dns knows smtp.gmail.com only: NXDOMAIN here; squid's hosts file knows the name.
    const { code, summary } = await probe(['--host', 'lab.smtp-probe.test', '--resolver', lab.dns.spec, '--port', `${lab.postfix.starttlsPort}:starttls`, '--proxy', 'auto'], { ALL_PROXY: `http://127.0.0.1:${squid.openPort}` });
    expect(code).toBe(16);
    expect(summary.verdict.hint_id).toBe('proxy-only-path');
    expect(summary.comparison?.direct).toMatchObject({ attempts: 0, class: 'dns', hint_id: 'dns-nxdomain' });
    expect(summary.comparison?.text).toMatch(new RegExp(`^direct: no attempt \\(dns nxdomain: .*\\); via proxy http://127\\.0\\.0\\.1:${squid.openPort}: ok \\(1/1\\)$`));
  });

  it('probes the direct path only, and says so, when no proxy is configured', async () => {
    const { code, summary, stdout } = await probe([...postfix(), '--proxy', 'auto']);
    expect(code).toBe(0);
    expect(summary.comparison).toBeNull();
    expect(summary.settings.proxy).toMatchObject({ mode: 'auto', proxy: null });
    expect(summary.attempts.every((a) => a.path === 'direct')).toBe(true);
    expect(stdout).toContain('"comparison": null');
  });
});

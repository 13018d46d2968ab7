// `smtp-probe diagnose` end to end against the loopback lab: the bot's saved configuration
// drives the probe, every collector runs for real on this Linux machine (checked against
// independent reads of the same facts), an SNTP server of our own reports a skewed clock,
// secrets planted in every source never reach the folder or the ZIP, the manifest matches
// the bytes, a run with no network at all (an unshare'd network namespace) still yields a
// complete ZIP that says so, and collectors that run out of time do not sink the run.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseResolvConf } from '../payload/diagnose/collectors/dns.js';
import { DIAGNOSE_SCHEMAS, type Aa, type Clock, type DnsSnapshot, type DiagnoseManifest, type NetworkSnapshot, type OsTls, type Proxy } from '../payload/schema/diagnose.js';
import { ProbeSummarySchema, type ProbeSummary } from '../payload/schema/summary.js';
import { startSntp, type LabSntp } from '../lab/sntp.js';
import { CLI, filesUnder, readJson, runCli, runFolder, tempDir, unzip } from './helpers.js';

const lab = inject('lab');
const DAY = 86_400_000;
const b64 = (s: string) => Buffer.from(s).toString('base64');

const CFG_PW = 'Cfg-Planted-Pw-4471';
const ENV_PW = 'EnvPlanted-Secret-991';
const PROXY_PW = 'Pr0xy-Planted-Pw';
const LOG_PROXY_PW = 'LogProxy-Pw-5523';
const LOG_PW = 'LogPlanted-Pw-8812';
const TOKEN = 'ya29.a0AfB_planted-log-token-Zq81';
const PLAIN_BLOB = b64(`\0bot@lab.test\0${LOG_PW}`);
const BASIC_BLOB = b64(`svc:${LOG_PW}`);
const LOGIN_PW_LINE = b64('LoginLine-Pw-3390');
// Secrets only the AA log holds (the run never learns them), in the forms bots and their
// libraries write: found by their form alone, in every file and ZIP entry.
const UNKNOWN = {
  xml: 'XmlAttr-Unknown-6610',
  conn: 'conn unknown 6611',
  bearer: 'BearerUnknown-6612.abcdef',
  flag: 'FlagUnknown-6613',
  prop: 'PropUnknown-6614',
  bare: 'BareProxy-6615',
  curl: 'CurlUnknown-6616',
  element: 'ElemUnknown-6617',
  quoted: 'quoted unknown & 6618',
};

function stamp(msAgo: number): string {
  return new Date(Date.now() - msAgo).toISOString();
}

describe('diagnose against the lab', () => {
  let sntp: LabSntp;
  let out = '';
  let folder = '';
  let code = -1;
  let stdout = '';
  const json = <T>(name: string) => readJson<T>(join(folder, name));

  beforeAll(async () => {
    sntp = await startSntp(2 * DAY);
    out = tempDir('diag-');
    const work = tempDir('diag-input-');
    const cfg = join(work, 'mail-settings.json');
    writeFileSync(cfg, JSON.stringify({ smtp: { server: 'smtp.gmail.com', port: lab.gmail.starttlsPort, ssl: 'STARTTLS', username: 'bot@lab.test', password: CFG_PW }, activity: 'Send invoices' }));
    mkdirSync(join(work, 'Logs'));
    writeFileSync(
      join(work, 'Logs', 'Bot_Launcher.log'),
      [
        `${stamp(3 * DAY)} INFO OLD-ENTRY-MARKER from three days ago`,
        `${stamp(600_000)} INFO Email: connecting to smtp.gmail.com:${lab.gmail.starttlsPort} password=${LOG_PW}`,
        `${stamp(590_000)} DEBUG headers Authorization: Basic ${BASIC_BLOB}`,
        `${stamp(580_000)} DEBUG C: AUTH PLAIN ${PLAIN_BLOB}`,
        `${stamp(570_000)} DEBUG C: AUTH LOGIN`,
        '334 UGFzc3dvcmQ6',
        LOGIN_PW_LINE,
        '535 5.7.8 Username and Password not accepted',
        `${stamp(560_000)} DEBUG token {"accessToken": "${TOKEN}"}`,
        `${stamp(550_000)} DEBUG mail.smtp.proxy=http://aauser:${LOG_PROXY_PW}@10.9.9.9:3128`,
        `${stamp(540_000)} DEBUG vault credential ${ENV_PW} and config ${CFG_PW} in plain text`,
        `${stamp(535_000)} DEBUG config <add key="SmtpPassword" value="${UNKNOWN.xml}"/> <Password>${UNKNOWN.element}</Password>`,
        `${stamp(534_000)} DEBUG db Server=sql1;User Id=bot;Password=${UNKNOWN.conn};Database=rpa`,
        `${stamp(533_000)} DEBUG request {"headers": {"Authorization": "Bearer ${UNKNOWN.bearer}"}}`,
        `${stamp(532_000)} DEBUG launched helper.exe --smtp-password ${UNKNOWN.flag} --port 587; curl -u bot:${UNKNOWN.curl} smtps://x`,
        `${stamp(531_500)} DEBUG props smtp.password : ${UNKNOWN.prop} proxy https_proxy=svc:${UNKNOWN.bare}@10.9.9.8:3128 password="${UNKNOWN.quoted}"`,
        `${stamp(530_000)} ERROR Email: Send failed: 535-5.7.8 Username and Password not accepted`,
        // The bot's last mail error: a JavaMail trace under its log line.
        `${stamp(520_000)} ERROR [EmailSend] Send invoices: email could not be sent`,
        'javax.mail.AuthenticationFailedException: 535-5.7.8 Username and Password not accepted. For more information, go to',
        '535 5.7.8  https://support.google.com/mail/?p=BadCredentials a1-2 - gsmtp',
        '',
        '\tat com.sun.mail.smtp.SMTPTransport$Authenticator.authenticate(SMTPTransport.java:947)',
        '\tat javax.mail.Transport.send(Transport.java:102)',
        `${stamp(510_000)} INFO Bot finished`,
        '',
      ].join('\n'),
    );
    const r = await runCli(
      ['diagnose', '--out', out, '--resolver', lab.dns.spec, '--ca', lab.caFile, '--aa-config', cfg, '--aa-logs', join(work, 'Logs', '*.log'), '--aa-run-id', 'RUN-42', '--aa-host', 'https://cr.lab.test', '--ntp', sntp.spec, '--since', '24h'],
      { HTTPS_PROXY: `http://proxyuser:${PROXY_PW}@127.0.0.9:3128`, AA_BOT_PASSWORD: ENV_PW },
    );
    ({ code, stdout } = r);
    folder = runFolder(out);
  });
  afterAll(() => sntp?.close());

  it('probes with the bot configuration and exits with the verdict code', () => {
    expect(code).toBe(0);
    const s = json<ProbeSummary>('probe_summary.json');
    expect(s.run.command).toBe('diagnose');
    expect(s.settings.ports).toEqual([{ port: lab.gmail.starttlsPort, mode: 'starttls' }]);
    expect(s.verdict.class).toBe('ok');
    expect(stdout).toMatch(/collectors: dns ok, network ok, clock ok, proxy ok, os-tls ok, aa ok/);
  });

  it('writes one schema-valid JSON per collector, and a manifest that matches every byte', () => {
    for (const [name, schema] of Object.entries(DIAGNOSE_SCHEMAS)) schema.parse(json(`${name}.json`));
    // The probe's own summary went through the redactor too, and is still valid: its EHLO
    // capability line (250-AUTH ...) used to lose its closing quote there.
    const summary = ProbeSummarySchema.parse(JSON.parse(readFileSync(join(folder, 'probe_summary.json'), 'utf8')));
    const ehlo = summary.attempts.flatMap((a) => a.smtp?.ehlo_tls?.lines ?? a.smtp?.ehlo?.lines ?? []);
    expect(ehlo.find((l) => /AUTH /.test(l))).toMatch(/^250[- ]AUTH( [A-Z0-9-]+)+$/);
    const m = json<DiagnoseManifest>('manifest.json');
    const files = filesUnder(folder).filter((f) => f !== 'manifest.json' && !f.startsWith('attachments/'));
    expect(m.files.map((f) => f.file).sort()).toEqual(files);
    for (const f of m.files) {
      const data = readFileSync(join(folder, f.file));
      expect([f.file, f.size, f.sha256]).toEqual([f.file, data.length, createHash('sha256').update(data).digest('hex')]);
    }
    expect(m.files.find((f) => f.file === 'aa_logs/Bot_Launcher.log')?.collector).toBe('aa');
    expect(m.files.find((f) => f.file === 'probe_summary.json')?.collector).toBe('probe');
    expect(m.collectors.map((c) => c.name)).toEqual(['dns', 'network', 'clock', 'proxy', 'os-tls', 'aa']);
  });

  it('packs the whole folder into attachments/all_files.zip', async () => {
    const entries = await unzip(join(folder, 'attachments/all_files.zip'));
    const files = filesUnder(folder).filter((f) => !f.startsWith('attachments/'));
    expect([...entries.keys()].sort()).toEqual(files);
    for (const f of files) expect(entries.get(f)!.equals(readFileSync(join(folder, f)))).toBe(true);
  });

  it('collects the Linux DNS and network facts for real (checked against independent reads)', () => {
    const dns = json<DnsSnapshot>('dns_snapshot.json').data!;
    expect(dns.resolvers.filter((r) => r.origin === '/etc/resolv.conf').map((r) => r.address)).toEqual(parseResolvConf(readFileSync('/etc/resolv.conf', 'utf8')).nameservers);
    const net = json<NetworkSnapshot>('network_snapshot.json').data!;
    const routes = JSON.parse(execFileSync('ip', ['-j', 'route', 'show', 'default']).toString()) as Array<{ dev: string; gateway?: string }>;
    expect(net.online).toBe(routes.length > 0);
    expect(net.default_routes.filter((r) => r.family === 4).map((r) => [r.interface, r.gateway])).toEqual(routes.map((r) => [r.dev, r.gateway ?? null]));
    expect(net.egress_ips).toEqual(['127.0.0.1']);
    const tls = json<OsTls>('os_tls.json').data!;
    expect(tls.openssl_cli).toBe(execFileSync('openssl', ['version']).toString().trim());
    expect(tls.node_openssl).toBe(process.versions.openssl);
  });

  it('measures the clock offset against the SNTP server and flags what it breaks', () => {
    const c = json<Clock>('clock.json').data!;
    expect(Math.abs(c.offset_ms! - 2 * DAY)).toBeLessThan(2000);
    expect(c.risk).toBe('breaks-validation');
    expect(c.stratum).toBe(2);
    expect(readFileSync(join(folder, 'report.md'), 'utf8')).toMatch(/### Clock\n\n- Offset 17280\d\.\d{3} s against 127\.0\.0\.1:\d+ .*\*\*breaks certificate validation\*\*/);
  });

  it('reports proxy variables masked and a served issuer that is not the provider\'s', () => {
    const p = json<Proxy>('proxy.json').data!;
    expect(p.env.HTTPS_PROXY).toBe('http://***:***@127.0.0.9:3128');
    expect(p.winhttp).toBeNull();
    expect(p.tls_inspection).toMatchObject({ verdict: 'unexpected-issuer', expected: 'Google Trust Services' });
    expect(p.tls_inspection.issuers.join()).toMatch(/smtp-probe Lab Root CA/);
  });

  it('records the AA context and keeps only the log lines inside --since', () => {
    const aa = json<Aa>('aa_context.json').data!;
    expect(aa).toMatchObject({ activity: 'Send invoices', run_id: 'RUN-42', aa_host: 'https://cr.lab.test', configured: { server: 'smtp.gmail.com', port: lab.gmail.starttlsPort, ssl_mode: 'STARTTLS', user: 'bot@lab.test' } });
    expect(aa.logs).toHaveLength(1);
    const log = readFileSync(join(folder, 'aa_logs/Bot_Launcher.log'), 'utf8');
    expect(log).not.toContain('OLD-ENTRY-MARKER');
    expect(log).toContain('ERROR Email: Send failed: 535-5.7.8');
    const report = readFileSync(join(folder, 'report.md'), 'utf8');
    for (const h of ['## Diagnose', '### DNS snapshot', '### Network snapshot', '### Proxy', '### OS TLS evidence', '### Automation Anywhere']) expect(report).toContain(h);
  });

  it('reads the bot\'s last mail error from its log and puts it next to the probe\'s verdict', () => {
    const aa = json<Aa>('aa_context.json');
    expect(aa.schema_version).toBe(2);
    const at = stamp(520_000).replace('T', ' ').slice(0, 19);
    const b = aa.data!.bot_error!;
    expect(b).toMatchObject({ activity: 'Send invoices', class: 'auth', library: 'javamail', rule: 'gmail-535-bad-credentials', probe_class: 'ok', reading: 'the path works, the credentials are the problem', file: 'aa_logs/Bot_Launcher.log' });
    // Within the second the stamp was made in.
    expect(Math.abs(Date.parse(`${b.at!.replace(' ', 'T')}Z`) - Date.parse(`${at.replace(' ', 'T')}Z`))).toBeLessThanOrEqual(2000);
    const line = `> **The bot's own error.** The bot's last mail error (${b.at}, Send invoices): auth — javax.mail.AuthenticationFailedException: 535-5.7.8 Username and Password not accepted. For more information, go to. The probe from this machine now: ok: the path works, the credentials are the problem.`;
    const report = readFileSync(join(folder, 'report.md'), 'utf8');
    expect(report).toContain(line);
    expect(report.indexOf(line)).toBeLessThan(report.indexOf('**Verdict:'));
    expect(stdout).toMatch(/bot error: {2}auth at .* - the path works, the credentials are the problem/);
  });

  it('keeps every planted secret out of every file and ZIP entry, raw and base64', async () => {
    const texts = filesUnder(folder).filter((f) => !f.endsWith('.zip')).map((f) => readFileSync(join(folder, f), 'latin1'));
    const zipped = [...(await unzip(join(folder, 'attachments/all_files.zip'))).values()].map((b) => b.toString('latin1'));
    expect(zipped.length).toBe(texts.length);
    const secrets = [CFG_PW, ENV_PW, PROXY_PW, LOG_PROXY_PW, LOG_PW, TOKEN, 'LoginLine-Pw-3390'];
    const unknown = Object.values(UNKNOWN);
    const planted = [...secrets, ...secrets.map(b64), PLAIN_BLOB, BASIC_BLOB, LOGIN_PW_LINE, 'proxyuser', 'aauser', ...unknown];
    for (const t of [...texts, ...zipped]) for (const p of planted) expect(t.includes(p), `found planted ${p.slice(0, 10)}…`).toBe(false);
    // The evidence around the secrets survives.
    const log = readFileSync(join(folder, 'aa_logs/Bot_Launcher.log'), 'utf8');
    expect(log).toMatch(/AUTH PLAIN \[redacted\]\n.*AUTH LOGIN\n334 \[redacted\]\n\[redacted\]\n535 5\.7\.8/);
    expect(log).toContain('<add key="SmtpPassword" value="[redacted]"/> <Password>[redacted]</Password>');
    expect(log).toContain('Server=sql1;User Id=bot;Password=[redacted];Database=rpa');
    expect(log).toContain('--smtp-password [redacted] --port 587; curl -u bot:[redacted] smtps://x');
  });
});

describe('diagnose without any network', () => {
  // A fresh network namespace (unshare -n, needs root) has only a loopback interface that is
  // down: no address, no route, nothing reachable, not even 127.0.0.1. That is a machine with
  // no network at all, for real; nothing in it can send a packet anywhere.
  const works = spawnSync('unshare', ['-n', 'true']).status === 0;

  it.runIf(works)('still writes a complete ZIP whose report says plainly there is no network', async () => {
    const out = tempDir('diag-offline-');
    const empty = join(out, 'hosts');
    writeFileSync(empty, '');
    const r = spawnSync('unshare', ['-n', process.execPath, CLI, 'diagnose', '--out', out, '--resolver', '127.0.0.1:53', '--hosts-file', empty, '--timeout', '2s'], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 60_000 });
    expect(r.status).toBe(10);
    expect(r.stdout).toMatch(/network: {4}NONE - no usable network/);
    const folder = runFolder(out);
    const entries = await unzip(join(folder, 'attachments/all_files.zip'));
    for (const f of ['report.md', 'probe_summary.json', 'manifest.json', ...Object.keys(DIAGNOSE_SCHEMAS).map((n) => `${n}.json`)]) expect(entries.has(f), f).toBe(true);
    const report = entries.get('report.md')!.toString();
    expect(report.split('\n').slice(0, 4).join('\n')).toMatch(/> \*\*No network\.\*\* This machine has no usable network: no interface besides loopback has an address, and there is no default route\./);
    const net = JSON.parse(entries.get('network_snapshot.json')!.toString()) as NetworkSnapshot;
    expect(net.data).toMatchObject({ online: false, default_routes: [] });
    const clock = JSON.parse(entries.get('clock.json')!.toString()) as Clock;
    expect(clock).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^no network: .*pool\.ntp\.org:123 was not asked/) });
  });
});

describe('diagnose limits and usage', () => {
  it('finishes with a complete ZIP when collectors run out of time', async () => {
    const out = tempDir('diag-timeout-');
    const r = await runCli(['diagnose', '--out', out, '--resolver', lab.dns.spec, '--ca', lab.caFile, '--port', `${lab.gmail.starttlsPort}:starttls`, '--no-ntp', '--collect-timeout', '1ms', '--json']);
    expect(r.code).toBe(0);
    const folder = runFolder(out);
    const m = readJson<DiagnoseManifest>(join(folder, 'manifest.json'));
    expect(m.collectors.find((c) => c.name === 'os-tls')).toMatchObject({ status: 'timeout', reason: 'timed out after 1 ms' });
    expect(m.collectors.find((c) => c.name === 'clock')).toMatchObject({ status: 'skipped', reason: 'turned off with --no-ntp' });
    expect(readJson<OsTls>(join(folder, 'os_tls.json'))).toMatchObject({ status: 'timeout', data: null });
    expect((JSON.parse(r.stdout) as ProbeSummary).verdict.class).toBe('ok');
  });

  it('shows the AA pre-flight and on-failure usage in --help', async () => {
    const r = await runCli(['diagnose', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Pre-flight[\s\S]*On failure[\s\S]*all_files\.zip/);
    expect(r.stdout).toContain('--aa-config <file>');
  });

  it.each([
    [['--since', 'yesterday'], /invalid --since "yesterday"/],
    [['--aa-config', '/nonexistent/bot.json'], /cannot read --aa-config "\/nonexistent\/bot.json": ENOENT/],
    [['--skip', 'everything'], /invalid --skip "everything"/],
    [['--ntp', 'bad host!'], /invalid --ntp "bad host!"/],
  ])('rejects %j in one line with exit code 2', async (args, message) => {
    const out = tempDir('diag-bad-');
    const r = await runCli(['diagnose', '--out', out, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(filesUnder(out)).toEqual([]);
  });
});

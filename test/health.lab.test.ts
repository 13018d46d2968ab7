// `smtp-probe health` and `--provider` against providers on loopback: the provider names
// resolve through the test's own DNS server; Gmail is a real Postfix on 587/465, SendGrid a
// stand-in (smtp-server) with 587 and 465 closed and only 2525 open, Microsoft 365 a stand-in
// whose certificate is for another name (a provider-side problem). A firewall that drops
// (rather than refuses) is real: a network namespace of the test's own (lab/netns.ts) with a
// second real Postfix inside and nftables in front of it.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDns, type LabDns } from '../lab/dns-server.js';
import { postfixAvailable, startPostfix, type LabPostfix } from '../lab/postfix.js';
import { closeSmtp } from '../lab/gmail-like.js';
import { waitForPort } from '../lab/index.js';
import { netnsAvailable, startNetns, type LabNetns } from '../lab/netns.js';
import { HealthSummarySchema } from '../payload/schema/health.js';
import { ProbeSummarySchema } from '../payload/schema/summary.js';
import { findingKey, runFindings } from '../payload/report/run-findings.js';
import { filesUnder, runCli, tempDir } from './helpers.js';

const lab = inject('lab');
const GMAIL = '127.18.0.1';
const SENDGRID = '127.18.0.2';
const O365 = '127.18.0.3';
const NOWHERE = '127.18.0.9';

let dns: LabDns;
let dnsNowhere: LabDns;
let postfix: LabPostfix;
const servers: SMTPServer[] = [];

/** A server certificate for `name` from the lab's root CA. */
function certFor(name: string): { key: string; cert: string } {
  const dir = tempDir('cert-');
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'r.csr', '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', 'r.csr', '-CA', lab.caFile, '-CAkey', join(lab.dir, 'ca.key'), '-CAcreateserial', '-out', 'c.pem', '-days', '2', '-extfile', 'ext.cnf']);
  return { key: readFileSync(join(dir, 'k.pem'), 'utf8'), cert: readFileSync(join(dir, 'c.pem'), 'utf8') };
}

async function smtpStandIn(name: string, host: string, port: number, tls: { key: string; cert: string }): Promise<void> {
  const s = new SMTPServer({ name, banner: `${name} ESMTP service ready`, ...tls, authMethods: ['PLAIN', 'LOGIN'], disableReverseLookup: true, logger: false, closeTimeout: 200, onAuth: (_a, _s, cb) => cb(new Error('Authentication failed: Bad username / password')) });
  s.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    s.listen(port, host, () => resolve());
    s.server.once('error', reject);
  });
  servers.push(s);
}

beforeAll(async () => {
  dns = await startDns({ 'smtp.gmail.com': { A: [GMAIL] }, 'smtp.sendgrid.net': { A: [SENDGRID] }, 'smtp.office365.com': { A: [O365] } });
  dnsNowhere = await startDns({ 'smtp.gmail.com': { A: [NOWHERE] }, 'smtp.sendgrid.net': { A: [NOWHERE] } });
  if (postfixAvailable()) {
    const dir = tempDir('postfix-health-');
    postfix = await startPostfix(dir, { dir: lab.dir, caCert: lab.caFile, serverCert: join(lab.dir, 'server.crt'), serverKey: join(lab.dir, 'server.key'), caPem: '', certPem: '', keyPem: '' }, GMAIL, 587, 465);
  } else {
    const pem = { key: readFileSync(join(lab.dir, 'server.key'), 'utf8'), cert: readFileSync(join(lab.dir, 'server.crt'), 'utf8') };
    await smtpStandIn('smtp.gmail.com', GMAIL, 587, pem);
  }
  await smtpStandIn('smtp.sendgrid.net', SENDGRID, 2525, certFor('smtp.sendgrid.net'));
  // The lab's own certificate is for smtp.gmail.com: wrong for Microsoft's name.
  await smtpStandIn('smtp.office365.com', O365, 587, { key: readFileSync(join(lab.dir, 'server.key'), 'utf8'), cert: readFileSync(join(lab.dir, 'server.crt'), 'utf8') });
  // Postfix takes a moment to listen after `postfix start`.
  await waitForPort(GMAIL, 587);
}, 60_000);

afterAll(async () => {
  postfix?.stop();
  await Promise.all(servers.map(closeSmtp));
  await dns?.close();
  await dnsNowhere?.close();
});

async function health(args: string[]) {
  const out = tempDir('health-');
  const r = await runCli(['health', '--out', out, '--ehlo-name', 'probe.lab.test', '--ca', lab.caFile, '--timeout', 'connect=3s', ...args]);
  return { ...r, out };
}

describe('smtp-probe health through the test\'s own DNS server', () => {
  it('tells SendGrid\'s blocked 587/465 (2525 open) apart from a working Gmail: a network block of those ports', async () => {
    const r = await health(['--resolver', `127.0.0.1:${dns.port}`, '--provider', 'gmail', '--provider', 'sendgrid']);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Gmail ok (587, 465)');
    expect(lines[1]).toBe('SendGrid connect refused on 587, 465, ok on 2525');
    expect(r.stdout).toMatch(/verdict: +port-block - network block: port\(s\) 465, 587 fail at connect \(465, 587 refused: a TCP reset came back/);
    expect(r.stdout).toMatch(/next step: .*answers TCP 465, 587 with a reset/);
    expect(r.code).toBe(20);
    const json = await health(['--json', '--resolver', `127.0.0.1:${dns.port}`, '--provider', 'sendgrid', '--provider', 'gmail']);
    const s = HealthSummarySchema.parse(JSON.parse(json.stdout));
    // Stable order: as asked, whichever finished first.
    expect(s.providers.map((p) => p.id)).toEqual(['sendgrid', 'gmail']);
    expect(s.providers[0]!.finding).toBe('port-block');
    expect(s.verdict.blocked_ports).toEqual([465, 587]);
    const files = filesUnder(join(json.out, s.run.id));
    expect(files).toEqual(expect.arrayContaining(['health_summary.json', 'report.md', 'report.html', 'attachments/all_files.zip']));
    expect(files.some((f) => /^transcripts\/sendgrid_127\.18\.0\.2_2525_1\.txt$/.test(f))).toBe(true);
    expect(readFileSync(join(json.out, s.run.id, 'report.md'), 'utf8')).toContain('SendGrid connect refused on 587, 465, ok on 2525 (network block of a port)');
  }, 90_000);

  it('calls a certificate for the wrong name at Microsoft 365 a provider problem while Gmail works', async () => {
    const r = await health(['--json', '--resolver', `127.0.0.1:${dns.port}`, '--provider', 'gmail', '--provider', 'microsoft365']);
    const s = HealthSummarySchema.parse(JSON.parse(r.stdout));
    expect(s.providers[1]).toMatchObject({ id: 'microsoft365', finding: 'provider', status: 'failed' });
    expect(s.providers[1]!.endpoints[0]!.class).toBe('tls');
    expect(s.verdict.kind).toBe('provider-problem');
    expect(r.code).toBe(22);
  }, 90_000);

  it('calls every provider failing at connect an egress block', async () => {
    const r = await health(['--resolver', `127.0.0.1:${dnsNowhere.port}`, '--provider', 'gmail', '--provider', 'sendgrid']);
    expect(r.stdout).toContain('Gmail connect refused on 587, 465');
    expect(r.stdout).toMatch(/verdict: +egress-block - network block: no provider is reachable/);
    expect(r.code).toBe(21);
  }, 90_000);
});

describe('probe --provider', () => {
  it('takes SendGrid\'s host and ports from the preset, records its personality, and suggests 2525 where 587 is refused', async () => {
    const out = tempDir('preset-');
    const r = await runCli(['probe', '--json', '--out', out, '--provider', 'sendgrid', '--resolver', `127.0.0.1:${dns.port}`, '--ca', lab.caFile, '--ehlo-name', 'probe.lab.test']);
    const s = ProbeSummarySchema.parse(JSON.parse(r.stdout));
    expect(s.settings.host).toBe('smtp.sendgrid.net');
    expect(s.settings.ports.map((p) => `${p.port}:${p.mode}`)).toEqual(['587:starttls', '465:implicit', '2525:starttls']);
    expect(s.settings.provider?.username).toContain('"apikey"');
    const refused = s.attempts.find((a) => a.port === 587)!;
    expect(refused.classification.next_step).toContain('--port 2525');
    expect(s.attempts.find((a) => a.port === 2525)!.classification.class).toBe('ok');
    const report = readFileSync(join(out, s.run.id, 'report.md'), 'utf8');
    expect(report).toContain('## Provider preset: SendGrid');
    expect(report).toMatch(/AUTH mechanisms: expected PLAIN LOGIN; offered PLAIN LOGIN/);
    // SendGrid's issuer is not known, STARTTLS was offered, AUTH as documented: nothing to flag.
    expect(runFindings(s).filter((f) => f.id.startsWith('preset-'))).toEqual([]);
  }, 90_000);

  it('flags a Microsoft 365 certificate from another issuer as a preset mismatch, keyed id:port for the fleet', async () => {
    const out = tempDir('preset-');
    const r = await runCli(['probe', '--json', '--out', out, '--provider', 'microsoft365', '--resolver', `127.0.0.1:${dns.port}`, '--ca', lab.caFile, '--ehlo-name', 'probe.lab.test', '--sni', 'smtp.gmail.com']);
    const s = ProbeSummarySchema.parse(JSON.parse(r.stdout));
    const issuer = s.settings.provider!.certificate_issuer!;
    expect(issuer).toBeTruthy();
    const report = readFileSync(join(out, s.run.id, 'report.md'), 'utf8');
    expect(report).toContain(`- ⚠ **preset-issuer-unexpected** (error): port 587: certificate issued by O=smtp-probe lab, CN=smtp-probe Lab Root CA, not ${issuer} as for Microsoft 365. Next step: The connection is decrypted on the way`);
    expect(readFileSync(join(out, s.run.id, 'report.html'), 'utf8')).toContain('<strong>preset-issuer-unexpected</strong> (error): port 587');
    expect(runFindings(s).map(findingKey)).toContain('preset-issuer-unexpected:587');
  }, 90_000);
});

describe.runIf(netnsAvailable() && postfixAvailable())('smtp-probe health through a real firewall (nftables in a network namespace)', () => {
  let ns: LabNetns;
  let inside: LabPostfix;
  let dnsNs: LabDns;
  beforeAll(async () => {
    ns = startNetns(tempDir('netns-'));
    const pki = { dir: lab.dir, caCert: lab.caFile, serverCert: join(lab.dir, 'server.crt'), serverKey: join(lab.dir, 'server.key'), caPem: '', certPem: '', keyPem: '' };
    // Gmail's 587 and 465 on the namespace's address: a real Postfix, started inside it.
    inside = await startPostfix(tempDir('postfix-netns-'), pki, ns.address, 587, 465, [], ns.exec);
    dnsNs = await startDns({ 'smtp.gmail.com': { A: [ns.address] } });
    for (const port of [587, 465]) await waitForPort(ns.address, port, 15_000);
  }, 60_000);
  afterAll(async () => {
    inside?.stop();
    ns?.close();
    await dnsNs?.close();
  });

  const gmail = async () => {
    // The short connect timeout keeps a dropped SYN to one second.
    const r = await health(['--json', '--resolver', `127.0.0.1:${dnsNs.port}`, '--provider', 'gmail', '--timeout', 'connect=1s']);
    return { ...r, s: HealthSummarySchema.parse(JSON.parse(r.stdout)) };
  };

  it('465 dropped by the firewall (SYN timeout) while 587 works: port-block (20), the evidence and next step say dropped, not refused', async () => {
    ns.firewall(['tcp dport 465 drop']);
    const { code, s } = await gmail();
    expect(code).toBe(20);
    expect(s.settings.timeouts_ms.connect).toBe(1000);
    const [submission, implicit] = s.providers[0]!.endpoints;
    expect(submission).toMatchObject({ port: 587, class: 'ok' });
    expect(implicit).toMatchObject({ port: 465, class: 'connect', hint_id: 'connect-timeout', outcome: 'connect timeout', connect_failure: 'dropped' });
    expect(implicit!.evidence).toMatch(/no answer to the TCP handshake within 1000 ms/);
    // Bounded: the drop costs the connect timeout, not the kernel's SYN retries.
    expect(implicit!.duration_ms).toBeGreaterThanOrEqual(950);
    expect(implicit!.duration_ms).toBeLessThan(3000);
    expect(s.providers[0]!.line).toBe('Gmail ok on 587, connect timeout on 465');
    expect(s.verdict).toMatchObject({ kind: 'port-block', blocked_ports: [465], blocked_how: [{ port: 465, how: 'dropped' }] });
    expect(s.verdict.summary).toMatch(/port\(s\) 465 fail at connect \(465 dropped: no answer to the SYN/);
    expect(s.verdict.next_step).toMatch(/silently drops outbound TCP 465/);
    expect(s.verdict.summary + s.verdict.next_step).not.toMatch(/refused|reset/);
  }, 60_000);

  it('465 rejected by the same firewall (TCP reset) is port-block too, but refused: something answered', async () => {
    ns.firewall(['tcp dport 465 reject with tcp reset']);
    const { code, s, stdout } = await gmail();
    expect(code).toBe(20);
    const implicit = s.providers[0]!.endpoints[1]!;
    expect(implicit).toMatchObject({ port: 465, hint_id: 'connect-refused', outcome: 'connect refused', connect_failure: 'refused' });
    expect(implicit.evidence).toMatch(/ECONNREFUSED/);
    expect(implicit.duration_ms).toBeLessThan(900);
    expect(s.verdict.blocked_how).toEqual([{ port: 465, how: 'refused' }]);
    expect(s.verdict.summary).toMatch(/465 refused: a TCP reset came back/);
    expect(s.verdict.next_step).toMatch(/answers TCP 465 with a reset/);
    expect(stdout).not.toMatch(/silently drops/);
  }, 60_000);
});

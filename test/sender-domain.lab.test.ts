// `smtp-probe domain` and `probe --sender-domain` against real DNS servers on loopback:
// Debian's dnsmasq (TXT, MX, A, TLSA via --dns-rr) and, where dnsmasq cannot (the AD bit,
// a truncated UDP answer), the lab's scripted DNS server; the MTA-STS policy from an HTTPS
// server on 127.0.18.44:443 with a lab-CA certificate, found through the test's resolver only;
// the probe end to end against the lab Postfix and Gmail-like servers whose EHLO greeting names
// the client's address.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDns, type LabDns } from '../lab/dns-server.js';
import { dnsmasqAvailable, startDnsmasq, type LabDnsmasq } from '../lab/dnsmasq.js';
import { closeSmtp, startGmailLike } from '../lab/gmail-like.js';
import { issueLabCert, startMtaStsServer } from '../lab/mta-sts-server.js';
import { freePort } from '../lab/ports.js';
import { dnsblZones } from '../payload/probe/sender/dnsbl.js';
import type { SenderAudit } from '../payload/schema/sender.js';
import { ProbeSummarySchema } from '../payload/schema/summary.js';
import { runCli, runFolder, tempDir } from './helpers.js';

const lab = inject('lab');
const ids = (a: { findings: { id: string }[] }) => a.findings.map((f) => f.id);
const t = (s: string) => [[s]];
const STS_ADDR = '127.0.18.44';
const DNSMASQ_ADDR = '127.0.18.53';
const GREETER_ADDR = '127.0.18.25';

let scripted: LabDns;
let dnsmasq: LabDnsmasq;
let sts: Awaited<ReturnType<typeof startMtaStsServer>>;
let greeters: SMTPServer[] = [];
let greeterPort = 0;
const spki = (pem: string) => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
const sha256 = async (b: Buffer) => (await import('node:crypto')).createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  if (!dnsmasqAvailable()) throw new Error('dnsmasq is required (apt-get install dnsmasq; .ci/run installs it)');
  scripted = await startDns({
    'good.test': { MX: [{ preference: 10, exchange: 'mx.good.test' }], TXT: t('v=spf1 include:_spf.good.test -all') },
    '_spf.good.test': { TXT: t('v=spf1 ip4:192.0.2.0/24 -all') },
    's1._domainkey.good.test': { TXT: t('v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA') },
    '_dmarc.good.test': { TXT: t('v=DMARC1; p=reject; rua=mailto:d@good.test') },
    'bad.test': { TXT: [['v=spf1 include:i1.bad.test include:i2.bad.test a mx +all'], ['v=spf1 -all']] },
    'i1.bad.test': { TXT: t('v=spf1 a mx exists:x.bad.test -all') },
    'i2.bad.test': { TXT: t('v=spf1 a mx ptr include:i3.bad.test -all') },
    'i3.bad.test': { TXT: t('v=spf1 ip4:192.0.2.9 -all') },
    '5.113.0.203.zen.spamhaus.org': { A: ['127.0.0.4'] },
    // The AD cases: a validating resolver's answer, one of them only over TCP (TC on UDP).
    'signed.test': { MX: [{ preference: 10, exchange: 'mx1.signed.test' }, { preference: 20, exchange: 'mx2.signed.test' }] },
    '_25._tcp.mx1.signed.test': { ad: true, TLSA: [{ usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 0xab) }] },
    '_25._tcp.mx2.signed.test': { ad: true, truncateUdp: true, TLSA: [{ usage: 2, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 0xcd) }] },
  });

  const stsCert = issueLabCert(lab.dir, ['mta-sts.secure.test', 'mta-sts.weak.test', 'mta-sts.redirect.test', 'mta-sts.html.test'], 'mta-sts');
  const policy = (mode: string, mx: string[]) => `version: STSv1\r\nmode: ${mode}\r\n${mx.map((m) => `mx: ${m}\r\n`).join('')}max_age: 604800\r\n`;
  sts = await startMtaStsServer(STS_ADDR, stsCert, {
    'mta-sts.secure.test': { body: policy('enforce', ['*.secure.test']) },
    'mta-sts.weak.test': { body: policy('enforce', ['mx.weak.test']) },
    'mta-sts.redirect.test': { status: 301, location: 'https://elsewhere.test/policy' },
    'mta-sts.html.test': { type: 'text/html', body: policy('enforce', ['mx.html.test']) },
    'mta-sts.nocert.test': { body: policy('enforce', ['mx.nocert.test']) },
  });

  const serverCertPem = readFileSync(join(lab.dir, 'server.crt'), 'utf8');
  const pfSpki = await sha256(spki(serverCertPem));
  const mxCert = issueLabCert(lab.dir, ['mx.secure.test'], 'mx-secure');
  const stsTxt = (d: string): [string, string] => [`_mta-sts.${d}`, 'v=STSv1; id=20261203'];
  dnsmasq = await startDnsmasq(lab.dir, {
    local: ['test', ...dnsblZones().map((z) => z.zone)],
    txt: [
      ['secure.test', 'v=spf1 mx -all'],
      ['_dmarc.secure.test', 'v=DMARC1; p=reject; rua=mailto:d@secure.test'],
      stsTxt('secure.test'),
      ['_smtp._tls.secure.test', 'v=TLSRPTv1; rua=mailto:tlsrpt@secure.test,https://rpt.secure.test/v1'],
      ['weak.test', 'v=spf1 include:a.weak.test include:b.weak.test include:c.weak.test include:d.weak.test include:e.weak.test include:f.weak.test -all'],
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((x): [string, string] => [`${x}.weak.test`, 'v=spf1 a mx -all']),
      stsTxt('weak.test'),
      ['_smtp._tls.weak.test', 'v=TLSRPTv1; rua=http://rpt.weak.test/'],
      stsTxt('redirect.test'),
      stsTxt('html.test'),
      stsTxt('nocert.test'),
    ],
    mx: [
      ['secure.test', 'mx.secure.test', 10],
      ['weak.test', 'mx.weak.test', 10],
      ['weak.test', 'backup.elsewhere.test', 20],
    ],
    a: [
      ['mx.secure.test', '127.0.0.1'],
      ['lab.smtp-probe.test', lab.postfix.host],
      ...['secure', 'weak', 'redirect', 'html', 'nocert'].map((d): [string, string] => [`mta-sts.${d}.test`, STS_ADDR]),
      ['5.113.0.203.zen.spamhaus.org', '127.0.0.4'],
    ],
    tlsa: [
      ['_25._tcp.mx.secure.test', 3, 1, 1, await sha256(spki(mxCert.cert))],
      // The submission host: the STARTTLS port pins the lab Postfix's key as DANE-EE; the implicit
      // one pins a key Postfix does not have (DANE-EE) and its real key as PKIX-EE, which also needs a validating chain.
      [`_${lab.postfix.starttlsPort}._tcp.lab.smtp-probe.test`, 3, 1, 1, pfSpki],
      [`_${lab.postfix.implicitPort}._tcp.lab.smtp-probe.test`, 3, 1, 1, 'ab'.repeat(32)],
      [`_${lab.postfix.implicitPort}._tcp.lab.smtp-probe.test`, 1, 1, 1, pfSpki],
    ],
  }, DNSMASQ_ADDR);

  greeterPort = await freePort([GREETER_ADDR]);
  const pki = { keyPem: readFileSync(join(lab.dir, 'server.key'), 'utf8'), certPem: serverCertPem } as Parameters<typeof startGmailLike>[0]['pki'];
  // Gmail names the client's address in its EHLO greeting; these say what a NATed runner would see.
  greeters = [
    await startGmailLike({ host: GREETER_ADDR, port: greeterPort, pki, implicit: false, extra: { heloResponse: '%s at your service, [203.0.113.5]' } }),
    await startGmailLike({ host: '127.0.18.26', port: greeterPort, pki, implicit: false, extra: { heloResponse: '%s at your service, [2001:db8::7]' } }),
  ];
}, 60_000);

afterAll(async () => {
  await Promise.all([scripted?.close(), dnsmasq?.stop(), sts?.close(), ...greeters.map(closeSmtp)]);
});

async function domain(args: string[]): Promise<{ code: number; stderr: string; audit: SenderAudit }> {
  const r = await runCli(['domain', ...args, '--json']);
  return { code: r.code, stderr: r.stderr, audit: r.stdout ? (JSON.parse(r.stdout) as SenderAudit) : (null as unknown as SenderAudit) };
}

describe('smtp-probe domain (scripted lab DNS server)', () => {
  it('a good domain has no failing finding', async () => {
    const { code, stderr, audit } = await domain(['good.test', '--resolver', scripted.address + ':' + scripted.port, '--timeout', '2s', '--dkim-selector', 's1']);
    expect(stderr).toBe('');
    expect(audit.mx).toEqual(['10 mx.good.test']);
    expect(ids(audit)).toEqual(['mx-ok', 'spf-ok', 'dmarc-ok', 'dkim-ok', 'mta-sts-missing', 'tls-rpt-missing', 'dane-none']);
    expect(code).toBe(0);
  });
  it('a bad domain and a listed egress IP fail with evidence and next steps', async () => {
    const r = await runCli(['domain', 'bad.test', '--resolver', `127.0.0.1:${scripted.port}`, '--timeout', '1s', '--egress-ip', '203.0.113.5', '--dkim-selector', 's1']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('bad.test publishes 2 SPF records');
    expect(r.stdout).toContain('SPF ends in +all');
    expect(r.stdout).toContain('SPF needs 11 DNS lookups, over the limit of 10');
    expect(r.stdout).toContain('bad.test publishes no DMARC record');
    expect(r.stdout).toMatch(/fail egress IP 203\.0\.113\.5 is listed in Spamhaus ZEN: XBL/);
    expect(r.stdout).toContain('evidence:  5.113.0.203.zen.spamhaus.org A 127.0.0.4');
    expect(r.stdout).toContain('no MX record');
    expect(r.stdout).toContain('no DKIM key at s1._domainkey.bad.test');
  });
  it('a silent resolver: every check says it could not be made, within the per-query timeout, exit 4', async () => {
    // A server that reads every query and answers none.
    const silent = await startDns(new Proxy({}, { get: () => ({ drop: true }) }));
    const t0 = Date.now();
    const { code, audit } = await domain(['good.test', '--resolver', `127.0.0.1:${silent.port}`, '--timeout', '300ms', '--dkim-selector', 's1']).finally(() => silent.close());
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(ids(audit)).toEqual(['mx-error', 'spf-error', 'dmarc-error', 'dkim-error', 'mta-sts-error', 'tls-rpt-error']);
    expect(audit.findings[0]!.summary).toMatch(/^MX could not be checked: .*ETIMEOUT/);
    expect(code).toBe(4);
  });
  it('AD bit (stand-in: the scripted server sets AD as a validating resolver would; dnsmasq cannot for its own data), one answer only over TCP after TC', async () => {
    const { audit } = await domain(['signed.test', '--resolver', `127.0.0.1:${scripted.port}`, '--timeout', '2s']);
    expect(audit.dane.validated).toBe(true);
    expect(audit.dane.lookups.map((l) => [l.name, l.ad, l.records.map((x) => `${x.usage} ${x.selector} ${x.matching_type} ${x.data.slice(0, 4)}`)])).toEqual([
      ['_25._tcp.mx1.signed.test', true, ['3 1 1 abab']],
      ['_25._tcp.mx2.signed.test', true, ['2 1 1 cdcd']],
    ]);
    expect(ids(audit).filter((i) => i.startsWith('dane'))).toEqual(['dane-mx', 'dane-mx']);
  });
});

describe('smtp-probe domain (dnsmasq on loopback, MTA-STS over HTTPS on 443)', () => {
  const resolver = () => ['--resolver', dnsmasq.spec, '--timeout', '3s'];

  it('a secure domain: MTA-STS policy fetched and covering its MX, TLS-RPT valid, TLSA present but not DNSSEC-validated', async () => {
    const { code, stderr, audit } = await domain(['secure.test', ...resolver(), '--ca', lab.caFile]);
    expect(stderr).toBe('');
    expect(audit.mta_sts).toMatchObject({ id: '20261203', fetch_error: null, policy: { version: 'STSv1', mode: 'enforce', mx: ['*.secure.test'], max_age: 604800 }, mx_coverage: [{ mx: 'mx.secure.test', pattern: '*.secure.test' }] });
    expect(audit.tls_rpt?.rua).toEqual(['mailto:tlsrpt@secure.test', 'https://rpt.secure.test/v1']);
    expect(audit.dane.lookups).toMatchObject([{ name: '_25._tcp.mx.secure.test', role: 'mx', ad: false, rcode: 'NOERROR', records: [{ usage: 3, selector: 1, matching_type: 1 }] }]);
    expect(audit.dane.validated).toBe(false);
    expect(ids(audit)).toEqual(['mx-ok', 'spf-ok', 'dmarc-ok', 'mta-sts-ok', 'tls-rpt-ok', 'dane-not-validated']);
    expect(sts.hits).toContain('mta-sts.secure.test/.well-known/mta-sts.txt');
    expect(code).toBe(0);
    // `smtp-probe schema --file sender_audit` describes what --json printed.
    const schema = JSON.parse((await runCli(['schema', '--file', 'sender_audit'])).stdout) as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(expect.arrayContaining(Object.keys(audit)));
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(audit).sort());
  });
  it('without the lab CA the policy certificate is not trusted, so the policy is unavailable', async () => {
    const { code, audit } = await domain(['secure.test', ...resolver()]);
    const f = audit.findings.find((x) => x.id === 'mta-sts-policy-unavailable')!;
    expect(f.summary).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/i);
    expect(code).toBe(3);
  });
  it('uncovered MX, a redirect, a wrong type, a certificate for other names, 18 SPF lookups and a bad TLS-RPT URI', async () => {
    const weak = await domain(['weak.test', ...resolver(), '--ca', lab.caFile]);
    expect(weak.code).toBe(3);
    const notCovered = weak.audit.findings.find((x) => x.id === 'mta-sts-mx-not-covered')!;
    expect(notCovered).toMatchObject({ severity: 'fail', evidence: 'policy mx: mx.weak.test; MX: mx.weak.test, backup.elsewhere.test' });
    expect(notCovered.summary).toContain('backup.elsewhere.test');
    expect(ids(weak.audit)).toContain('tls-rpt-invalid');
    expect(weak.audit.spf?.lookups).toBe(18);
    expect(ids(weak.audit)).toContain('spf-too-many-lookups');
    const errors = async (d: string) => (await domain([d, ...resolver(), '--ca', lab.caFile])).audit.mta_sts?.fetch_error;
    expect(await errors('redirect.test')).toBe('HTTP 301 redirect to https://elsewhere.test/policy: senders must not follow redirects');
    expect(await errors('html.test')).toBe('Content-Type "text/html": the policy must be served as text/plain');
    expect(await errors('nocert.test')).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
  });
});

describe('probe --sender-domain (lab Postfix, dnsmasq)', () => {
  it('runs the audit with the probe: TLSA of the submission host matched against the served chain, egress IP from --egress-ip, sections in report.md and report.html', async () => {
    const out = tempDir();
    const args = ['probe', '--json', '--ehlo-name', 'probe.lab.test', '--host', 'lab.smtp-probe.test', '--resolver', dnsmasq.spec, '--port', `${lab.postfix.starttlsPort}:starttls`, '--port', `${lab.postfix.implicitPort}:implicit`, '--sender-domain', 'secure.test', '--egress-ip', '203.0.113.5'];
    const r = await runCli([...args, '--out', out, '--ca', lab.caFile]);
    expect(r.stderr).toBe('');
    const s = ProbeSummarySchema.parse(JSON.parse(r.stdout));
    // The probe's verdict and exit code stay the SMTP ones; the audit's findings do not change them.
    expect(s.verdict.class).toBe('ok');
    expect(r.code).toBe(0);
    const a = s.sender!;
    const sub = a.dane.lookups.filter((l) => l.role === 'submission');
    expect(sub.map((l) => [l.name, l.match, l.matched])).toEqual([
      [`_${lab.postfix.starttlsPort}._tcp.lab.smtp-probe.test`, 'match', '3 1 1 (DANE-EE) on the leaf'],
      [`_${lab.postfix.implicitPort}._tcp.lab.smtp-probe.test`, 'match', '1 1 1 (PKIX-EE) on the leaf'],
    ]);
    expect(a.egress).toMatchObject([{ ip: '203.0.113.5', source: '--egress-ip', public: true }]);
    expect(a.egress[0]!.dnsbl.find((d) => d.zone === 'zen.spamhaus.org')).toMatchObject({ status: 'listed', answers: ['127.0.0.4'] });
    expect(a.egress[0]!.dnsbl.filter((d) => d.zone !== 'zen.spamhaus.org').every((d) => d.status === 'clean')).toBe(true);
    expect(ids(a)).toEqual(expect.arrayContaining(['mta-sts-ok', 'dane-match', 'dnsbl-listed']));
    expect(ids(a)).not.toContain('dane-mismatch');
    const folder = runFolder(out);
    const md = readFileSync(join(folder, 'report.md'), 'utf8');
    expect(md).toContain('## Sender domain: secure.test');
    expect(md).toMatch(/\*\*dane-match\*\* \(info\): _\d+\._tcp\.lab\.smtp-probe\.test: TLSA 3 1 1 \(DANE-EE\) on the leaf matches/);
    expect(md.indexOf('## Sender domain')).toBeGreaterThan(md.indexOf('## DNS'));
    expect(md.indexOf('## Sender domain')).toBeLessThan(md.indexOf('## Connections'));
    const html = readFileSync(join(folder, 'report.html'), 'utf8');
    expect(html).toContain('<section id="sender"><h2>Sender domain: <span class="mono">secure.test</span></h2>');
    expect(html).toContain('dnsbl-listed');

    // Without the lab CA the chain does not validate: the DANE-EE pin still holds, the PKIX-EE one does not.
    const untrusted = ProbeSummarySchema.parse(JSON.parse((await runCli([...args, '--out', tempDir()])).stdout));
    expect(untrusted.sender!.dane.lookups.filter((l) => l.role === 'submission').map((l) => l.match)).toEqual(['match', 'mismatch']);
    const mismatch = untrusted.sender!.findings.find((f) => f.id === 'dane-mismatch')!;
    expect(mismatch.summary).toBe(`_${lab.postfix.implicitPort}._tcp.lab.smtp-probe.test: TLSA 1 1 1 (PKIX-EE) on the leaf, but the chain does not validate (PKIX usages need both): DANE clients refuse it`);
  });

  it('takes the egress IP from a Gmail-like EHLO greeting (IPv4 and IPv6), and does not query DNSBLs for a loopback one', async () => {
    const probe = async (host: string, port: number) => {
      const out = tempDir();
      const r = await runCli(['probe', '--json', '--out', out, '--ehlo-name', 'probe.lab.test', '--host', host, '--port', `${port}:starttls`, '--ca', lab.caFile, '--sni', 'smtp.gmail.com', '--sender-domain', 'secure.test', '--resolver', dnsmasq.spec]);
      return ProbeSummarySchema.parse(JSON.parse(r.stdout));
    };
    const v4 = await probe(GREETER_ADDR, greeterPort);
    expect(v4.egress_ips).toEqual(['203.0.113.5']);
    expect(v4.sender!.egress).toMatchObject([{ ip: '203.0.113.5', source: 'ehlo-greeting', public: true }]);
    expect(v4.sender!.egress[0]!.dnsbl.find((d) => d.zone === 'zen.spamhaus.org')?.status).toBe('listed');
    const v6 = await probe('127.0.18.26', greeterPort);
    expect(v6.sender!.egress).toMatchObject([{ ip: '2001:db8::7', source: 'ehlo-greeting', public: true }]);
    expect(v6.sender!.egress[0]!.dnsbl.every((d) => d.status === 'clean')).toBe(true);
    // The lab's ordinary Gmail-like server greets with the loopback address it saw.
    const loop = await probe(lab.gmail.healthy[0]!, lab.gmail.starttlsPort);
    expect(loop.sender!.egress).toMatchObject([{ ip: '127.0.0.1', source: 'ehlo-greeting', public: false, dnsbl: [] }]);
    expect(ids(loop.sender!)).toContain('egress-not-public');
  });
});

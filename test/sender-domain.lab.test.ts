// `smtp-probe domain` against the lab's own DNS server on loopback: a good domain, a bad one
// (two SPF records, +all, 11 lookups, no DMARC) and an egress IP listed in a DNSBL zone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDns, type LabDns } from '../lab/dns-server.js';
import { runCli } from './helpers.js';

let dns: LabDns;
const t = (s: string) => [[s]];
beforeAll(async () => {
  dns = await startDns({
    'good.test': { MX: [{ preference: 10, exchange: 'mx.good.test' }], TXT: t('v=spf1 include:_spf.good.test -all') },
    '_spf.good.test': { TXT: t('v=spf1 ip4:192.0.2.0/24 -all') },
    's1._domainkey.good.test': { TXT: t('v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA') },
    '_dmarc.good.test': { TXT: t('v=DMARC1; p=reject; rua=mailto:d@good.test') },
    'bad.test': { TXT: [['v=spf1 include:i1.bad.test include:i2.bad.test a mx +all'], ['v=spf1 -all']] },
    'i1.bad.test': { TXT: t('v=spf1 a mx exists:x.bad.test -all') },
    'i2.bad.test': { TXT: t('v=spf1 a mx ptr include:i3.bad.test -all') },
    'i3.bad.test': { TXT: t('v=spf1 ip4:192.0.2.9 -all') },
    '5.113.0.203.zen.spamhaus.org': { A: ['127.0.0.4'] },
  });
});
afterAll(() => dns?.close());

describe('smtp-probe domain (lab DNS server on loopback)', () => {
  it('a good domain has no failing finding', async () => {
    const r = await runCli(['domain', 'good.test', '--resolver', `127.0.0.1:${dns.port}`, '--timeout', '2s', '--dkim-selector', 's1', '--json']);
    expect(r.stderr).toBe('');
    const a = JSON.parse(r.stdout) as { mx: string[]; findings: { id: string }[] };
    expect(a.mx).toEqual(['10 mx.good.test']);
    expect(a.findings.map((f) => f.id)).toEqual(['mx-ok', 'spf-ok', 'dmarc-ok', 'dkim-ok']);
    expect(r.code).toBe(0);
  });
  it('a bad domain and a listed egress IP fail with evidence and next steps', async () => {
    const r = await runCli(['domain', 'bad.test', '--resolver', `127.0.0.1:${dns.port}`, '--timeout', '1s', '--egress-ip', '203.0.113.5', '--dkim-selector', 's1']);
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
});

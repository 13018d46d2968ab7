import { describe, expect, it } from 'vitest';
import { checkSpf, parseSpf, type TxtLookup } from '../../payload/probe/sender/spf.js';
import { checkDmarc, parseDmarc } from '../../payload/probe/sender/dmarc.js';

function zone(records: Record<string, string[]>): TxtLookup {
  return async (name) => (records[name] ? records[name].map((t) => [t]) : null);
}
const ids = (f: { id: string }[]) => f.map((x) => x.id);

describe('SPF parsing', () => {
  it('reads qualifiers, mechanisms, values and redirect', () => {
    const r = parseSpf('v=spf1 ip4:192.0.2.0/24 include:_spf.example.net ~mx -all redirect=x.example');
    expect(r.terms.map((t) => `${t.qualifier}${t.mechanism}`)).toEqual(['+ip4', '+include', '~mx', '-all']);
    expect(r.terms[1]!.value).toBe('_spf.example.net');
    expect(r.all).toBe('-');
    expect(r.redirect).toBe('x.example');
  });
});

describe('SPF checks', () => {
  it('a good record passes with its lookup count', async () => {
    const r = await checkSpf('good.test', zone({ 'good.test': ['v=spf1 include:a.test mx -all'], 'a.test': ['v=spf1 ip4:192.0.2.1 a -all'] }));
    expect(r.lookups).toBe(3);
    expect(ids(r.findings)).toEqual(['spf-ok']);
    expect(r.chain.map((c) => c.domain)).toEqual(['good.test', 'a.test']);
  });
  it('counts 11 lookups through nested includes as a failure', async () => {
    const z: Record<string, string[]> = { 'bad.test': ['v=spf1 include:i1.test include:i2.test a mx -all'] };
    z['i1.test'] = ['v=spf1 a mx exists:x.test -all'];
    z['i2.test'] = ['v=spf1 a mx ptr include:i3.test -all'];
    z['i3.test'] = ['v=spf1 ip4:192.0.2.9 -all'];
    const r = await checkSpf('bad.test', zone(z));
    expect(r.lookups).toBe(11);
    expect(ids(r.findings)).toContain('spf-too-many-lookups');
  });
  it('flags two records, +all, a missing all and a missing record', async () => {
    const two = await checkSpf('d.test', zone({ 'd.test': ['v=spf1 +all', 'v=spf1 -all'] }));
    expect(ids(two.findings)).toEqual(expect.arrayContaining(['spf-multiple', 'spf-plus-all']));
    expect(ids((await checkSpf('d.test', zone({ 'd.test': ['v=spf1 ip4:192.0.2.1'] }))).findings)).toEqual(['spf-no-all']);
    expect(ids((await checkSpf('d.test', zone({}))).findings)).toEqual(['spf-missing']);
  });
  it('detects loops, counts void lookups and stays bounded', async () => {
    const r = await checkSpf('l.test', zone({ 'l.test': ['v=spf1 include:m.test include:v1.test include:v2.test include:v3.test -all'], 'm.test': ['v=spf1 include:l.test -all'] }));
    expect(r.loops).toEqual(['m.test -> l.test']);
    expect(r.void_lookups).toBe(3);
    expect(ids(r.findings)).toEqual(expect.arrayContaining(['spf-loop', 'spf-void-lookups', 'spf-include-missing']));
  });
  it('follows redirect only without an all term', async () => {
    const r = await checkSpf('r.test', zone({ 'r.test': ['v=spf1 redirect=t.test'], 't.test': ['v=spf1 a -all'] }));
    expect(r.lookups).toBe(2);
    expect(r.chain.map((c) => c.via)).toEqual(['start', 'redirect']);
  });
});

describe('DMARC', () => {
  it('parses p, sp, pct and rua', () => {
    expect(parseDmarc('v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:a@x.test,mailto:b@x.test')).toMatchObject({ p: 'reject', sp: 'quarantine', pct: 50, rua: ['mailto:a@x.test', 'mailto:b@x.test'] });
    expect(parseDmarc('v=spf1 -all')).toBeNull();
  });
  it('finds a missing record, p=none, pct and no rua', async () => {
    expect(ids((await checkDmarc('x.test', zone({}))).findings)).toEqual(['dmarc-missing']);
    const weak = await checkDmarc('x.test', zone({ '_dmarc.x.test': ['v=DMARC1; p=none; pct=20'] }));
    expect(ids(weak.findings)).toEqual(['dmarc-p-none', 'dmarc-pct', 'dmarc-no-rua']);
    const good = await checkDmarc('x.test', zone({ '_dmarc.x.test': ['v=DMARC1; p=reject; rua=mailto:d@x.test'] }));
    expect(ids(good.findings)).toEqual(['dmarc-ok']);
  });
});

describe('DNSBL', () => {
  it('reverses IPv4 and IPv6 addresses as RFC 5782 says', async () => {
    const { reverseIp } = await import('../../payload/probe/sender/dnsbl.js');
    expect(reverseIp('203.0.113.5')).toBe('5.113.0.203');
    expect(reverseIp('2001:db8::1')).toBe(['1', ...Array(23).fill('0'), '8', 'b', 'd', '0', '1', '0', '0', '2'].join('.'));
  });
  it('every zone in the data file parses, with a source', async () => {
    const { dnsblZones } = await import('../../payload/probe/sender/dnsbl.js');
    const zones = dnsblZones();
    expect(zones.map((z) => z.zone)).toContain('zen.spamhaus.org');
    expect(zones.every((z) => z.source.startsWith('http'))).toBe(true);
  });
  it('tells listed, refused, clean and timed-out lists apart', async () => {
    const { checkDnsbl, dnsblZones } = await import('../../payload/probe/sender/dnsbl.js');
    const answers: Record<string, string[] | 'hang'> = {
      '5.113.0.203.zen.spamhaus.org': ['127.0.0.4'],
      '5.113.0.203.bl.spamcop.net': 'hang',
      '5.113.0.203.b.barracudacentral.org': ['127.255.255.254'],
    };
    const zones = dnsblZones().filter((z) => ['zen.spamhaus.org', 'bl.spamcop.net', 'psbl.surriel.com'].includes(z.zone));
    zones.push({ ...zones[0]!, zone: 'b.barracudacentral.org', name: 'refusing list' });
    const lookup = async (name: string) => {
      const a = answers[name];
      if (a === 'hang') return new Promise<string[]>(() => {});
      return a ?? null;
    };
    const r = await checkDnsbl('203.0.113.5', lookup, zones, { concurrency: 2, timeoutMs: 200 });
    expect(Object.fromEntries(r.results.map((x) => [x.zone, x.status]))).toEqual({ 'zen.spamhaus.org': 'listed', 'bl.spamcop.net': 'error', 'psbl.surriel.com': 'clean', 'b.barracudacentral.org': 'refused' });
    const listed = r.findings.find((f) => f.id === 'dnsbl-listed')!;
    expect(listed.summary).toContain('XBL');
    expect(listed.evidence).toBe('5.113.0.203.zen.spamhaus.org A 127.0.0.4');
    expect(r.findings.map((f) => f.id)).toEqual(['dnsbl-listed', 'dnsbl-error', 'dnsbl-refused']);
  });
});

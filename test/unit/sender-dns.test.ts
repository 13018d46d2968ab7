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

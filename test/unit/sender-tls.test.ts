// The parsers and matchers of the sender-domain audit's TLS side: MTA-STS record and policy
// (RFC 8461), TLS-RPT (RFC 8460), TLSA matching (RFC 6698/7671) against real certificates,
// and which egress addresses are public.
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkMtaSts, mxMatches, parseMtaStsPolicy, parseMtaStsTxt, policyProblems } from '../../payload/probe/sender/mta-sts.js';
import { checkTlsRpt, parseTlsRpt } from '../../payload/probe/sender/tls-rpt.js';
import { certDigest, matchTlsa, normHex } from '../../payload/probe/sender/tlsa.js';
import { isPublicIp } from '../../payload/probe/sender/egress.js';
import type { TxtLookup } from '../../payload/probe/sender/spf.js';
import { makeTeeCertificates } from '../../payload/tee/cert.js';

const ids = (f: { id: string }[]) => f.map((x) => x.id);
function zone(records: Record<string, string[]>): TxtLookup {
  return async (name) => (records[name] ? records[name].map((t) => [t]) : null);
}

describe('MTA-STS', () => {
  it('reads the TXT record and rejects bad ids and a v= not first', () => {
    expect(parseMtaStsTxt('v=STSv1; id=20260101T000000;')).toEqual({ id: '20260101T000000', valid: true });
    expect(parseMtaStsTxt('v=STSv1; id=2026-01-01').valid).toBe(false);
    expect(parseMtaStsTxt('id=1; v=STSv1').valid).toBe(false);
    expect(parseMtaStsTxt('v=STSv1').valid).toBe(false);
  });
  it('parses a CRLF policy with repeated mx and checks its fields', () => {
    const p = parseMtaStsPolicy('version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n');
    expect(p).toEqual({ version: 'STSv1', mode: 'enforce', mx: ['mx1.example.com', '*.example.net'], max_age: 604800 });
    expect(policyProblems(p)).toEqual([]);
    expect(policyProblems(parseMtaStsPolicy('version: STSv2\nmode: strict\nmax_age: 99999999999\n'))).toEqual(['version is STSv2, not STSv1', 'mode is strict, not enforce, testing or none', 'max_age is missing or not a number', 'no mx: line']);
    expect(policyProblems(parseMtaStsPolicy('version: STSv1\nmode: none\nmax_age: 86400\n'))).toEqual([]);
  });
  it('matches mx patterns as RFC 8461 4.1 says: a wildcard covers one label only', () => {
    expect(mxMatches('mx.example.com', 'MX.example.com.')).toBe(true);
    expect(mxMatches('*.example.com', 'mx1.example.com')).toBe(true);
    expect(mxMatches('*.example.com', 'a.b.example.com')).toBe(false);
    expect(mxMatches('*.example.com', 'example.com')).toBe(false);
    expect(mxMatches('mx.example.com', 'mx.example.net')).toBe(false);
  });
  it('finds an MX the enforce policy misses, a fetch failure, and two records', async () => {
    const txt = zone({ '_mta-sts.d.test': ['v=STSv1; id=1'] });
    const policy = async () => 'version: STSv1\nmode: enforce\nmx: *.mail.d.test\nmax_age: 86400\n';
    const r = await checkMtaSts('d.test', ['a.mail.d.test', 'backup.other.test'], txt, policy);
    expect(ids(r.findings)).toEqual(['mta-sts-mx-not-covered']);
    expect(r.findings[0]!.severity).toBe('fail');
    expect(r.mta_sts?.mx_coverage).toEqual([{ mx: 'a.mail.d.test', pattern: '*.mail.d.test' }, { mx: 'backup.other.test', pattern: null }]);
    const down = await checkMtaSts('d.test', [], txt, () => Promise.reject(new Error('HTTP 301 redirect to https://x.test/: senders must not follow redirects')));
    expect(ids(down.findings)).toEqual(['mta-sts-policy-unavailable']);
    expect(down.findings[0]!.evidence).toContain('GET https://mta-sts.d.test/.well-known/mta-sts.txt: HTTP 301');
    const timeout = await checkMtaSts('d.test', [], txt, () => Promise.reject(Object.assign(new Error('timed out after 5000 ms'), { code: 'ETIMEDOUT' })));
    expect(timeout.findings).toMatchObject([{ id: 'mta-sts-policy-unreachable', severity: 'warn' }]);
    const two = await checkMtaSts('d.test', ['a.mail.d.test'], zone({ '_mta-sts.d.test': ['v=STSv1; id=1', 'v=STSv1; id=2'] }), policy);
    expect(ids(two.findings)).toEqual(['mta-sts-txt-multiple']);
    expect(ids((await checkMtaSts('d.test', [], zone({}), policy)).findings)).toEqual(['mta-sts-missing']);
  });
});

describe('TLS-RPT', () => {
  it('takes mailto: and https: rua URIs and nothing else', () => {
    expect(parseTlsRpt('v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example.com/v1')).toEqual({ valid: true, rua: ['mailto:tls@example.com', 'https://r.example.com/v1'], problems: [] });
    expect(parseTlsRpt('v=TLSRPTv1; rua=http://r.example.com/').problems).toEqual(['rua URI "http://r.example.com/" is neither mailto:<address> nor https://<url>']);
    expect(parseTlsRpt('v=TLSRPTv1;').problems).toEqual(['no rua= tag']);
    expect(parseTlsRpt('rua=mailto:a@b.c; v=TLSRPTv1').valid).toBe(false);
  });
  it('reports a missing, an invalid and a good record', async () => {
    expect(ids((await checkTlsRpt('d.test', zone({}))).findings)).toEqual(['tls-rpt-missing']);
    expect(ids((await checkTlsRpt('d.test', zone({ '_smtp._tls.d.test': ['v=TLSRPTv1; rua=ftp://x'] }))).findings)).toEqual(['tls-rpt-invalid']);
    const ok = await checkTlsRpt('d.test', zone({ '_smtp._tls.d.test': ['v=TLSRPTv1; rua=mailto:tlsrpt@d.test'] }));
    expect(ids(ok.findings)).toEqual(['tls-rpt-ok']);
    expect(ok.tls_rpt?.rua).toEqual(['mailto:tlsrpt@d.test']);
  });
});

describe('TLSA matching against a served chain', () => {
  const certs = makeTeeCertificates(['mx.d.test']);
  const leaf = new X509Certificate(certs.certPem);
  const ca = new X509Certificate(certs.caPem);
  const chain = [certDigest(leaf.raw), certDigest(ca.raw)];
  // The SPKI digest as openssl computes it, not as the code under test does.
  const opensslSpki = (pem: string) => {
    const pub = execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: pem });
    return createHash('sha256').update(execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pub })).digest('hex');
  };

  it('3 1 1 matches the leaf key, as openssl computes its SPKI', () => {
    const r = matchTlsa([{ usage: 3, selector: 1, matching_type: 1, data: opensslSpki(certs.certPem) }], chain);
    expect(r).toMatchObject({ match: 'match', matched: '3 1 1 (DANE-EE) on the leaf' });
  });
  it('2 1 1 matches the CA, 3 0 1 the whole leaf, 3 1 2 the SHA-512 of the key', () => {
    expect(matchTlsa([{ usage: 2, selector: 1, matching_type: 1, data: opensslSpki(certs.caPem) }], chain).matched).toBe('2 1 1 (DANE-TA) on chain certificate 1');
    expect(matchTlsa([{ usage: 3, selector: 0, matching_type: 1, data: normHex(leaf.fingerprint256) }], chain).match).toBe('match');
    const sha512 = createHash('sha512').update(leaf.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
    expect(matchTlsa([{ usage: 3, selector: 1, matching_type: 2, data: sha512 }], chain).match).toBe('match');
  });
  it('a CA pin used as DANE-EE, or another key, is a mismatch', () => {
    expect(matchTlsa([{ usage: 3, selector: 1, matching_type: 1, data: opensslSpki(certs.caPem) }], chain).match).toBe('mismatch');
    const other = makeTeeCertificates(['mx.d.test']);
    expect(matchTlsa([{ usage: 3, selector: 1, matching_type: 1, data: opensslSpki(other.certPem) }], chain).match).toBe('mismatch');
  });
  it('from digests alone (probe_summary.json), SHA-512 and full records are not checked', () => {
    const digests = chain.map((c) => ({ cert_sha256: c.cert_sha256, spki_sha256: c.spki_sha256 }));
    expect(matchTlsa([{ usage: 3, selector: 1, matching_type: 2, data: 'ab' }], digests)).toMatchObject({ match: 'not-checked', unchecked: 1 });
    expect(matchTlsa([{ usage: 3, selector: 1, matching_type: 1, data: opensslSpki(certs.certPem).toUpperCase() }], digests).match).toBe('match');
  });
});

describe('egress IP', () => {
  it('private, loopback, link-local, CGNAT and ULA addresses are not public', () => {
    for (const ip of ['10.1.2.3', '172.20.0.1', '192.168.1.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '::1', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1']) expect(isPublicIp(ip), ip).toBe(false);
    for (const ip of ['203.0.113.7', '8.8.8.8', '2001:db8::7', '2a00:1450:400c:c0b::6c', '::ffff:8.8.4.4']) expect(isPublicIp(ip), ip).toBe(true);
  });
});

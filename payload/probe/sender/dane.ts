// DANE (RFC 7672 for MX, RFC 7673-style for the submission host): the TLSA records of each
// MX on port 25 and of the probed host on its ports, whether the resolver validated them
// (AD), and, for the submission host, whether they match the chain the probe was served.
import { performance } from '../../util/clock.js';
import type { TlsaLookup, SenderAudit } from '../../schema/sender.js';
import { mapPool } from '../../util/pool.js';
import type { Finding } from './spf.js';
import { matchTlsa, queryTlsa, type CertDigest, type DnsServerAddr } from './tlsa.js';

/** MX hosts asked at most: a domain with more is not made to cost more queries. */
const MAX_MX = 10;

export interface SubmissionTarget {
  host: string;
  port: number;
  /** The chain the probe was served on that port, leaf first; empty when it got none. */
  chain: CertDigest[];
  /** The chain verified (PKIX) for the host name: what TLSA usages 0 and 1 require on top of the match. */
  pkixValid: boolean;
}

export interface DaneInput {
  mx: string[];
  submission: SubmissionTarget[];
  server: DnsServerAddr;
  timeoutMs: number;
}

export async function checkDane(i: DaneInput): Promise<{ dane: SenderAudit['dane']; findings: Finding[] }> {
  const jobs = [
    ...i.mx.slice(0, MAX_MX).map((h) => ({ name: `_25._tcp.${h}`, role: 'mx' as const, chain: null, pkixValid: false })),
    ...i.submission.map((s) => ({ name: `_${s.port}._tcp.${s.host}`, role: 'submission' as const, chain: s.chain, pkixValid: s.pkixValid })),
  ];
  const lookups = await mapPool(jobs, 8, async (j): Promise<TlsaLookup> => {
    const t0 = performance.now();
    try {
      const a = await queryTlsa(j.name, i.server, i.timeoutMs);
      let m = j.chain && a.records.length ? (j.chain.length ? matchTlsa(a.records, j.chain) : { match: 'not-checked' as const, matched: null, usage: null }) : null;
      // RFC 6698 2.1.1: a PKIX-TA/PKIX-EE record holds only for a chain that also validates.
      if (m?.match === 'match' && (m.usage ?? 3) < 2 && !j.pkixValid) m = { ...m, match: 'mismatch', matched: `${m.matched}, but the chain does not validate (PKIX usages need both)` };
      return { name: j.name, role: j.role, records: a.records, ad: a.ad, rcode: a.rcode, error: null, ms: a.ms, match: m?.match ?? null, matched: m?.matched ?? null };
    } catch (err) {
      return { name: j.name, role: j.role, records: [], ad: false, rcode: null, error: err instanceof Error ? err.message : String(err), ms: performance.now() - t0, match: null, matched: null };
    }
  });
  const withTlsa = lookups.filter((l) => l.records.length);
  const validated = withTlsa.length ? withTlsa.every((l) => l.ad) : null;
  const findings: Finding[] = [];
  const rec = (l: TlsaLookup) => `${l.name} TLSA ${l.records.map((r) => `${r.usage} ${r.selector} ${r.matching_type} ${r.data.slice(0, 16)}…`).join(', ')}; AD=${l.ad ? 1 : 0}`;
  for (const l of lookups.filter((x) => x.error || (x.rcode && !['NOERROR', 'NXDOMAIN'].includes(x.rcode)))) {
    findings.push({ id: 'dane-lookup-failed', severity: 'warn', summary: `the TLSA query for ${l.name} failed: ${l.error ?? l.rcode}`, evidence: l.error ?? `${l.name} TLSA: ${l.rcode}`, next_step: l.rcode === 'SERVFAIL' ? 'SERVFAIL on a TLSA query often means broken DNSSEC for the zone: check it with a validating resolver (delv, dnsviz.net).' : 'Retry; check that the resolver answers TCP as well as UDP.' });
  }
  for (const l of withTlsa.filter((x) => !x.ad)) {
    findings.push({ id: 'dane-not-validated', severity: 'warn', summary: `${l.name} has TLSA records but the resolver did not validate them (no AD bit): they prove nothing here`, evidence: rec(l), next_step: 'Ask through a DNSSEC-validating resolver (--resolver), or sign the zone if it is not signed; senders ignore TLSA records without DNSSEC.' });
  }
  for (const l of withTlsa.filter((x) => x.match === 'mismatch')) {
    findings.push({ id: 'dane-mismatch', severity: 'fail', summary: l.matched ? `${l.name}: TLSA ${l.matched}: DANE clients refuse it` : `no TLSA record at ${l.name} matches the certificate chain the server presented: DANE clients refuse it`, evidence: rec(l), next_step: 'Publish TLSA records for the current certificate (3 1 1 of its key) before or with every certificate change, then retire the old ones.' });
  }
  for (const l of withTlsa.filter((x) => x.match === 'match')) {
    findings.push({ id: 'dane-match', severity: 'info', summary: `${l.name}: TLSA ${l.matched} matches the served certificate${l.ad ? '' : ' (but the answer was not DNSSEC-validated)'}`, evidence: rec(l), next_step: 'None.' });
  }
  for (const l of withTlsa.filter((x) => x.role === 'mx' && x.ad)) {
    findings.push({ id: 'dane-mx', severity: 'info', summary: `MX ${l.name} publishes DNSSEC-validated TLSA records: DANE senders require a matching certificate there`, evidence: rec(l), next_step: 'Keep the TLSA records in step with the MX certificate.' });
  }
  if (!withTlsa.length && lookups.length) {
    findings.push({ id: 'dane-none', severity: 'info', summary: `no TLSA records at ${lookups.map((l) => l.name).join(', ')}: DANE is not in use`, evidence: lookups.map((l) => `${l.name}: ${l.error ? 'error' : l.rcode}`).join(', '), next_step: 'Optional: DANE needs a DNSSEC-signed zone; MTA-STS protects inbound TLS without it.' });
  }
  return { dane: { lookups, validated }, findings };
}

// The egress IP against the common DNSBL zones (data/dnsbl-zones.json), in parallel with a
// bound and a per-query timeout: a listed runner address explains rejections no setting fixes.
import { mapPool } from '../../util/pool.js';
import zonesFile from './data/dnsbl-zones.json' with { type: 'json' };
import { DnsblZonesSchema, type DnsblZone } from './dnsbl-schema.js';
import type { Finding } from './spf.js';
import { ipFamily } from '../../util/ip-family.js';

/** A addresses of a name; null for NXDOMAIN/no data (not listed); throws on timeout or SERVFAIL. */
export type ALookup = (name: string) => Promise<string[] | null>;

export function dnsblZones(): DnsblZone[] {
  return DnsblZonesSchema.parse(zonesFile).zones;
}

/** 203.0.113.5 -> 5.113.0.203; IPv6 as 32 reversed nibbles (RFC 5782). */
export function reverseIp(ip: string): string {
  if (ipFamily(ip) === 4) return ip.split('.').reverse().join('.');
  if (ipFamily(ip) !== 6) throw new Error(`not an IP address: ${ip}`);
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0')).join('').split('').reverse().join('.');
}

export interface DnsblResult {
  zone: string;
  name: string;
  status: 'listed' | 'clean' | 'refused' | 'error';
  answers: string[];
  meaning: string | null;
  ms: number;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, j) => (timer = setTimeout(() => j(new Error(`timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

export async function checkDnsbl(ip: string, lookup: ALookup, zones = dnsblZones(), o = { concurrency: 8, timeoutMs: 3000 }): Promise<{ results: DnsblResult[]; findings: Finding[] }> {
  const rev = reverseIp(ip);
  const results = await mapPool(zones, o.concurrency, async (z): Promise<DnsblResult> => {
    const t0 = performance.now();
    const base = { zone: z.zone, name: z.name };
    try {
      const answers = (await withTimeout(lookup(`${rev}.${z.zone}`), o.timeoutMs)) ?? [];
      const ms = performance.now() - t0;
      if (!answers.length) return { ...base, status: 'clean', answers, meaning: null, ms };
      const refused = answers.find((a) => z.refused[a]);
      if (refused) return { ...base, status: 'refused', answers, meaning: z.refused[refused]!, ms };
      return { ...base, status: 'listed', answers, meaning: answers.map((a) => z.codes[a] ?? `listed (answer ${a}, meaning not known)`).join('; '), ms };
    } catch (err) {
      return { ...base, status: 'error', answers: [], meaning: err instanceof Error ? err.message : String(err), ms: performance.now() - t0 };
    }
  });
  const findings: Finding[] = [];
  for (const r of results) {
    const z = zones.find((x) => x.zone === r.zone)!;
    if (r.status === 'listed') findings.push({ id: 'dnsbl-listed', severity: 'fail', summary: `egress IP ${ip} is listed in ${r.name}: ${r.meaning}`, evidence: `${rev}.${r.zone} A ${r.answers.join(' ')}`, next_step: `Ask the network owner for a clean egress address or request delisting (${z.source}); mail straight from this IP will be refused by receivers using ${r.name}.` });
    else if (r.status === 'refused') findings.push({ id: 'dnsbl-refused', severity: 'warn', summary: `${r.name} did not answer the query: ${r.meaning}`, evidence: `${rev}.${r.zone} A ${r.answers.join(' ')}`, next_step: 'Query through a non-public resolver (--resolver) to learn the listing status.' });
    else if (r.status === 'error') findings.push({ id: 'dnsbl-error', severity: 'info', summary: `${r.name} could not be asked: ${r.meaning}`, evidence: `${rev}.${r.zone}`, next_step: 'Retry later; the list may be down or blocked from this network.' });
  }
  if (!findings.some((f) => f.severity === 'fail')) findings.push({ id: 'dnsbl-clean', severity: 'info', summary: `egress IP ${ip} is listed in none of the ${results.filter((r) => r.status === 'clean').length} lists that answered`, evidence: results.map((r) => `${r.zone}: ${r.status}`).join(', '), next_step: 'None.' });
  return { results, findings };
}

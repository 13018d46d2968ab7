// SPF (RFC 7208) as a receiver evaluates it: the record parsed, include/redirect followed,
// and the DNS-querying terms counted against the 10-lookup and 2-void-lookup limits, since
// a domain over them fails SPF (permerror) at every receiver however right its hosts are.
import type { SenderFinding } from '../../schema/sender.js';

export type { Severity } from '../../schema/sender.js';
export type Finding = SenderFinding;

/** TXT strings of a name; null when the name does not exist or has no TXT (a void lookup). */
export type TxtLookup = (name: string) => Promise<string[][] | null>;

export interface SpfTerm {
  qualifier: '+' | '-' | '~' | '?';
  mechanism: string;
  value: string | null;
}

export interface SpfRecord {
  terms: SpfTerm[];
  redirect: string | null;
  all: SpfTerm['qualifier'] | null;
}

// RFC 7208 4.6.4: these terms cost a DNS lookup each; ip4, ip6 and all do not.
const LOOKUP_TERMS = new Set(['include', 'a', 'mx', 'ptr', 'exists']);
export const MAX_LOOKUPS = 10;
export const MAX_VOID_LOOKUPS = 2;
/** A bound on the walk itself, so a hostile chain cannot keep the probe busy. */
const MAX_RECORDS = 40;

export function isSpf(txt: string): boolean {
  return /^v=spf1(\s|$)/i.test(txt.trim());
}

export function parseSpf(txt: string): SpfRecord {
  const rec: SpfRecord = { terms: [], redirect: null, all: null };
  for (const raw of txt.trim().split(/\s+/).slice(1)) {
    const mod = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(raw);
    if (mod) {
      if (mod[1]!.toLowerCase() === 'redirect') rec.redirect = mod[2]!;
      continue;
    }
    const m = /^([+\-~?]?)([a-z0-9]+)(?:[:/](.*))?$/i.exec(raw);
    if (!m) continue;
    const term: SpfTerm = { qualifier: (m[1] || '+') as SpfTerm['qualifier'], mechanism: m[2]!.toLowerCase(), value: m[3] ?? null };
    rec.terms.push(term);
    if (term.mechanism === 'all') rec.all = term.qualifier;
  }
  return rec;
}

export interface SpfChainLink {
  domain: string;
  record: string | null;
  via: 'start' | 'include' | 'redirect';
}

export interface SpfResult {
  records: string[];
  chain: SpfChainLink[];
  lookups: number;
  void_lookups: number;
  loops: string[];
  findings: Finding[];
}

export async function checkSpf(domain: string, txt: TxtLookup): Promise<SpfResult> {
  const out: SpfResult = { records: [], chain: [], lookups: 0, void_lookups: 0, loops: [], findings: [] };
  const top = ((await txt(domain)) ?? []).map((s) => s.join('')).filter(isSpf);
  out.records = top;
  if (!top.length) {
    out.findings.push({ id: 'spf-missing', severity: 'fail', summary: `${domain} publishes no SPF record`, evidence: `no "v=spf1" TXT at ${domain}`, next_step: `Publish one TXT record at ${domain}, e.g. "v=spf1 include:<your provider> -all".` });
    return out;
  }
  if (top.length > 1) {
    out.findings.push({ id: 'spf-multiple', severity: 'fail', summary: `${domain} publishes ${top.length} SPF records: receivers return permerror`, evidence: top.join(' | '), next_step: 'Merge them into a single "v=spf1 ... -all" TXT record (RFC 7208 4.5).' });
  }
  const first = parseSpf(top[0]!);
  if (first.all === '+') out.findings.push({ id: 'spf-plus-all', severity: 'fail', summary: 'SPF ends in +all: any host on the internet passes as this domain', evidence: top[0]!, next_step: 'Replace +all with -all (or ~all while testing).' });
  else if (first.all === null && !first.redirect) out.findings.push({ id: 'spf-no-all', severity: 'warn', summary: 'SPF has no -all or ~all: mail from other hosts is neutral, not rejected', evidence: top[0]!, next_step: 'End the record with -all (or ~all).' });
  else if (first.all === '?') out.findings.push({ id: 'spf-neutral-all', severity: 'warn', summary: 'SPF ends in ?all: it says nothing about other hosts', evidence: top[0]!, next_step: 'End the record with -all (or ~all).' });

  const seen = new Set<string>();
  const walk = async (d: string, record: string, via: SpfChainLink['via']): Promise<void> => {
    out.chain.push({ domain: d, record, via });
    seen.add(d.toLowerCase());
    const rec = parseSpf(record);
    const next: { d: string; via: SpfChainLink['via'] }[] = [];
    for (const t of rec.terms) {
      if (!LOOKUP_TERMS.has(t.mechanism)) continue;
      out.lookups++;
      if (t.mechanism === 'include' && t.value) next.push({ d: t.value, via: 'include' });
    }
    // RFC 7208 6.1: redirect is ignored when the record has an all term.
    if (rec.redirect && rec.all === null) {
      out.lookups++;
      next.push({ d: rec.redirect, via: 'redirect' });
    }
    for (const n of next) {
      if (seen.has(n.d.toLowerCase())) {
        out.loops.push(`${d} -> ${n.d}`);
        continue;
      }
      if (out.chain.length >= MAX_RECORDS || out.lookups > MAX_LOOKUPS * 2) return;
      const answers = await txt(n.d);
      const spf = (answers ?? []).map((s) => s.join('')).filter(isSpf);
      if (!answers || !answers.length) out.void_lookups++;
      if (!spf.length) {
        out.chain.push({ domain: n.d, record: null, via: n.via });
        continue;
      }
      await walk(n.d, spf[0]!, n.via);
    }
  };
  await walk(domain, top[0]!, 'start');

  const path = out.chain.map((c) => c.domain).join(' -> ');
  if (out.lookups > MAX_LOOKUPS) out.findings.push({ id: 'spf-too-many-lookups', severity: 'fail', summary: `SPF needs ${out.lookups} DNS lookups, over the limit of ${MAX_LOOKUPS}: receivers return permerror`, evidence: path, next_step: 'Flatten includes (replace some with ip4:/ip6:) or drop senders you no longer use.' });
  if (out.void_lookups > MAX_VOID_LOOKUPS) out.findings.push({ id: 'spf-void-lookups', severity: 'fail', summary: `SPF has ${out.void_lookups} void lookups, over the limit of ${MAX_VOID_LOOKUPS}`, evidence: path, next_step: 'Remove includes of names that do not exist or publish no SPF.' });
  for (const l of out.loops) out.findings.push({ id: 'spf-loop', severity: 'fail', summary: 'SPF include loop', evidence: l, next_step: 'Remove the include that points back into the chain.' });
  for (const c of out.chain.filter((x) => x.record === null)) out.findings.push({ id: 'spf-include-missing', severity: 'fail', summary: `${c.via} target ${c.domain} publishes no SPF record: receivers return permerror`, evidence: path, next_step: `Fix or remove ${c.via}:${c.domain}.` });
  if (!out.findings.some((f) => f.severity !== 'info')) out.findings.push({ id: 'spf-ok', severity: 'info', summary: `SPF is valid with ${out.lookups} of ${MAX_LOOKUPS} lookups`, evidence: top[0]!, next_step: 'None.' });
  return out;
}

// DMARC (RFC 7489): the _dmarc TXT record's policy tags, and what each weak setting means
// for a bot's mail (p=none protects nothing; pct<100 applies the policy to part of it).
import type { Finding, TxtLookup } from './spf.js';

export interface DmarcRecord {
  p: string | null;
  sp: string | null;
  pct: number | null;
  rua: string[];
  tags: Record<string, string>;
}

export function parseDmarc(txt: string): DmarcRecord | null {
  if (!/^v\s*=\s*DMARC1\s*(;|$)/i.test(txt.trim())) return null;
  const tags: Record<string, string> = {};
  for (const part of txt.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) tags[part.slice(0, i).trim().toLowerCase()] = part.slice(i + 1).trim();
  }
  const pct = tags.pct !== undefined && /^\d{1,3}$/.test(tags.pct) ? Number(tags.pct) : null;
  return { p: tags.p?.toLowerCase() ?? null, sp: tags.sp?.toLowerCase() ?? null, pct, rua: tags.rua ? tags.rua.split(',').map((s) => s.trim()).filter(Boolean) : [], tags };
}

export async function checkDmarc(domain: string, txt: TxtLookup): Promise<{ record: string | null; parsed: DmarcRecord | null; findings: Finding[] }> {
  const name = `_dmarc.${domain}`;
  const records = ((await txt(name)) ?? []).map((s) => s.join('')).filter((t) => parseDmarc(t) !== null);
  if (!records.length) return { record: null, parsed: null, findings: [{ id: 'dmarc-missing', severity: 'fail', summary: `${domain} publishes no DMARC record: Gmail and Yahoo require one from bulk senders`, evidence: `no "v=DMARC1" TXT at ${name}`, next_step: `Publish "v=DMARC1; p=none; rua=mailto:dmarc@${domain}" at ${name}, then tighten p= once reports look clean.` }] };
  const record = records[0]!;
  const d = parseDmarc(record)!;
  const findings: Finding[] = [];
  if (records.length > 1) findings.push({ id: 'dmarc-multiple', severity: 'fail', summary: `${name} has ${records.length} DMARC records: receivers ignore them all`, evidence: records.join(' | '), next_step: 'Keep a single DMARC record.' });
  if (!d.p || !['none', 'quarantine', 'reject'].includes(d.p)) findings.push({ id: 'dmarc-bad-policy', severity: 'fail', summary: 'DMARC record without a valid p= tag', evidence: record, next_step: 'Set p=none, quarantine or reject.' });
  else if (d.p === 'none') findings.push({ id: 'dmarc-p-none', severity: 'warn', summary: 'DMARC p=none: monitoring only, spoofed mail is not rejected', evidence: record, next_step: 'Move to p=quarantine, then p=reject, once the reports show all your senders aligned.' });
  if (d.pct !== null && d.pct < 100) findings.push({ id: 'dmarc-pct', severity: 'warn', summary: `DMARC applies to ${d.pct}% of failing mail only`, evidence: record, next_step: 'Raise pct to 100 (or drop the tag).' });
  if (!d.rua.length) findings.push({ id: 'dmarc-no-rua', severity: 'warn', summary: 'DMARC has no rua=: nobody receives the aggregate reports', evidence: record, next_step: `Add rua=mailto:dmarc@${domain}.` });
  if (!findings.some((f) => f.severity !== 'info')) findings.push({ id: 'dmarc-ok', severity: 'info', summary: `DMARC p=${d.p}${d.sp ? `, sp=${d.sp}` : ''}`, evidence: record, next_step: 'None.' });
  return { record, parsed: d, findings };
}

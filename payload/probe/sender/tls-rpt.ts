// SMTP TLS Reporting (RFC 8460): the _smtp._tls TXT record that tells sending MTAs where to
// report TLS failures (MTA-STS, DANE, STARTTLS) toward this domain: mailto: or https: only.
import type { SenderAudit } from '../../schema/sender.js';
import type { Finding, TxtLookup } from './spf.js';

export interface TlsRptRecord {
  valid: boolean;
  rua: string[];
  problems: string[];
}

export function parseTlsRpt(txt: string): TlsRptRecord {
  const parts = txt.split(';').map((p) => p.trim()).filter(Boolean);
  const problems: string[] = [];
  if (parts[0] !== 'v=TLSRPTv1') problems.push('v=TLSRPTv1 is not the first tag');
  const rua = parts.map((p) => /^rua=(.*)$/.exec(p)?.[1]).find((x) => x !== undefined);
  const uris = (rua ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  if (rua === undefined) problems.push('no rua= tag');
  else if (!uris.length) problems.push('rua= is empty');
  for (const u of uris) {
    if (/^mailto:[^@\s]+@[^@\s]+\.[^@\s]+$/i.test(u) || /^https:\/\/[^\s/]+\.[^\s]+$/i.test(u)) continue;
    problems.push(`rua URI "${u}" is neither mailto:<address> nor https://<url>`);
  }
  return { valid: !problems.length, rua: uris, problems };
}

export async function checkTlsRpt(domain: string, txt: TxtLookup): Promise<{ tls_rpt: SenderAudit['tls_rpt']; findings: Finding[] }> {
  const name = `_smtp._tls.${domain}`;
  const records = ((await txt(name)) ?? []).map((s) => s.join('')).filter((t) => /^v=TLSRPTv1\b/.test(t.trim()));
  if (!records.length) return { tls_rpt: null, findings: [{ id: 'tls-rpt-missing', severity: 'info', summary: `${domain} publishes no TLS-RPT record: nobody hears of TLS failures of mail sent to it`, evidence: `no "v=TLSRPTv1" TXT at ${name}`, next_step: `Optional: publish "v=TLSRPTv1; rua=mailto:tlsrpt@${domain}" at ${name}.` }] };
  const record = records[0]!;
  const r = parseTlsRpt(record);
  const findings: Finding[] = [];
  if (records.length > 1) findings.push({ id: 'tls-rpt-multiple', severity: 'warn', summary: `${name} has ${records.length} TLSRPTv1 records: senders ignore them all`, evidence: records.join(' | '), next_step: 'Keep one record.' });
  if (!r.valid) findings.push({ id: 'tls-rpt-invalid', severity: 'warn', summary: `${name} is not a valid TLS-RPT record: ${r.problems.join('; ')}`, evidence: record, next_step: `Publish "v=TLSRPTv1; rua=mailto:tlsrpt@${domain}".` });
  else if (!findings.length) findings.push({ id: 'tls-rpt-ok', severity: 'info', summary: `TLS reports go to ${r.rua.join(', ')}`, evidence: record, next_step: 'None.' });
  return { tls_rpt: { record, rua: r.rua }, findings };
}

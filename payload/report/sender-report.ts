// The --sender-domain section of report.md and report.html, and the one-line summary: the
// domain's records in the order a receiver meets them (MX, SPF, DMARC, DKIM, MTA-STS,
// TLS-RPT, DANE), then the egress IP's DNSBL answers, failing findings first.
import type { SenderAudit, SenderFinding } from '../schema/sender.js';
import type { ProbeSummary } from '../schema/summary.js';
import { formatMs } from '../util/duration.js';
import { esc } from './html-page.js';

const ORDER = { fail: 0, warn: 1, info: 2 } as const;
const MARK = { fail: '✗', warn: '⚠', info: '·' } as const;

function sorted(a: SenderAudit): SenderFinding[] {
  return [...a.findings].sort((x, y) => ORDER[x.severity] - ORDER[y.severity]);
}

/** "example.com: 1 fail, 2 warn (spf-too-many-lookups, dmarc-p-none, ...)" or "... no problem found". */
export function senderLine(a: SenderAudit): string {
  const n = (s: keyof typeof ORDER) => a.findings.filter((f) => f.severity === s).length;
  const bad = sorted(a).filter((f) => f.severity !== 'info');
  if (!bad.length) return `${a.domain}: no problem found (${a.findings.length} checks)${a.error ? `; ${a.error}` : ''}`;
  const ids = [...new Set(bad.map((f) => f.id))];
  return `${a.domain}: ${n('fail')} fail, ${n('warn')} warn (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''})`;
}

/** Facts worth a line each, apart from the findings: what was asked and what came back. */
function facts(a: SenderAudit): string[] {
  const L: string[] = [`Resolver ${a.resolver}; ${formatMs(a.ms)}.`];
  L.push(`MX: ${a.mx.join(', ') || 'none'}`);
  if (a.spf) L.push(`SPF: ${a.spf.lookups} of 10 lookups, ${a.spf.void_lookups} void; chain ${a.spf.chain.join(' -> ')}`);
  if (a.dmarc) L.push(`DMARC: ${a.dmarc}`);
  if (a.mta_sts) L.push(`MTA-STS: ${a.mta_sts.txt}; policy ${a.mta_sts.policy ? `mode ${a.mta_sts.policy.mode}, max_age ${a.mta_sts.policy.max_age}, mx ${a.mta_sts.policy.mx.join(' ')}` : `not fetched (${a.mta_sts.fetch_error})`}`);
  if (a.tls_rpt) L.push(`TLS-RPT: ${a.tls_rpt.record}`);
  for (const l of a.dane.lookups) L.push(`TLSA ${l.name} (${l.role}): ${l.error ?? (l.records.length ? `${l.records.map((r) => `${r.usage} ${r.selector} ${r.matching_type}`).join(', ')}; AD ${l.ad ? 'set (validated)' : 'not set (not validated)'}${l.match ? `; ${l.match}${l.matched ? ` ${l.matched}` : ''}` : ''}` : l.rcode ?? '-')}`);
  if (a.dane.lookups.some((l) => l.records.length)) L.push(`DNSSEC: ${a.dane.validated ? 'the resolver validated every TLSA answer (AD)' : 'the resolver did not validate (no AD bit): TLSA records are unproven here'}`);
  for (const e of a.egress) {
    if (!e.public) L.push(`Egress IP ${e.ip} (${e.source}): not a public address, DNSBLs not asked`);
    else L.push(`Egress IP ${e.ip} (${e.source}): ${e.dnsbl.map((d) => `${d.zone} ${d.status}`).join(', ')}`);
  }
  return L;
}

export function senderMarkdown(s: ProbeSummary): string[] {
  const a = s.sender;
  if (!a) return [];
  const L = [`## Sender domain: ${a.domain}`, '', `**${senderLine(a)}**`, ''];
  // Record texts are the domain owner's: outside code spans, < and > are escaped so no viewer renders them as HTML.
  for (const f of facts(a)) L.push(`- ${f.replace(/[|<>]/g, (c) => `\\${c}`)}`);
  L.push('');
  const text = (x: string) => x.replace(/[<>]/g, (c) => `\\${c}`);
  for (const f of sorted(a)) L.push(`- ${MARK[f.severity]} **${f.id}** (${f.severity}): ${text(f.summary)}`, `  - evidence: \`${f.evidence.replace(/`/g, "'")}\``, `  - next step: ${text(f.next_step)}`);
  L.push('');
  return L;
}

export function senderHtml(s: ProbeSummary): string {
  const a = s.sender;
  if (!a) return '';
  const rows = sorted(a)
    .map((f) => `<tr><td><span class="badge c-${f.severity === 'fail' ? 'connect' : f.severity === 'warn' ? 'auth' : 'ok'}">${esc(f.severity)}</span></td><td class="mono">${esc(f.id)}</td><td>${esc(f.summary)}</td><td><code>${esc(f.evidence)}</code></td><td>${esc(f.next_step)}</td></tr>`)
    .join('');
  return `<section id="sender"><h2>Sender domain: <span class="mono">${esc(a.domain)}</span></h2><p><strong>${esc(senderLine(a))}</strong></p><ul>${facts(a).map((f) => `<li>${esc(f)}</li>`).join('')}</ul>
<table><tr><th>severity</th><th>finding</th><th>summary</th><th>evidence</th><th>next step</th></tr>${rows}</table></section>`;
}

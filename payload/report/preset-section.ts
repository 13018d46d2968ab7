// The "Provider preset" section of report.md and report.html: what --provider says the
// provider does, next to what this run saw, then the mismatches (preset-findings.ts), so a
// difference (no STARTTLS, another CA, other AUTH mechanisms) stands out.
import type { ProbeSummary } from '../schema/summary.js';
import { esc } from './html-page.js';
import { presetFindings } from './preset-findings.js';
import { findingLabel } from './run-findings.js';

/** The section's facts as label/value pairs, shared by both reports so they say the same. */
function presetFacts(s: ProbeSummary): Array<[string, string]> {
  const p = s.settings.provider!;
  const tlsAttempts = s.attempts.filter((a) => a.tls?.chain.length);
  const issuers = [...new Set(tlsAttempts.map((a) => a.tls!.chain[0]!.issuer))];
  const starttls = s.attempts.filter((a) => a.mode === 'starttls' && a.smtp.ehlo);
  const offered = starttls.filter((a) => a.smtp.ehlo!.lines.some((l) => /^\d{3}[ -]STARTTLS\b/i.test(l))).length;
  const authLine = (lines: readonly string[]) => lines.map((l) => /^\d{3}[ -]AUTH[ =](.*)$/i.exec(l)?.[1]?.trim()).find((x) => x);
  const auth = [...new Set(s.attempts.map((a) => authLine((a.smtp.ehlo_tls ?? a.smtp.ehlo)?.lines ?? [])).filter((x): x is string => !!x))];
  return [
    ['Endpoints', `${p.endpoints.map((e) => `${e.host} ${e.port}/${e.mode}${e.optional ? ' (not probed by default)' : ''}`).join(', ')}${p.region ? `; region ${p.region}${p.region_defaulted ? ' (the default: give --region for another)' : ''}` : ''}`],
    ['User name', p.username ?? 'the mailbox address'],
    ['STARTTLS', `${p.always_offers_starttls ? 'always offered' : 'not always offered'}; seen on ${offered} of ${starttls.length} STARTTLS attempt(s) with an EHLO reply`],
    ['Certificate issuer', `expected ${p.certificate_issuer ?? '(not known)'}; seen ${issuers.join(', ') || '(no TLS handshake)'}`],
    ['AUTH mechanisms', `expected ${p.auth_mechanisms.join(' ') || '(not known)'}; offered ${auth.join(', ') || '(none seen)'}`],
    ['Source', p.source],
  ];
}

export function presetSection(s: ProbeSummary): string[] {
  const p = s.settings.provider;
  if (!p) return [];
  const findings = presetFindings(s);
  return [
    `## Provider preset: ${p.name}`,
    '',
    ...presetFacts(s).map(([k, v]) => `- ${k}: ${v}`),
    '',
    ...findings.flatMap((f) => [`- ⚠ **${f.id}** (${f.severity}): ${f.text}. Next step: ${findingLabel(f.id)?.next_step ?? '-'}`]),
    ...(findings.length ? [''] : []),
  ];
}

export function presetHtml(s: ProbeSummary): string {
  const p = s.settings.provider;
  if (!p) return '';
  const rows = presetFacts(s).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  const findings = presetFindings(s).map((f) => `<li class="warn"><strong>${esc(f.id)}</strong> (${esc(f.severity)}): ${esc(f.text)}. <strong>Next step:</strong> ${esc(findingLabel(f.id)?.next_step ?? '-')}</li>`);
  return `<section id="preset"><h2>Provider preset: ${esc(p.name)}</h2><table>${rows}</table>${findings.length ? `<ul>${findings.join('')}</ul>` : '<p>What this run saw matches the preset.</p>'}</section>`;
}

// report.md's "Provider preset" section: what --provider says the provider does, next to
// what this run saw, so a difference (no STARTTLS, another CA, other AUTH mechanisms) stands out.
import type { ProbeSummary } from '../schema/summary.js';

export function presetSection(s: ProbeSummary): string[] {
  const p = s.settings.provider;
  if (!p) return [];
  const tlsAttempts = s.attempts.filter((a) => a.tls?.chain.length);
  const issuers = [...new Set(tlsAttempts.map((a) => a.tls!.chain[0]!.issuer))];
  const starttls = s.attempts.filter((a) => a.mode === 'starttls' && a.smtp.ehlo);
  const offered = starttls.filter((a) => a.smtp.ehlo!.lines.some((l) => /^\d{3}[ -]STARTTLS\b/i.test(l))).length;
  const authLine = (lines: readonly string[]) => lines.map((l) => /^\d{3}[ -]AUTH[ =](.*)$/i.exec(l)?.[1]?.trim()).find((x) => x);
  const auth = [...new Set(s.attempts.map((a) => authLine((a.smtp.ehlo_tls ?? a.smtp.ehlo)?.lines ?? [])).filter((x): x is string => !!x))];
  return [
    `## Provider preset: ${p.name}`,
    '',
    `- Endpoints: ${p.endpoints.map((e) => `${e.host} ${e.port}/${e.mode}${e.optional ? ' (not probed by default)' : ''}`).join(', ')}${p.region ? `; region ${p.region}${p.region_defaulted ? ' (the default: give --region for another)' : ''}` : ''}`,
    `- User name: ${p.username ?? 'the mailbox address'}`,
    `- STARTTLS: ${p.always_offers_starttls ? 'always offered' : 'not always offered'}; seen on ${offered} of ${starttls.length} STARTTLS attempt(s) with an EHLO reply`,
    `- Certificate issuer: expected ${p.certificate_issuer ?? '(not known)'}; seen ${issuers.join(', ') || '(no TLS handshake)'}`,
    `- AUTH mechanisms: expected ${p.auth_mechanisms.join(' ') || '(not known)'}; offered ${auth.join(', ') || '(none seen)'}`,
    `- Source: ${p.source}`,
    '',
  ];
}

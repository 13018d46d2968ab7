// What a --provider run saw that the provider's known personality says it should not: no
// STARTTLS where the provider always offers it, a certificate from another issuer, AUTH
// mechanisms none of which the provider lists. Computed from probe_summary.json alone, so
// report.md, report.html and the fleet's grouping (store/) say the same thing.
import { expectedIssuer } from '../classify/interceptors.js';
import type { Attempt, ProbeSummary } from '../schema/summary.js';
import type { RunFinding } from './run-findings.js';

const STARTTLS_LINE = /^\d{3}[ -]STARTTLS\b/i;
const byPort = (attempts: readonly Attempt[]) => [...new Set(attempts.map((a) => a.port))].sort((x, y) => x - y);

export function presetFindings(s: ProbeSummary): RunFinding[] {
  const p = s.settings.provider;
  if (!p) return [];
  const out: RunFinding[] = [];
  if (p.always_offers_starttls) {
    const stripped = s.attempts.filter((a) => a.mode === 'starttls' && a.smtp.ehlo?.code === 250 && !a.smtp.ehlo.lines.some((l) => STARTTLS_LINE.test(l)));
    for (const port of byPort(stripped))
      out.push({ id: 'preset-starttls-missing', where: String(port), severity: 'error', text: `port ${port}: EHLO did not offer STARTTLS, which ${p.name} always offers: ${stripped.find((a) => a.port === port)!.smtp.ehlo!.lines.join(' / ').slice(0, 200)}` });
  }
  // The classifier's issuer pattern for the host when it has one, else the preset's issuer name.
  const expected = expectedIssuer(s.settings.host) ?? (p.certificate_issuer ? { issuer: new RegExp(p.certificate_issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'), name: p.certificate_issuer } : null);
  if (expected) {
    const foreign = s.attempts.filter((a) => a.tls?.chain.length && !a.tls.chain.some((c) => expected.issuer.test(c.issuer)));
    for (const port of byPort(foreign))
      out.push({ id: 'preset-issuer-unexpected', where: String(port), severity: 'error', text: `port ${port}: certificate issued by ${foreign.find((a) => a.port === port)!.tls!.chain[0]!.issuer}, not ${expected.name} as for ${p.name}` });
  }
  if (p.auth_mechanisms.length) {
    const afterTls = s.attempts.filter((a) => a.smtp.ehlo_tls?.code === 250 || (a.mode === 'implicit' && a.smtp.ehlo?.code === 250));
    const odd = afterTls.filter((a) => !a.smtp.features.auth_mechanisms.some((m) => p.auth_mechanisms.includes(m)));
    for (const port of byPort(odd))
      out.push({ id: 'preset-auth-unexpected', where: String(port), severity: 'warning', text: `port ${port}: AUTH offered over TLS: ${odd.find((a) => a.port === port)!.smtp.features.auth_mechanisms.join(' ') || 'none'}; ${p.name} offers ${p.auth_mechanisms.join(' ')}` });
  }
  return out;
}

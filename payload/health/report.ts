// report.md of a health run: the verdict, a line per provider, then each endpoint.
import type { HealthSummary } from '../schema/health.js';

const cell = (t: string) => t.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

export function renderHealthReport(s: HealthSummary): string {
  const out = [
    '# smtp-probe health',
    '',
    `Run ${s.run.id}, ${s.run.started_at}, ${s.run.duration_ms} ms; providers: ${s.settings.providers.join(', ')}${s.settings.region ? `; SES region ${s.settings.region}` : ''}${s.settings.resolver ? `; resolver ${s.settings.resolver}` : ''}.`,
    '',
    '## Verdict',
    '',
    `**${s.verdict.kind}** (exit ${s.verdict.exit_code}): ${s.verdict.summary}`,
    '',
    `Next step: ${s.verdict.next_step}`,
    '',
    '## Providers',
    '',
    ...s.providers.map((p) => `- ${p.line}${p.finding === 'none' ? '' : ` (${p.finding === 'port-block' ? 'network block of a port' : p.finding === 'network' ? 'network' : 'provider problem'})`}`),
    '',
    '## Endpoints',
    '',
    '| provider | host | port | mode | outcome | evidence | next step |',
    '|---|---|---|---|---|---|---|',
    ...s.providers.flatMap((p) => p.endpoints.map((e) => `| ${cell(p.name)} | ${e.host} | ${e.port} | ${e.mode} | ${cell(e.outcome)} | ${cell(e.evidence)} | ${cell(e.next_step)} |`)),
    '',
  ];
  return out.join('\n');
}

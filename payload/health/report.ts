// report.md and report.html of a health run: the verdict, a line per provider, then each
// endpoint. The HTML uses the payload's page frame (CSP, no script, no fetch).
import { BASE_CSS, esc, htmlPage, tok } from '../report/html-page.js';
import type { HealthSummary } from '../schema/health.js';

const FINDING = { 'port-block': 'network block of a port', network: 'network', provider: 'provider problem' } as const;
const VERDICT_CLASS = { ok: 'ok', 'port-block': 'connect', 'egress-block': 'connect', 'provider-problem': 'smtp-policy', 'dns-failure': 'dns' } as const;

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
    ...s.providers.map((p) => `- ${p.line}${p.finding === 'none' ? '' : ` (${FINDING[p.finding]})`}`),
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

export function renderHealthHtml(s: HealthSummary): string {
  const v = s.verdict;
  const providers = s.providers.map((p) => `<li><span class="badge c-${p.status === 'ok' ? 'ok' : p.status === 'partial' ? 'tls' : 'connect'}">${esc(p.status)}</span> ${esc(p.line)}${p.finding === 'none' ? '' : ` <span class="muted">(${FINDING[p.finding]})</span>`}</li>`).join('');
  const rows = s.providers
    .flatMap((p) => p.endpoints.map((e) => `<tr><td>${esc(p.name)}</td><td class="mono">${esc(e.host)}</td><td>${e.port}</td><td>${esc(e.mode)}</td><td><span class="badge c-${tok(e.class)}">${esc(e.outcome)}</span></td><td><code>${esc(e.evidence)}</code></td><td>${esc(e.next_step)}</td></tr>`))
    .join('\n');
  const body = [
    '<h1>smtp-probe health</h1>',
    `<section id="verdict" class="card c-${VERDICT_CLASS[v.kind]}"><p><span class="badge c-${VERDICT_CLASS[v.kind]}">${esc(v.kind)}</span> <strong>${esc(v.summary)}</strong> <span class="muted">(exit ${v.exit_code})</span></p><p><strong>Next step:</strong> ${esc(v.next_step)}</p>`,
    `<p class="muted">Run ${esc(s.run.id)}: ${esc(s.run.started_at)}, ${s.run.duration_ms} ms; providers ${esc(s.settings.providers.join(', '))}${s.settings.region ? `; SES region ${esc(s.settings.region)}` : ''}${s.settings.resolver ? `; resolver ${esc(s.settings.resolver)}` : ''}.</p></section>`,
    `<section id="providers"><h2>Providers</h2><ul>${providers}</ul></section>`,
    `<section id="endpoints"><h2>Endpoints</h2><table><thead><tr><th>provider</th><th>host</th><th>port</th><th>mode</th><th>outcome</th><th>evidence</th><th>next step</th></tr></thead><tbody>\n${rows}\n</tbody></table></section>`,
    `<h2>Files</h2><p class="mono">${s.files.map(esc).join(', ')}</p>`,
  ].join('\n');
  return htmlPage(`smtp-probe health: ${v.kind}`, BASE_CSS, body);
}

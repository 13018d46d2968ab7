// report.md and report.html of an IMAP/POP3 run: verdict, one row per attempt (TLS facts,
// capabilities, login), then the details. The HTML uses the payload's page frame (CSP, no fetch).
import { BASE_CSS, CLASS_CSS, esc, htmlPage, tok } from '../report/html-page.js';
import type { MailreadAttempt, MailreadSummary } from '../schema/mailread.js';

const NAME = { imap: 'IMAP', pop3: 'POP3' } as const;
// Server text reaches a table cell: pipes and line ends would break the row, backticks the code span.
const cell = (s: string | null | undefined) => (s ?? '').replace(/[|\\`]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${v.toFixed(1)} ms`);

function tlsFacts(a: MailreadAttempt): string {
  if (!a.tls) return a.mode === 'plain' ? 'none (plain)' : '-';
  if (!a.tls.protocol) return `failed: ${a.tls.error?.message ?? '?'}`;
  return `${a.tls.protocol} ${a.tls.cipher}, ${a.tls.authorized ? 'verified' : `NOT verified (${a.tls.verify_error})`}`;
}

function loginText(a: MailreadAttempt): string {
  if (!a.login) return 'not asked';
  return `${a.login.method}: ${a.login.status}${a.login.why_not ? ` (${a.login.why_not})` : ''}`;
}

export function renderMailReport(s: MailreadSummary): string {
  const v = s.verdict;
  const out = [
    `# smtp-probe ${s.protocol}: ${s.settings.host}`,
    '',
    `- **verdict:** \`${v.class}\` - ${cell(v.summary)}`,
    `- **evidence:** ${cell(v.evidence)}`,
    `- **next step:** ${cell(v.next_step)}`,
    `- **run:** ${s.run.id}, ${s.run.started_at}, ${s.run.duration_ms} ms; login ${s.settings.login ? `asked for ${cell(s.settings.user)} (${s.settings.mechanism}, secret from ${s.settings.secret_from})` : 'not asked'}`,
    '',
    `## ${NAME[s.protocol]}`,
    '',
  ];
  if (!s.attempts.length) out.push(`No address to try: ${cell(s.dns_error)}`, '');
  else {
    out.push('| address | port | mode | class | connect | TLS | greeting | login | rule |', '|---|---|---|---|---|---|---|---|---|');
    for (const a of s.attempts)
      out.push(`| ${a.address} | ${a.port} | ${a.mode} | \`${a.classification.class}\` | ${ms(a.tcp.connect_ms)} | ${cell(tlsFacts(a))} | ${ms(a.greeting?.ms)} | ${cell(loginText(a))} | ${cell(a.classification.rule)} |`);
    out.push('');
    for (const a of s.attempts) {
      out.push(`### ${a.address}:${a.port} (${a.mode})`, '');
      out.push(`- **class:** \`${a.classification.class}\` - ${cell(a.classification.summary)}`);
      out.push(`- **evidence:** ${cell(a.classification.evidence)}`);
      out.push(`- **next step:** ${cell(a.classification.next_step)}`);
      if (a.classification.source) out.push(`- **source:** ${cell(a.classification.source)}`);
      if (a.capabilities_before_tls.length) out.push(`- **capabilities before TLS:** ${cell(a.capabilities_before_tls.join(' '))}`);
      if (a.capabilities.length) out.push(`- **capabilities${a.tls ? ' over TLS' : ''}:** ${cell(a.capabilities.join(' '))}`);
      const steps = Object.entries(a.steps).map(([k, st]) => `${k} ${ms(st.ms)}`);
      if (steps.length) out.push(`- **steps:** ${steps.join(', ')}`);
      out.push(`- **transcript:** ${a.transcript_file}`, '');
    }
  }
  return out.join('\n') + '\n';
}

export function renderMailHtml(s: MailreadSummary, transcripts: ReadonlyArray<{ name: string; text: string }>): string {
  const v = s.verdict;
  const rows = s.attempts
    .map((a) => `<tr><td>${esc(a.address)}</td><td>${a.port}</td><td>${esc(a.mode)}</td><td><span class="badge c-${tok(a.classification.class)}">${esc(a.classification.class)}</span></td><td>${esc(ms(a.tcp.connect_ms))}</td><td>${esc(tlsFacts(a))}</td><td>${esc(loginText(a))}</td><td>${esc(a.classification.evidence)}</td></tr>`)
    .join('\n');
  const body = [
    `<h1>smtp-probe ${esc(s.protocol)}: ${esc(s.settings.host)}</h1>`,
    `<p><span class="badge c-${tok(v.class)}">${esc(v.class)}</span> ${esc(v.summary)}</p>`,
    `<p><b>evidence:</b> <code>${esc(v.evidence)}</code></p><p><b>next step:</b> ${esc(v.next_step)}</p>`,
    `<section id="mailread"><h2>${NAME[s.protocol]}</h2>`,
    s.attempts.length ? `<table><thead><tr><th>address</th><th>port</th><th>mode</th><th>class</th><th>connect</th><th>TLS</th><th>login</th><th>evidence</th></tr></thead><tbody>\n${rows}\n</tbody></table>` : `<p>No address to try: ${esc(s.dns_error)}</p>`,
    '</section>',
    ...transcripts.map((t) => `<details><summary>${esc(t.name)}</summary><pre>${esc(t.text)}</pre></details>`),
  ].join('\n');
  const css = `${BASE_CSS}${CLASS_CSS}\n.badge{color:var(--c);background:var(--b);padding:1px 6px;border-radius:8px;font-weight:600}table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}`;
  return htmlPage(`smtp-probe ${s.protocol} ${s.settings.host}`, css, body);
}

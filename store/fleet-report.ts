// fleet_report.md: what an on-call reads after an outage. Most useful first: the counts,
// what changed, the failures grouped by evidence, runners not reached (apart), then the
// breakdowns and the per-host table. Everything a runner sent is untrusted text: it is
// escaped so it cannot add links, HTML or table columns.
import { formatMs } from '../payload/util/duration.js';
import type { FleetSummary } from './fleet-schema.js';

const MAX_HOSTS_LISTED = 20;

function pct(x: number | null): string {
  return x === null ? '-' : `${Math.round(x * 1000) / 10}%`;
}

/** Untrusted text in markdown: one line, markup characters escaped. */
function text(s: string | number | null | undefined, max = 200): string {
  const t = String(s ?? '-').replace(/\s+/g, ' ').trim();
  const cut = t.length > max ? `${t.slice(0, max - 3)}...` : t;
  return cut.replace(/[\\`*_{}[\]()<>#|!~]/g, '\\$&');
}

function hostList(hosts: string[]): string {
  const shown = hosts.slice(0, MAX_HOSTS_LISTED).map((h) => text(h)).join(', ');
  return hosts.length > MAX_HOSTS_LISTED ? `${shown}, ... (${hosts.length - MAX_HOSTS_LISTED} more)` : shown;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function renderFleetReport(s: FleetSummary): string {
  const c = s.counts;
  const L: string[] = [];
  const sel = s.sweep.selection;
  const selText = [
    sel.hosts.length ? `hosts ${sel.hosts.join(', ')}` : '',
    sel.groups.length ? `groups ${sel.groups.join(', ')}` : '',
    sel.tags.length ? `tags ${sel.tags.join(' + ')}` : '',
    sel.limit ? `limit ${sel.limit}` : '',
  ].filter(Boolean);

  L.push(`# Fleet report: sweep ${text(s.sweep.id)}`, '');
  L.push(`- Sweep: ${s.sweep.kind}, started ${s.sweep.created}${s.sweep.authTest ? ', with --auth-test' : ''}; report generated ${s.generatedAt}`);
  L.push(`- Selection: ${text(selText.join('; ') || 'all hosts')} (${plural(c.selected, 'host')})`);
  L.push(
    `- SMTP: ${c.ok} of ${plural(c.probed, 'probed runner')} can send (${pct(s.successRate)}); ${plural(c.smtpFailing, 'runner')} failing; attempts ${pct(s.attemptSuccessRate)} ok`,
  );
  L.push(`- Runners not reached: ${c.unreachable}; reached without a usable result: ${c.failed + c.rejected}; pending: ${c.pending}`);
  const t = s.timingsMs;
  L.push(`- Attempt time: ${t ? `p50 ${formatMs(t.p50)}, p90 ${formatMs(t.p90)}, p99 ${formatMs(t.p99)} (min ${formatMs(t.min)}, max ${formatMs(t.max)}, ${t.n} attempts)` : '-'}`);
  L.push('');

  L.push('## Verdicts (probed runners)', '');
  const verdicts = Object.entries(s.verdicts).filter(([, n]) => n > 0);
  if (!verdicts.length) L.push('No runner has been probed yet.', '');
  else {
    L.push('| class | runners |', '|---|---|');
    for (const [k, n] of verdicts) L.push(`| ${k} | ${n} |`);
    L.push('');
  }

  if (s.changes) {
    const ch = s.changes;
    L.push(`## Changes since sweep ${text(ch.previousSweepId)} (${ch.previousCreated})`, '');
    const lines = [
      ...ch.newFailures.map((x) => `- New failure: ${text(x.host)} ${x.from} → **${x.to}**`),
      ...ch.recovered.map((x) => `- Recovered: ${text(x.host)} ${x.from} → ok`),
      ...ch.changed.map((x) => `- Changed: ${text(x.host)} ${x.from} → ${x.to}`),
      ...(ch.newHosts.length ? [`- New in this sweep: ${hostList(ch.newHosts)}`] : []),
      ...(ch.missingHosts.length ? [`- Not in this sweep: ${hostList(ch.missingHosts)}`] : []),
    ];
    L.push(...(lines.length ? lines : ['No change.']), '');
  }

  L.push('## SMTP failures by evidence', '');
  if (!s.failureGroups.length) L.push('None.', '');
  for (const g of s.failureGroups) {
    L.push(`- **${plural(g.hosts.length, 'runner')}: ${g.outcome}**${g.hintId ? ` (${text(g.hintId)})` : ''}: ${text(g.evidence, 300)}`);
    if (g.nextStep) L.push(`  - next step: ${text(g.nextStep, 400)}`);
    L.push(`  - ${hostList(g.hosts)}`);
  }
  if (s.failureGroups.length) L.push('');

  L.push('## Runners not reached', '');
  L.push('The probe did not run on these: the transport could not reach the runner. Not SMTP verdicts.', '');
  if (!s.unreachableGroups.length) L.push('None.', '');
  for (const g of s.unreachableGroups) {
    L.push(`- **${plural(g.hosts.length, 'runner')}: ${text(g.code)}**: ${text(g.message, 300)}`);
    L.push(`  - ${hostList(g.hosts)}`);
  }
  if (s.unreachableGroups.length) L.push('');

  if (s.runnerProblems.length) {
    L.push('## Runners reached without a usable result', '');
    for (const g of s.runnerProblems) {
      L.push(`- **${plural(g.hosts.length, 'runner')}: ${g.status}${g.code ? `, ${text(g.code)}` : ''}**: ${text(g.message, 300)}`);
      L.push(`  - ${hostList(g.hosts)}`);
    }
    L.push('');
  }

  if (s.pending.length) L.push('## Pending', '', `No result yet from ${plural(s.pending.length, 'runner')}: ${hostList(s.pending)}`, '');

  for (const [title, rows] of [
    ['By group', s.byGroup],
    ['By tag', s.byTag],
  ] as const) {
    if (!rows.length) continue;
    L.push(`## ${title}`, '', '| name | runners | ok | SMTP failing | not reached | failed/rejected | pending | success |', '|---|---|---|---|---|---|---|---|');
    for (const b of rows) L.push(`| ${text(b.name)} | ${b.hosts} | ${b.ok} | ${b.smtpFailing} | ${b.unreachable} | ${b.failed + b.rejected} | ${b.pending} | ${pct(b.successRate)} |`);
    L.push('');
  }

  L.push('## Runners', '', '| runner | address | os / transport | outcome | attempts ok | p50 | detail |', '|---|---|---|---|---|---|---|');
  for (const h of s.hosts) {
    L.push(
      `| ${text(h.name)} | ${text(h.address)} | ${h.os} / ${h.transport} | ${h.outcome} | ${h.attempts ? `${h.attempts.ok}/${h.attempts.total}` : '-'} | ${formatMs(h.medianMs)} | ${text(h.detail, 160)} |`,
    );
  }
  L.push('');
  return L.join('\n');
}

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

/** The report, section by section in reading order; each section returns its lines. */
export function renderFleetReport(s: FleetSummary): string {
  return [
    ...header(s),
    ...verdicts(s),
    ...changes(s),
    ...failureGroups(s),
    ...notReached(s),
    ...runnerProblems(s),
    ...pending(s),
    ...breakdowns(s),
    ...runnerTable(s),
  ].join('\n');
}

function header(s: FleetSummary): string[] {
  const c = s.counts;
  const sel = s.sweep.selection;
  const selText = [
    sel.hosts.length ? `hosts ${sel.hosts.join(', ')}` : '',
    sel.groups.length ? `groups ${sel.groups.join(', ')}` : '',
    sel.tags.length ? `tags ${sel.tags.join(' + ')}` : '',
    sel.limit ? `limit ${sel.limit}` : '',
  ].filter(Boolean);
  const t = s.timingsMs;
  return [
    `# Fleet report: sweep ${text(s.sweep.id)}`,
    '',
    `- Sweep: ${s.sweep.kind}, started ${s.sweep.created}${s.sweep.authTest ? ', with --auth-test' : ''}; report generated ${s.generatedAt}`,
    `- Selection: ${text(selText.join('; ') || 'all hosts')} (${plural(c.selected, 'host')})`,
    `- SMTP: ${c.ok} of ${plural(c.probed, 'probed runner')} can send (${pct(s.successRate)}); ${plural(c.smtpFailing, 'runner')} failing; attempts ${pct(s.attemptSuccessRate)} ok`,
    `- Runners not reached: ${c.unreachable}; reached without a usable result: ${c.failed + c.rejected}; pending: ${c.pending}`,
    `- Attempt time: ${t ? `p50 ${formatMs(t.p50)}, p90 ${formatMs(t.p90)}, p99 ${formatMs(t.p99)} (min ${formatMs(t.min)}, max ${formatMs(t.max)}, ${t.n} attempts)` : '-'}`,
    '',
  ];
}

function verdicts(s: FleetSummary): string[] {
  const rows = Object.entries(s.verdicts).filter(([, n]) => n > 0);
  if (!rows.length) return ['## Verdicts (probed runners)', '', 'No runner has been probed yet.', ''];
  return ['## Verdicts (probed runners)', '', '| class | runners |', '|---|---|', ...rows.map(([k, n]) => `| ${k} | ${n} |`), ''];
}

function changes(s: FleetSummary): string[] {
  const ch = s.changes;
  if (!ch) return [];
  const lines = [
    ...ch.newFailures.map((x) => `- New failure: ${text(x.host)} ${x.from} → **${x.to}**`),
    ...ch.recovered.map((x) => `- Recovered: ${text(x.host)} ${x.from} → ok`),
    ...ch.changed.map((x) => `- Changed: ${text(x.host)} ${x.from} → ${x.to}`),
    ...(ch.newHosts.length ? [`- New in this sweep: ${hostList(ch.newHosts)}`] : []),
    ...(ch.missingHosts.length ? [`- Not in this sweep: ${hostList(ch.missingHosts)}`] : []),
  ];
  return [`## Changes since sweep ${text(ch.previousSweepId)} (${ch.previousCreated})`, '', ...(lines.length ? lines : ['No change.']), ''];
}

function failureGroups(s: FleetSummary): string[] {
  if (!s.failureGroups.length) return ['## SMTP failures by evidence', '', 'None.', ''];
  const L = ['## SMTP failures by evidence', ''];
  for (const g of s.failureGroups) {
    L.push(`- **${plural(g.hosts.length, 'runner')}: ${g.outcome}**${g.hintId ? ` (${text(g.hintId)})` : ''}: ${text(g.evidence, 300)}`);
    if (g.nextStep) L.push(`  - next step: ${text(g.nextStep, 400)}`);
    L.push(`  - ${hostList(g.hosts)}`);
  }
  return [...L, ''];
}

function notReached(s: FleetSummary): string[] {
  const L = ['## Runners not reached', '', 'The probe did not run on these: the transport could not reach the runner. Not SMTP verdicts.', ''];
  if (!s.unreachableGroups.length) return [...L, 'None.', ''];
  for (const g of s.unreachableGroups) L.push(`- **${plural(g.hosts.length, 'runner')}: ${text(g.code)}**: ${text(g.message, 300)}`, `  - ${hostList(g.hosts)}`);
  return [...L, ''];
}

function runnerProblems(s: FleetSummary): string[] {
  if (!s.runnerProblems.length) return [];
  const L = ['## Runners reached without a usable result', ''];
  for (const g of s.runnerProblems) L.push(`- **${plural(g.hosts.length, 'runner')}: ${g.status}${g.code ? `, ${text(g.code)}` : ''}**: ${text(g.message, 300)}`, `  - ${hostList(g.hosts)}`);
  return [...L, ''];
}

function pending(s: FleetSummary): string[] {
  return s.pending.length ? ['## Pending', '', `No result yet from ${plural(s.pending.length, 'runner')}: ${hostList(s.pending)}`, ''] : [];
}

function breakdowns(s: FleetSummary): string[] {
  const L: string[] = [];
  for (const [title, rows] of [
    ['By group', s.byGroup],
    ['By tag', s.byTag],
  ] as const) {
    if (!rows.length) continue;
    L.push(`## ${title}`, '', '| name | runners | ok | SMTP failing | not reached | failed/rejected | pending | success |', '|---|---|---|---|---|---|---|---|');
    for (const b of rows) L.push(`| ${text(b.name)} | ${b.hosts} | ${b.ok} | ${b.smtpFailing} | ${b.unreachable} | ${b.failed + b.rejected} | ${b.pending} | ${pct(b.successRate)} |`);
    L.push('');
  }
  return L;
}

function runnerTable(s: FleetSummary): string[] {
  const rows = s.hosts.map(
    (h) => `| ${text(h.name)} | ${text(h.address)} | ${h.os} / ${h.transport} | ${h.outcome} | ${h.attempts ? `${h.attempts.ok}/${h.attempts.total}` : '-'} | ${formatMs(h.medianMs)} | ${text(h.detail, 160)} |`,
  );
  return ['## Runners', '', '| runner | address | os / transport | outcome | attempts ok | p50 | detail |', '|---|---|---|---|---|---|---|', ...rows, ''];
}

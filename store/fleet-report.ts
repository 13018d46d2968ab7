// fleet_report.md: what an on-call reads after an outage. Most useful first: the counts,
// what changed, the failures grouped by evidence, runners not reached (apart), then the
// breakdowns and the per-host table. Everything a runner sent (and every name) is untrusted
// text: it goes into a code span, so it cannot add links, HTML or, in a table, columns.
import { formatMs } from '../payload/util/duration.js';
import type { FleetSummary } from './fleet-schema.js';
import { HISTORY_RULES, type ReportHistory } from './history.js';

const MAX_HOSTS_LISTED = 20;
/**
 * Rows of the markdown runner table. Past this the table lists the runners that need someone
 * (not ok) first and counts the rest: every runner is in fleet_report.html (filtered and
 * sorted there) and fleet_summary.json, and 10,000 markdown rows are read by nobody.
 */
export const MAX_RUNNER_ROWS = 200;
/** Entries of each list in the history section; the rest are counted. */
const MAX_HISTORY_LISTED = 10;

function pct(x: number | null): string {
  return x === null ? '-' : `${Math.round(x * 1000) / 10}%`;
}

/**
 * Untrusted text as one inline code span: control characters and line breaks become spaces,
 * the fence is one backtick longer than the longest run inside (padded with a space when the
 * text starts or ends with a backtick), so nothing inside is markup. In a GFM table a `|`
 * still splits cells even inside a code span: `inTable` escapes it as `\|`, keeping an odd
 * number of backslashes before it (the table scanner pairs backslashes left to right).
 */
export function code(s: string | number | null | undefined, max = 200, inTable = false): string {
  if (s === null || s === undefined || s === '') return '-';
  // eslint-disable-next-line no-control-regex
  const t = String(s).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/\s+/g, ' ').trim();
  if (!t) return '-';
  let body = t.length > max ? `${t.slice(0, max - 3)}...` : t;
  if (inTable) body = body.replace(/(\\*)\|/g, (_m, bs: string) => `${bs}${bs.length % 2 ? '\\\\' : '\\'}|`);
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/** A table cell: `code` with pipes escaped. */
const cell = (s: string | number | null | undefined, max = 200) => code(s, max, true);

function hostList(hosts: string[]): string {
  const shown = hosts.slice(0, MAX_HOSTS_LISTED).map((h) => code(h)).join(', ');
  return hosts.length > MAX_HOSTS_LISTED ? `${shown}, ... (${hosts.length - MAX_HOSTS_LISTED} more)` : shown;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The report, section by section in reading order; each section returns its lines. `history`
 * comes from the history index: a section, a line saying why it is missing (the index is a
 * cache and never stops a report), or nothing.
 */
export function renderFleetReport(s: FleetSummary, history: ReportHistory | { error: string } | null = null): string {
  return [
    ...header(s),
    ...verdicts(s),
    ...changes(s),
    ...historySection(history),
    ...failureGroups(s),
    ...findingGroups(s),
    ...notReached(s),
    ...runnerProblems(s),
    ...timedOut(s),
    ...pending(s),
    ...breakdowns(s),
    ...runnerTable(s),
  ].join('\n');
}

function header(s: FleetSummary): string[] {
  const c = s.counts;
  const sel = s.sweep.selection;
  const selText = [
    sel.hosts.length ? `hosts ${sel.hosts.map((x) => code(x)).join(', ')}` : '',
    sel.groups.length ? `groups ${sel.groups.map((x) => code(x)).join(', ')}` : '',
    sel.tags.length ? `tags ${sel.tags.map((x) => code(x)).join(' + ')}` : '',
    sel.limit ? `limit ${sel.limit}` : '',
  ].filter(Boolean);
  const t = s.timings_ms;
  return [
    `# Fleet report: sweep ${s.sweep.id}`,
    '',
    `- Sweep: ${s.sweep.kind}, started ${s.sweep.created}${s.sweep.auth_test ? ', with --auth-test' : ''}; report generated ${s.generated_at}`,
    `- Selection: ${selText.join('; ') || 'all hosts'} (${plural(c.selected, 'host')})`,
    `- SMTP: ${c.ok} of ${plural(c.probed, 'probed runner')} can send (${pct(s.success_rate)}); ${plural(c.smtp_failing, 'runner')} failing; attempts ${pct(s.attempt_success_rate)} ok`,
    `- Runners not reached: ${c.unreachable}; reached without a usable result: ${c.failed + c.rejected}; pending: ${c.pending}; timed out: ${c.timed_out}`,
    ...(s.deadline ? [`- Deadline: ${s.deadline}`] : []),
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
    ...ch.new_failures.map((x) => `- New failure: ${code(x.host)} ${x.from} → **${x.to}**`),
    ...ch.recovered.map((x) => `- Recovered: ${code(x.host)} ${x.from} → ok`),
    ...ch.changed.map((x) => `- Changed: ${code(x.host)} ${x.from} → ${x.to}`),
    ...(ch.new_hosts.length ? [`- New in this sweep: ${hostList(ch.new_hosts)}`] : []),
    ...(ch.missing_hosts.length ? [`- Not in this sweep: ${hostList(ch.missing_hosts)}`] : []),
  ];
  return [`## Changes since sweep ${ch.previous_sweep_id} (${ch.previous_created})`, '', ...(lines.length ? lines : ['No change.']), ''];
}

const day = (isoTime: string) => isoTime.slice(0, 10);

/** At most MAX_HISTORY_LISTED lines of a list, then how many were left out. */
function bounded<T>(title: string, items: T[], line: (x: T) => string): string[] {
  if (!items.length) return [];
  const more = items.length - MAX_HISTORY_LISTED;
  return [`${title} (${items.length}):`, '', ...items.slice(0, MAX_HISTORY_LISTED).map(line), ...(more > 0 ? [`- ... and ${more} more`] : []), ''];
}

export function historySection(h: ReportHistory | { error: string } | null): string[] {
  if (!h) return [];
  if ('error' in h) return ['## History', '', `Not available: ${code(h.error, 300)}`, ''];
  const lines = [
    ...bounded(`New failures since the previous sweep${h.previousSweepId ? ` ${code(h.previousSweepId)}` : ''}`, h.newFailures, (x) =>
      `- ${code(x.host)} ${x.from} → **${x.outcome}**: ${code(x.signature, 200)} (${x.newToFleet ? 'new to the fleet' : `first seen ${day(x.signatureFirstSeen)}`})`,
    ),
    ...bounded('Recovered', h.recovered, (x) => `- ${code(x.host)} ${x.from} → ok, after failing for ${plural(x.sweeps, 'sweep')} since ${day(x.failingSince)}`),
    ...bounded(`Flapping runners (outcome changed ${HISTORY_RULES.flapMinChanges} times or more in ${h.windowDays} days)`, h.flapping, (x) =>
      `- ${code(x.host)}: ${plural(x.changes, 'change')} in ${plural(x.sweeps, 'sweep')} (${x.per_week}/week), now ${x.current}`,
    ),
    ...bounded('Long-standing failures', h.longStanding, (x) =>
      `- ${code(x.host)}: failing for ${plural(x.sweeps, 'sweep')} since ${day(x.since)} (${plural(x.days, 'day')}): ${code(x.signature, 200)} (first seen ${day(x.signature_first_seen)})`,
    ),
    ...bounded('Failure signatures new to the fleet in this sweep', h.newSignatures, (x) => `- ${plural(x.hosts, 'runner')}: ${code(x.signature, 200)}`),
  ];
  return [`## History (last ${h.windowDays} days, ${plural(h.windowSweeps, 'sweep')})`, '', ...(lines.length ? lines : ['Nothing new: no new failure, recovery, flapping or long-standing failure.', ''])];
}

/** Runners by finding (ESMTP/timing, TLS matrix, provider preset, sender domain): the id as a code span, its label, next step and runners. */
function findingGroups(s: FleetSummary): string[] {
  if (!s.finding_groups?.length) return [];
  const L = ['## Runners by finding', ''];
  for (const g of s.finding_groups) {
    L.push(`- ${code(g.finding)}${g.label ? ` ${g.label}` : ''}: ${plural(g.hosts.length, 'runner')}: ${hostList(g.hosts)}`);
    if (g.next_step) L.push(`  - next step: ${g.next_step}`);
  }
  return [...L, ''];
}

function failureGroups(s: FleetSummary): string[] {
  if (!s.failure_groups.length) return ['## SMTP failures by evidence', '', 'None.', ''];
  const L = ['## SMTP failures by evidence', ''];
  for (const g of s.failure_groups) {
    L.push(`- **${plural(g.hosts.length, 'runner')}: ${g.outcome}**${g.hint_id ? ` (${code(g.hint_id)})` : ''}: ${code(g.evidence, 300)}`);
    if (g.next_step) L.push(`  - next step: ${code(g.next_step, 400)}`);
    L.push(`  - ${hostList(g.hosts)}`);
  }
  return [...L, ''];
}

function notReached(s: FleetSummary): string[] {
  const L = ['## Runners not reached', '', 'The probe did not run on these: the transport could not reach the runner. Not SMTP verdicts.', ''];
  if (!s.unreachable_groups.length) return [...L, 'None.', ''];
  for (const g of s.unreachable_groups) L.push(`- **${plural(g.hosts.length, 'runner')}: ${code(g.code)}**: ${code(g.message, 300)}`, `  - ${hostList(g.hosts)}`);
  return [...L, ''];
}

function runnerProblems(s: FleetSummary): string[] {
  if (!s.runner_problems.length) return [];
  const L = ['## Runners reached without a usable result', ''];
  for (const g of s.runner_problems) L.push(`- **${plural(g.hosts.length, 'runner')}: ${g.status}${g.code ? `, ${code(g.code)}` : ''}**: ${code(g.message, 300)}`, `  - ${hostList(g.hosts)}`);
  return [...L, ''];
}

function timedOut(s: FleetSummary): string[] {
  if (!s.timed_out.length) return [];
  return ['## Timed out', '', `The sweep's deadline passed before these runners finished; the stage is where each job was.`, '', ...byStage(s.timed_out), ''];
}

/** A line per runner while few, else a line per stage with its runners (listed up to the cap). */
function byStage(timedOut: FleetSummary['timed_out']): string[] {
  if (timedOut.length <= MAX_HOSTS_LISTED) return timedOut.map((t) => `- ${code(t.host)}: at ${t.stage}`);
  const by = new Map<string, string[]>();
  for (const t of timedOut) {
    const hosts = by.get(t.stage) ?? [];
    hosts.push(t.host);
    by.set(t.stage, hosts);
  }
  return [...by].map(([stage, hosts]) => `- at ${stage}: ${plural(hosts.length, 'runner')}: ${hostList(hosts)}`);
}

function pending(s: FleetSummary): string[] {
  return s.pending.length ? ['## Pending', '', `No result yet from ${plural(s.pending.length, 'runner')}: ${hostList(s.pending)}`, ''] : [];
}

function breakdowns(s: FleetSummary): string[] {
  const L: string[] = [];
  for (const [title, rows] of [
    ['By group', s.by_group],
    ['By tag', s.by_tag],
  ] as const) {
    if (!rows.length) continue;
    L.push(`## ${title}`, '', '| name | runners | ok | SMTP failing | not reached | failed/rejected | pending | success |', '|---|---|---|---|---|---|---|---|');
    for (const b of rows) L.push(`| ${cell(b.name)} | ${b.hosts} | ${b.ok} | ${b.smtp_failing} | ${b.unreachable} | ${b.failed + b.rejected} | ${b.pending} | ${pct(b.success_rate)} |`);
    L.push('');
  }
  return L;
}

function runnerTable(s: FleetSummary): string[] {
  const line = (h: FleetSummary['hosts'][number]) =>
    `| ${cell(h.name)} | ${cell(h.address)} | ${h.os} / ${h.transport} | ${h.outcome} | ${h.attempts ? `${h.attempts.ok}/${h.attempts.total}` : '-'} | ${formatMs(h.median_ms)} | ${cell(h.detail, 160)} |`;
  const head = ['| runner | address | os / transport | outcome | attempts ok | p50 | detail |', '|---|---|---|---|---|---|---|'];
  if (s.hosts.length <= MAX_RUNNER_ROWS) return ['## Runners', '', ...head, ...s.hosts.map(line), ''];
  const { shown, notOk, okLeft } = cappedRunners(s.hosts, MAX_RUNNER_ROWS);
  const left = s.hosts.length - shown.length;
  return [
    '## Runners',
    '',
    `${plural(s.hosts.length, 'runner')}: ${notOk > shown.length ? `the first ${shown.length} of ${notOk} not ok` : `the ${notOk} not ok first`}; every runner is in \`fleet_report.html\` (filter and sort there) and \`fleet_summary.json\`.`,
    '',
    ...head,
    ...shown.map(line),
    '',
    `... and ${left} more (${okLeft} ok, ${left - okLeft} not ok): see \`fleet_report.html\` or \`fleet_summary.json\`.`,
    '',
  ];
}

/** At most `max` runners for a table: those not ok first (in their order), then ok ones. */
export function cappedRunners<T extends { outcome: string }>(hosts: readonly T[], max: number): { shown: T[]; notOk: number; okLeft: number } {
  const bad = hosts.filter((h) => h.outcome !== 'ok');
  const good = hosts.filter((h) => h.outcome === 'ok');
  const shown = [...bad.slice(0, max), ...good.slice(0, Math.max(0, max - bad.length))];
  return { shown, notOk: bad.length, okLeft: good.length - Math.max(0, max - bad.length) };
}

// From one result per host to the fleet's view: what failed how, where, and what changed.
// Runners that could not be reached are counted apart from SMTP verdicts: "the bot cannot
// send mail" and "we could not ask the runner" call for different people.
import { isIP } from 'node:net';
import type { ResolvedHost } from '../inventory/schema.js';
import { CLASSES } from '../payload/classify/classes.js';
import { FLEET_SCHEMA_VERSION, capText, type FleetSummary, type HostResult, type SweepHead } from './fleet-schema.js';
import { percentiles as percentilesOf } from '../payload/util/stats.js';
import type { PreviousOutcomes } from './fleet-outcomes.js';
import { findingLabel } from '../payload/report/run-findings.js';

type Row = FleetSummary['hosts'][number];
type Breakdown = FleetSummary['by_tag'][number];
type Change = { host: string; from: string; to: string };

/** What the summary reads of a sweep's resolved host (a ResolvedHost is one). */
export type ReportTarget = Pick<ResolvedHost, 'name' | 'address' | 'os' | 'transport' | 'tags' | 'groups'> & { probe: { aa: ResolvedHost['probe']['aa'] } };

export function aggregate(meta: SweepHead, results: HostResult[], hosts: readonly ReportTarget[], previous?: PreviousOutcomes | null, now = new Date()): FleetSummary {
  const b = new SummaryBuilder(meta, hosts);
  for (const r of results) b.add(r);
  return b.finish(previous ?? null, now);
}

/** What the summary needs of a host's latest result besides its row. */
interface Kept {
  row: Row;
  next_step: string | null;
  code: string;
  findings: readonly string[];
  totals_ms: readonly number[];
}

/**
 * The summary made one host result at a time: each result is cut down to its row (and the few
 * things the groups and timings read) as it is added, so a sweep of 10,000 runners holds 10,000
 * rows, never 10,000 host results. aggregate() is this with the results in hand.
 */
export class SummaryBuilder {
  private readonly info: Map<string, ReportTarget>;
  private readonly byHost = new Map<string, Kept>();

  constructor(
    private readonly meta: SweepHead,
    hosts: readonly ReportTarget[],
  ) {
    this.info = new Map(hosts.map((h) => [h.name, h]));
  }

  add(r: HostResult): void {
    if (r.sweep_id !== this.meta.id) return;
    const prior = this.byHost.get(r.host);
    // One result per host: the latest finished one (a re-probe replaces).
    if (prior && prior.row.finished_at! > r.finished_at) return;
    const probed = r.status === 'probed' ? r : null;
    this.byHost.set(r.host, {
      row: row(r.host, this.info.get(r.host), r),
      next_step: probed ? capText(probed.verdict.next_step) : null,
      code: codeOf(r),
      findings: probed?.findings ?? [],
      totals_ms: probed?.attempts.totals_ms ?? [],
    });
  }

  /** Every SMTP attempt's duration on the probed hosts (the metrics' histogram). */
  attemptDurationsMs(): number[] {
    return [...this.byHost.values()].flatMap((k) => (k.row.status === 'probed' ? k.totals_ms : []));
  }

  finish(previous: PreviousOutcomes | null, now = new Date()): FleetSummary {
    const { meta, byHost, info } = this;
    const selected = new Set(meta.hosts);
    const names = [...meta.hosts, ...[...byHost.keys()].filter((n) => !selected.has(n)).sort()];
    const rows = names.map((n) => byHost.get(n)?.row ?? row(n, info.get(n), undefined));
    const kept = (name: string) => byHost.get(name);

    const probed = [...byHost.entries()].filter(([, k]) => k.row.status === 'probed');
    const count = (pred: (r: Row) => boolean) => rows.filter(pred).length;
    const verdicts = Object.fromEntries(CLASSES.map((c) => [c, count((r) => r.status === 'probed' && r.outcome === c)]));
    const ok = verdicts.ok ?? 0;
    const attemptsOk = probed.reduce((s, [, k]) => s + k.row.attempts!.ok, 0);
    const attemptsTotal = probed.reduce((s, [, k]) => s + k.row.attempts!.total, 0);

    const summary: FleetSummary = {
      schema: 'smtp-fleet/fleet-summary',
      schema_version: FLEET_SCHEMA_VERSION,
      sweep: { id: meta.id, created: meta.created, kind: meta.kind, selection: meta.selection, auth_test: meta.options.auth_test },
      generated_at: now.toISOString(),
      counts: {
        selected: rows.length,
        probed: probed.length,
        ok,
        smtp_failing: probed.length - ok,
        unreachable: count((r) => r.status === 'unreachable'),
        failed: count((r) => r.status === 'failed'),
        rejected: count((r) => r.status === 'rejected'),
        pending: count((r) => r.status === 'pending'),
        timed_out: count((r) => r.status === 'timed-out'),
      },
      verdicts,
      success_rate: probed.length ? ok / probed.length : null,
      attempt_success_rate: attemptsTotal ? attemptsOk / attemptsTotal : null,
      timings_ms: percentiles(probed.flatMap(([, k]) => k.totals_ms)),
      hosts: rows,
      failure_groups: groupBy(
        rows.filter((r) => r.status === 'probed' && r.outcome !== 'ok'),
        (r) => [r.outcome, r.hint_id ?? '', normaliseEvidence(r.detail, [r.name, r.address])],
      ).map(([[outcome, hint_id, evidence], hs]) => ({ outcome: outcome!, hint_id: hint_id || null, evidence: evidence!, next_step: kept(hs[0]!)?.next_step ?? null, hosts: hs })),
      finding_groups: findingGroups(probed.map(([host, k]) => [host, k.findings])),
      unreachable_groups: groupBy(
        rows.filter((r) => r.status === 'unreachable'),
        (r) => [kept(r.name)?.code ?? '', normaliseEvidence(r.detail, [r.name, r.address])],
      ).map(([[code, message], hs]) => ({ code: code!, message: message!, hosts: hs })),
      runner_problems: groupBy(
        rows.filter((r) => r.status === 'failed' || r.status === 'rejected'),
        (r) => [r.status, kept(r.name)?.code ?? '', normaliseEvidence(r.detail, [r.name, r.address])],
      ).map(([[status, code, message], hs]) => ({ status: status as 'failed' | 'rejected', code: code!, message: message!, hosts: hs })),
      by_tag: breakdown(rows, (r) => r.tags),
      by_group: breakdown(rows, (r) => r.groups),
      pending: rows.filter((r) => r.status === 'pending').map((r) => r.name),
      timed_out: rows.flatMap((r) => (r.status === 'timed-out' && r.stage ? [{ host: r.name, stage: r.stage }] : [])),
      deadline: meta.options.deadline,
      changes: previous ? diff(rows, previous) : null,
    };
    // Checked by its schema where it is written (Store.writeFleetReport): a second full parse of
    // 10,000 host rows here cost a quarter of a second.
    return summary;
  }
}

function row(name: string, host: ReportTarget | undefined, r: HostResult | undefined): Row {
  const v = verdictOf(r);
  const aa = host?.probe.aa;
  // One literal, the same shape for every row (10,000 of them live until the report is written).
  return {
    name,
    address: host?.address ?? '?',
    os: host?.os ?? '?',
    transport: host?.transport ?? r?.transport ?? '?',
    tags: host?.tags ?? [],
    groups: host?.groups ?? [],
    aa: aa && (aa.activity || aa.run_id || aa.host) ? aa : null,
    finished_at: r?.finished_at ?? null,
    hint_id: v.hint_id,
    exit_code: v.exit_code,
    attempts: v.attempts,
    median_ms: v.median_ms,
    zip: v.zip,
    stage: v.stage,
    status: v.status,
    outcome: v.outcome,
    detail: v.detail,
  };
}

/** A row's fields that come from the host's result. Runner text is capped here too: host results written before the cap was added are not. */
function verdictOf(r: HostResult | undefined): Pick<Row, 'hint_id' | 'exit_code' | 'attempts' | 'median_ms' | 'zip' | 'stage' | 'status' | 'outcome' | 'detail'> {
  const none = { hint_id: null, exit_code: null, attempts: null, median_ms: null, zip: null, stage: null };
  if (!r) return { ...none, status: 'pending', outcome: 'pending', detail: 'no result yet' };
  switch (r.status) {
    case 'probed':
      return {
        status: 'probed',
        outcome: r.verdict.class,
        hint_id: capText(r.verdict.hint_id),
        exit_code: r.verdict.exit_code,
        detail: capText(r.verdict.evidence),
        attempts: { ok: r.attempts.ok, total: r.attempts.total },
        median_ms: percentiles(r.attempts.totals_ms)?.p50 ?? null,
        zip: r.zip.path,
        stage: null,
      };
    case 'unreachable':
      return { ...none, status: 'unreachable', outcome: 'unreachable', detail: capText(`${r.code}: ${r.message}`) };
    case 'failed':
      return { ...none, status: 'failed', outcome: 'failed', exit_code: r.exit_code, detail: capText(`${r.code}: ${r.message}`) };
    case 'rejected':
      return { ...none, status: 'rejected', outcome: 'rejected', detail: capText(r.reason) };
    case 'timed-out':
      return { ...none, status: 'timed-out', outcome: 'timed-out', stage: r.stage, detail: `${r.message} (deadline ${r.deadline})` };
  }
}

/** Runners by finding: "port 587 takes MAIL FROM before STARTTLS on these 12", with the id's label and next step. */
function findingGroups(probed: ReadonlyArray<readonly [string, readonly string[]]>): NonNullable<FleetSummary['finding_groups']> {
  const by = new Map<string, string[]>();
  for (const [host, findings] of probed) {
    for (const f of findings) {
      const hosts = by.get(f);
      if (hosts) hosts.push(host);
      else by.set(f, [host]);
    }
  }
  return [...by]
    .map(([finding, hosts]) => {
      const known = findingLabel(finding);
      return { finding, hosts: hosts.sort(), ...(known ? { label: known.label, next_step: known.next_step } : {}) };
    })
    .sort((a, b) => b.hosts.length - a.hosts.length || a.finding.localeCompare(b.finding));
}

function codeOf(r: HostResult): string {
  if (r.status === 'probed') return '';
  if (r.status === 'timed-out') return r.stage;
  return r.status === 'rejected' ? 'zip-rejected' : r.code;
}

/**
 * Evidence with per-host noise taken out, so twelve runners behind the same proxy land in one
 * group: the host's own name and address, IP addresses, timestamps, durations, long numbers
 * and trace ids (Gmail ends replies with one per session) become placeholders.
 */
export function normaliseEvidence(text: string, own: string[] = []): string {
  let t = text;
  for (const o of own) if (o && o !== '?') t = t.split(o).join('<runner>');
  // The transport's "code: " prefix is kept out of the message; the group shows the code apart.
  return t
    .replace(/^(unreachable|timeout|reset|auth|host-key-unknown|host-key-mismatch|tls|protocol|too-large|remote-command|quota|payload-exit|no-zip|internal): /, '')
    .replace(/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/g, '<time>')
    .replace(/\b\d{1,2}:\d{2}:\d{2}(\.\d+)?\b/g, '<time>')
    .replace(/(?<![\w:.])(?=[0-9a-f.]*:)[0-9a-f:.]+(?:%\w+)?/gi, ipv6)
    .replace(/\[<ip>\]/g, '<ip>')
    .replace(/\b(?:\d{1,3}\.){3}\d{1,3}\b/g, '<ip>')
    .replace(/\b\d+(\.\d+)?\s?(ms|s|sec|seconds)\b/g, '<duration>')
    .replace(/\b(?=(?:[\w.-]*?\d){4})(?=[\w.-]*[a-z])[\w.-]{12,}\b/gi, '<id>')
    .replace(/\b\d{5,}\b/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

/** An IPv6 address (maybe with a trailing :port or colons of the sentence) as <ip>; anything else unchanged. */
function ipv6(token: string): string {
  const core = token.replace(/:+$/, '');
  const tail = token.slice(core.length);
  if (isIP(core.split('%')[0]!) === 6) return `<ip>${tail}`;
  const i = core.lastIndexOf(':');
  if (i > 0 && /^\d{1,5}$/.test(core.slice(i + 1)) && isIP(core.slice(0, i)) === 6) return `<ip>${core.slice(i)}${tail}`;
  return token;
}

/** Groups rows by a key; largest groups first, then by key. */
function groupBy(rows: Row[], key: (r: Row) => string[]): Array<[string[], string[]]> {
  const groups = new Map<string, { key: string[]; hosts: string[] }>();
  for (const r of rows) {
    const k = key(r);
    const id = JSON.stringify(k);
    const g = groups.get(id) ?? { key: k, hosts: [] };
    g.hosts.push(r.name);
    groups.set(id, g);
  }
  return [...groups.values()]
    .sort((a, b) => b.hosts.length - a.hosts.length || a.key.join('\0').localeCompare(b.key.join('\0')))
    .map((g) => [g.key, g.hosts]);
}

function breakdown(rows: Row[], labels: (r: Row) => string[]): Breakdown[] {
  // One pass over the rows (not one per label): 40 sites x 10,000 runners.
  const by = new Map<string, Omit<Breakdown, 'name' | 'smtp_failing' | 'success_rate'> & { probed: number }>();
  for (const r of rows) {
    for (const name of new Set(labels(r))) {
      let b = by.get(name);
      if (!b) by.set(name, (b = { hosts: 0, probed: 0, ok: 0, unreachable: 0, failed: 0, rejected: 0, pending: 0, timed_out: 0 }));
      b.hosts++;
      if (r.status === 'probed') b.probed++;
      if (r.outcome === 'ok') b.ok++;
      if (r.status === 'unreachable') b.unreachable++;
      else if (r.status === 'failed') b.failed++;
      else if (r.status === 'rejected') b.rejected++;
      else if (r.status === 'pending') b.pending++;
      else if (r.status === 'timed-out') b.timed_out++;
    }
  }
  return [...by.keys()].sort().map((name) => {
    const { probed, ...b } = by.get(name)!;
    return {
      name,
      hosts: b.hosts,
      ok: b.ok,
      smtp_failing: probed - b.ok,
      unreachable: b.unreachable,
      failed: b.failed,
      rejected: b.rejected,
      pending: b.pending,
      timed_out: b.timed_out,
      success_rate: probed ? b.ok / probed : null,
    };
  });
}

/** Nearest-rank percentiles: with few hosts the figures stay real observed values. */
export const percentiles = (values: readonly number[]): FleetSummary['timings_ms'] => percentilesOf(values);

const SMTP_FAILURES: ReadonlySet<string> = new Set(CLASSES.filter((c) => c !== 'ok'));

function diff(rows: Row[], previous: PreviousOutcomes): NonNullable<FleetSummary['changes']> {
  const before = new Map(previous.hosts.map((h) => [h.name, h.outcome]));
  const now = new Set(rows.map((r) => r.name));
  const newFailures: Change[] = [];
  const recovered: Change[] = [];
  const changed: Change[] = [];
  for (const r of rows) {
    const from = before.get(r.name);
    if (from === undefined || from === 'pending' || r.outcome === 'pending' || from === r.outcome) continue;
    const c = { host: r.name, from, to: r.outcome };
    if (from === 'ok' && SMTP_FAILURES.has(r.outcome)) newFailures.push(c);
    else if (r.outcome === 'ok') recovered.push(c);
    else changed.push(c);
  }
  return {
    previous_sweep_id: previous.sweep.id,
    previous_created: previous.sweep.created,
    new_failures: newFailures,
    recovered,
    changed,
    new_hosts: rows.filter((r) => !before.has(r.name)).map((r) => r.name),
    missing_hosts: previous.hosts.filter((h) => !now.has(h.name)).map((h) => h.name),
  };
}

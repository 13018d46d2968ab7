// A sweep for pipelines: JUnit XML (one testcase per runner) and JSON lines (one object per
// runner), made from the fleet summary and the host results in the store. A runner that could
// not be asked is a JUnit <error> (not tested), never a <failure> (tested and broken).
import { renderJunit, type JunitCase } from '../payload/report/junit-xml.js';
import { RUNNER_LINE_SCHEMA_VERSION, RunnerLineSchema, type FleetSummary, type HostResult, type RunnerLine } from './fleet-schema.js';

type Row = FleetSummary['hosts'][number];

/** What to do about a runner that gave no verdict; SMTP verdicts carry the probe's own next step. */
const NOT_REACHED_NEXT_STEP: Record<Exclude<Row['status'], 'probed'>, string> = {
  unreachable: 'Check that the runner is up and that the worker reaches it (address, port, firewall, the SSH or WinRM service), then re-probe it with `smtp-fleet probe HOST`.',
  failed: "The runner was reached but gave no usable result: see its host_result.json and the worker's log, then re-probe it.",
  rejected: "The runner's ZIP was refused by the store's checks: see the reason in its host_result.json; a payload of another version or a tampered runner are the usual causes.",
  'timed-out': "The sweep's deadline passed before this runner's job finished: its stage says where it was; re-probe it with `smtp-fleet probe HOST`, or give the sweep a longer --deadline.",
  pending: 'No result was recorded for this runner: its job has not finished; see `smtp-fleet status`.',
};

export function latestByHost(summary: FleetSummary, results: readonly HostResult[]): Map<string, HostResult> {
  const m = new Map<string, HostResult>();
  for (const r of results) {
    if (r.sweep_id !== summary.sweep.id) continue;
    const prior = m.get(r.host);
    if (!prior || prior.finished_at <= r.finished_at) m.set(r.host, r);
  }
  return m;
}

/** From the sweep's creation to its last result: what a sweep cost, re-probes included. */
export function sweepSeconds(summary: FleetSummary): number {
  const ends = summary.hosts.map((h) => h.finished_at).filter((t): t is string => t !== null).map((t) => Date.parse(t));
  if (ends.length === 0) return 0;
  return Math.max(0, (Math.max(...ends) - Date.parse(summary.sweep.created)) / 1000);
}

function nextStepOf(row: Row, r: HostResult | undefined): string | null {
  if (row.status !== 'probed') return NOT_REACHED_NEXT_STEP[row.status];
  return r?.status === 'probed' ? r.verdict.next_step : null;
}

function runnerCase(row: Row, r: HostResult | undefined): JunitCase {
  const base = { classname: `smtp-fleet.${row.groups[0] ?? 'runners'}`, name: row.name, seconds: (r?.duration_ms ?? 0) / 1000 };
  const where = `${row.name} (${row.address}, ${row.os}, ${row.transport})`;
  const next = nextStepOf(row, r);
  if (row.status === 'probed') {
    const out = `${where}: ${row.outcome}${row.attempts ? `, ${row.attempts.ok}/${row.attempts.total} attempts ok` : ''}${row.zip ? `\nzip: ${row.zip}` : ''}`;
    if (row.outcome === 'ok') return { ...base, outcome: null, systemOut: out };
    const summary = r?.status === 'probed' ? r.verdict.summary : row.outcome;
    return { ...base, outcome: { kind: 'failure', type: row.outcome, message: row.detail, body: `${summary}\nnext step: ${next ?? '-'}\nhint: ${row.hint_id ?? '-'}` }, systemOut: out };
  }
  return { ...base, outcome: { kind: 'error', type: row.status, message: row.detail, body: `${where} was not probed (${row.status}${row.stage ? `, at ${row.stage}` : ''}).\nnext step: ${next}` } };
}

export function fleetJunit(summary: FleetSummary, results: readonly HostResult[], controller: string): string {
  const byHost = latestByHost(summary, results);
  const c = summary.counts;
  const rate = (x: number | null) => (x === null ? '-' : x.toFixed(4));
  return renderJunit('smtp-fleet', [
    {
      name: `smtp-fleet ${summary.sweep.kind} ${summary.sweep.id}`,
      timestamp: new Date(summary.sweep.created),
      hostname: controller,
      seconds: sweepSeconds(summary),
      properties: [
        ['sweep', summary.sweep.id],
        ['kind', summary.sweep.kind],
        ['success_ratio', rate(summary.success_rate)],
        ['attempt_success_ratio', rate(summary.attempt_success_rate)],
      ],
      cases: summary.hosts.map((h) => runnerCase(h, byHost.get(h.name))),
      systemOut: `${c.selected} runners: ${c.ok} ok, ${c.smtp_failing} with SMTP failures, ${c.unreachable + c.failed + c.rejected + c.pending} not reached, ${c.timed_out} timed out\n`,
    },
  ]);
}

export function runnerLines(summary: FleetSummary, results: readonly HostResult[]): RunnerLine[] {
  const byHost = latestByHost(summary, results);
  return summary.hosts.map((h) => {
    const r = byHost.get(h.name);
    return RunnerLineSchema.parse({
      schema: 'smtp-fleet/runner',
      schema_version: RUNNER_LINE_SCHEMA_VERSION,
      sweep_id: summary.sweep.id,
      sweep_created: summary.sweep.created,
      host: h.name,
      address: h.address,
      os: h.os,
      transport: h.transport,
      tags: h.tags,
      groups: h.groups,
      status: h.status,
      stage: h.stage,
      reached: h.status === 'probed',
      class: h.outcome,
      hint_id: h.hint_id,
      partial: r?.status === 'probed' ? r.verdict.partial : null,
      evidence: h.detail,
      next_step: nextStepOf(h, r),
      exit_code: h.exit_code,
      attempts_ok: h.attempts?.ok ?? null,
      attempts_total: h.attempts?.total ?? null,
      median_attempt_ms: h.median_ms,
      job_duration_ms: r?.duration_ms ?? null,
      finished_at: h.finished_at,
      zip: h.zip,
    } satisfies RunnerLine);
  });
}

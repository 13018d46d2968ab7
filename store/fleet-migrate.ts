// Reading the store's files of any version this controller knows: the current one as it is,
// version 1 (camelCase keys, before every JSON moved to snake_case) parsed with its frozen
// schema (fleet-schema-v1.ts) and converted, one explicit function per format. Every reader of
// stored files goes through here: the store, the history index, `smtp-fleet sweeps`.
import {
  FLEET_SCHEMA_VERSION,
  FleetSummarySchema,
  HostResultSchema,
  SweepMetaSchema,
  type FleetSummary,
  type HostResult,
  type SweepMeta,
} from './fleet-schema.js';
import { FleetSummaryV1Schema, HostResultV1Schema, SweepMetaV1Schema, type FleetSummaryV1, type HostResultV1, type SweepMetaV1 } from './fleet-schema-v1.js';

type Parsed<T> = { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };

const versionOf = (data: unknown): unknown => (data !== null && typeof data === 'object' ? (data as { schema_version?: unknown }).schema_version : undefined);

/** Parses `data` with the schema of its version and converts an old one to the current type. */
function migrating<T, O>(current: { safeParse(v: unknown): Parsed<T> }, v1: { safeParse(v: unknown): Parsed<O> }, convert: (old: O) => T): { safeParse(data: unknown): Parsed<T> } {
  return {
    safeParse(data) {
      if (versionOf(data) !== 1) return current.safeParse(data);
      const old = v1.safeParse(data);
      return old.success ? { success: true, data: convert(old.data) } : old;
    },
  };
}

export function sweepMetaFromV1(m: SweepMetaV1): SweepMeta {
  const { authTest, authMaxPerAccount, payloadVersion, ...same } = m.options;
  return { ...m, schema_version: FLEET_SCHEMA_VERSION, options: { ...same, auth_test: authTest, auth_max_per_account: authMaxPerAccount, payload_version: payloadVersion } };
}

export function hostResultFromV1(r: HostResultV1): HostResult {
  const common = {
    schema: r.schema,
    schema_version: FLEET_SCHEMA_VERSION,
    sweep_id: r.sweepId,
    host: r.host,
    transport: r.transport,
    job_id: r.jobId,
    job_attempts: r.jobAttempts,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    duration_ms: r.durationMs,
  };
  switch (r.status) {
    case 'probed': {
      const v = r.verdict;
      return {
        ...common,
        status: r.status,
        verdict: { class: v.class, exit_code: v.exitCode, partial: v.partial, hint_id: v.hintId, summary: v.summary, evidence: v.evidence, next_step: v.nextStep },
        attempts: { ok: r.attempts.ok, total: r.attempts.total, totals_ms: r.attempts.totalsMs },
        server: r.server,
        ports: r.ports,
        egress_ips: r.egressIps,
        ...(r.findings ? { findings: r.findings } : {}),
        payload_version: r.payloadVersion,
        zip: r.zip,
        transport_stats: { uploaded_bytes: r.transportStats.uploadedBytes, cache_hit: r.transportStats.cacheHit },
      };
    }
    case 'unreachable':
      return { ...common, status: r.status, code: r.code, message: r.message };
    case 'failed':
      return { ...common, status: r.status, code: r.code, message: r.message, exit_code: r.exitCode };
    case 'rejected':
      return { ...common, status: r.status, reason: r.reason, zip_bytes: r.zipBytes, zip_sha256: r.zipSha256 };
    case 'timed-out':
      return { ...common, status: r.status, stage: r.stage, deadline: r.deadline, message: r.message };
  }
}

type TallyV1 = Pick<FleetSummaryV1['counts'], 'ok' | 'smtpFailing' | 'unreachable' | 'failed' | 'rejected' | 'pending' | 'timedOut'>;
const tallyFromV1 = ({ smtpFailing, timedOut, ...same }: TallyV1) => ({ ...same, smtp_failing: smtpFailing, timed_out: timedOut });
const breakdownFromV1 = ({ name, hosts, successRate, ...tally }: FleetSummaryV1['byTag'][number]) => ({ name, hosts, ...tallyFromV1(tally), success_rate: successRate });

export function fleetSummaryFromV1(s: FleetSummaryV1): FleetSummary {
  const { selected, probed, ...tally } = s.counts;
  return {
    schema: s.schema,
    schema_version: FLEET_SCHEMA_VERSION,
    sweep: { id: s.sweep.id, created: s.sweep.created, kind: s.sweep.kind, selection: s.sweep.selection, auth_test: s.sweep.authTest },
    generated_at: s.generatedAt,
    counts: { selected, probed, ...tallyFromV1(tally) },
    verdicts: s.verdicts,
    success_rate: s.successRate,
    attempt_success_rate: s.attemptSuccessRate,
    timings_ms: s.timingsMs,
    hosts: s.hosts.map((h) => ({
      name: h.name,
      address: h.address,
      os: h.os,
      transport: h.transport,
      tags: h.tags,
      groups: h.groups,
      status: h.status,
      outcome: h.outcome,
      stage: h.stage,
      hint_id: h.hintId,
      exit_code: h.exitCode,
      detail: h.detail,
      attempts: h.attempts,
      median_ms: h.medianMs,
      aa: h.aa && { activity: h.aa.activity, run_id: h.aa.runId, host: h.aa.host },
      finished_at: h.finishedAt,
      zip: h.zip,
    })),
    ...(s.findingGroups ? { finding_groups: s.findingGroups } : {}),
    failure_groups: s.failureGroups.map((g) => ({ outcome: g.outcome, hint_id: g.hintId, evidence: g.evidence, next_step: g.nextStep, hosts: g.hosts })),
    unreachable_groups: s.unreachableGroups,
    runner_problems: s.runnerProblems,
    by_tag: s.byTag.map(breakdownFromV1),
    by_group: s.byGroup.map(breakdownFromV1),
    pending: s.pending,
    timed_out: s.timedOut,
    deadline: s.deadline,
    changes: s.changes && {
      previous_sweep_id: s.changes.previousSweepId,
      previous_created: s.changes.previousCreated,
      new_failures: s.changes.newFailures,
      recovered: s.changes.recovered,
      changed: s.changes.changed,
      new_hosts: s.changes.newHosts,
      missing_hosts: s.changes.missingHosts,
    },
  };
}

/** sweep.json of version 1 or 2, as the current type. */
export const StoredSweepMeta = migrating(SweepMetaSchema, SweepMetaV1Schema, sweepMetaFromV1);

const TargetSchema = SweepMetaSchema.shape.targets.unwrap().element;

/**
 * The same as StoredSweepMeta.safeParse(data), with the same result, for a big sweep.json:
 * a version-2 file's targets are checked one by one, each replaced in `data` (which is
 * consumed) by its parsed copy, so the raw and the parsed 10,000 resolved hosts are not held
 * at once (that was 50 MB at the peak of a report). The rest is parsed first, as a whole
 * parse would report its issues first.
 */
export function parseStoredSweepMeta(data: unknown): Parsed<SweepMeta> {
  const targets = versionOf(data) === FLEET_SCHEMA_VERSION ? (data as { targets?: unknown }).targets : undefined;
  if (!Array.isArray(targets)) return StoredSweepMeta.safeParse(data);
  const rest = SweepMetaSchema.safeParse({ ...(data as object), targets: [] });
  if (!rest.success) return rest;
  for (let i = 0; i < targets.length; i++) {
    const t = TargetSchema.safeParse(targets[i]);
    if (!t.success) return { success: false, error: { issues: t.error.issues.map((x) => ({ ...x, path: ['targets', i, ...x.path] })) } };
    targets[i] = t.data;
  }
  return { success: true, data: { ...rest.data, targets: targets as SweepMeta['targets'] } };
}
/** host_result.json of version 1 or 2, as the current type. */
export const StoredHostResult = migrating(HostResultSchema, HostResultV1Schema, hostResultFromV1);
/** fleet_summary.json of version 1 or 2, as the current type. */
export const StoredFleetSummary = migrating(FleetSummarySchema, FleetSummaryV1Schema, fleetSummaryFromV1);

// Reading the store's files of any version this controller knows: the current one as it is,
// version 1 (camelCase keys, before every JSON moved to snake_case) parsed with its frozen
// schema (fleet-schema-v1.ts) and converted, one explicit function per format. Every reader of
// stored files goes through here: the store, the history index, `smtp-fleet sweeps`.
// sweep.json's targets have a version of their own (resolved-host): a version-2 sweep.json of
// the release before holds version-1 hosts, so each target is converted by its own version.
// sweep.json itself is at version 3 (targets in targets.jsonl); versions 1 and 2 held them inline.
import { RESOLVED_FLAG_KEY, RESOLVED_HOST_VERSION, type ResolvedHost } from '../inventory/schema.js';
import {
  FLEET_SCHEMA_VERSION,
  FleetSummarySchema,
  HostResultSchema,
  SWEEP_SCHEMA_VERSION,
  SweepFileSchema,
  SweepMetaSchema,
  TargetLineSchema,
  type FleetSummary,
  type HostResult,
  type SweepHead,
  type SweepMeta,
} from './fleet-schema.js';
import { SweepMetaV2Schema, type SweepMetaV2 } from './fleet-schema-v2.js';
import {
  FleetSummaryV1Schema,
  HostResultV1Schema,
  ResolvedHostV1Schema,
  SweepMetaV1Schema,
  type FleetSummaryV1,
  type HostResultV1,
  type ResolvedHostV1,
  type SweepMetaV1,
} from './fleet-schema-v1.js';

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

/**
 * A resolved host of version 1 (the inventory's names) in version 2's. Its flags keep their
 * values under their resolved keys (ehlo-name -> ehlo_name); the caller checks the result with
 * the current schema, which refuses a flag this release no longer knows.
 */
export function resolvedHostFromV1(h: ResolvedHostV1): ResolvedHost {
  const { auth, ssh, winrm, probe } = h;
  return {
    schema: h.schema,
    schema_version: RESOLVED_HOST_VERSION,
    name: h.name,
    address: h.address,
    port: h.port,
    os: h.os,
    transport: h.transport,
    user: h.user,
    auth: auth.kind === 'key' ? { kind: auth.kind, path: auth.path, passphrase_env: auth.passphraseEnv } : auth,
    ...(ssh ? { ssh: { known_hosts: ssh.knownHosts } } : {}),
    ...(winrm ? { winrm: { https: winrm.https, auth: winrm.auth, ca_file: winrm.caFile, thumbprint: winrm.thumbprint } } : {}),
    tags: h.tags,
    groups: h.groups,
    probe: {
      server: probe.server,
      ports: probe.ports,
      mode: probe.mode,
      resolver: probe.resolver,
      timeout: probe.timeout,
      flags: Object.fromEntries(Object.entries(probe.flags).map(([name, v]) => [RESOLVED_FLAG_KEY.get(name) ?? name, v])) as ResolvedHost['probe']['flags'],
      smtp_auth: probe.smtpAuth && { user: probe.smtpAuth.user, password_env: probe.smtpAuth.passwordEnv },
      aa: { activity: probe.aa.activity, run_id: probe.aa.runId, host: probe.aa.host },
    },
  };
}

export function sweepMetaFromV1(m: SweepMetaV1): SweepMeta {
  const { authTest, authMaxPerAccount, payloadVersion, ...same } = m.options;
  return {
    ...m,
    schema_version: SWEEP_SCHEMA_VERSION,
    targets: m.targets.map(resolvedHostFromV1),
    options: { ...same, auth_test: authTest, auth_max_per_account: authMaxPerAccount, payload_version: payloadVersion },
  };
}

/** sweep.json data with each version-1 target converted (a target of another version is left to the schema). */
function targetsFromV1(data: unknown): Parsed<unknown> {
  const targets = data !== null && typeof data === 'object' ? (data as { targets?: unknown }).targets : undefined;
  if (!Array.isArray(targets) || !targets.some((t) => versionOf(t) === 1)) return { success: true, data };
  const out: unknown[] = [];
  for (const [i, t] of targets.entries()) {
    if (versionOf(t) !== 1) {
      out.push(t);
      continue;
    }
    const old = ResolvedHostV1Schema.safeParse(t);
    if (!old.success) return { success: false, error: { issues: old.error.issues.map((is) => ({ ...is, path: ['targets', i, ...is.path] })) } };
    out.push(resolvedHostFromV1(old.data));
  }
  return { success: true, data: { ...(data as object), targets: out } };
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

/** Version 2 held the targets inline; version 3 is the same sweep with them in targets.jsonl. */
export const sweepMetaFromV2 = (m: SweepMetaV2): SweepMeta => ({ ...m, schema_version: SWEEP_SCHEMA_VERSION });

/**
 * A sweep as one object (sweep.json of version 1 or 2 with targets of resolved-host version 1
 * or 2 inline, or version 3's sweep.json with its targets added) as the current type. A
 * converted file is checked with the current schema too: its targets become jobs.
 */
export const StoredSweepMeta: { safeParse(data: unknown): Parsed<SweepMeta> } = {
  safeParse(data) {
    if (versionOf(data) === 1) {
      const old = SweepMetaV1Schema.safeParse(data);
      return old.success ? SweepMetaSchema.safeParse(sweepMetaFromV1(old.data)) : old;
    }
    const upgraded = targetsFromV1(data);
    if (!upgraded.success) return upgraded;
    if (versionOf(data) !== 2) return SweepMetaSchema.safeParse(upgraded.data);
    const old = SweepMetaV2Schema.safeParse(upgraded.data);
    return old.success ? SweepMetaSchema.safeParse(sweepMetaFromV2(old.data)) : old;
  },
};

/**
 * sweep.json of any version: the sweep without its targets, and the targets a version-1 or 2
 * file holds inline (null for version 3, whose targets are in targets.jsonl).
 */
export function parseStoredSweepFile(data: unknown): Parsed<{ head: SweepHead; targets: SweepMeta['targets'] | null }> {
  if (versionOf(data) === SWEEP_SCHEMA_VERSION) {
    const head = SweepFileSchema.safeParse(data);
    return head.success ? { success: true, data: { head: head.data, targets: null } } : head;
  }
  const whole = parseStoredSweepMeta(data);
  if (!whole.success) return whole;
  const { targets, ...head } = whole.data;
  return { success: true, data: { head, targets } };
}


/**
 * The same as StoredSweepMeta.safeParse(data), with the same result, for a big sweep.json:
 * a version-2 file's targets are checked one by one, each replaced in `data` (which is
 * consumed) by its parsed copy, so the raw and the parsed 10,000 resolved hosts are not held
 * at once (that was 50 MB at the peak of a report). The rest is parsed first, as a whole
 * parse would report its issues first.
 */
export function parseStoredSweepMeta(data: unknown): Parsed<SweepMeta> {
  const targets = versionOf(data) === 2 ? (data as { targets?: unknown }).targets : undefined;
  if (!Array.isArray(targets)) return StoredSweepMeta.safeParse(data);
  const old = SweepMetaV2Schema.safeParse({ ...(data as object), targets: [] });
  if (!old.success) return old;
  const rest = SweepMetaSchema.safeParse(sweepMetaFromV2(old.data));
  if (!rest.success) return rest;
  const at = (i: number, issues: Array<{ path: PropertyKey[]; message: string }>) => ({ success: false as const, error: { issues: issues.map((x) => ({ ...x, path: ['targets', i, ...x.path] })) } });
  for (let i = 0; i < targets.length; i++) {
    // A target of resolved-host version 1 (a sweep written by the previous release) is converted first.
    let raw: unknown = targets[i];
    if (versionOf(raw) === 1) {
      const old = ResolvedHostV1Schema.safeParse(raw);
      if (!old.success) return at(i, old.error.issues);
      raw = resolvedHostFromV1(old.data);
    }
    const t = TargetLineSchema.safeParse(raw);
    if (!t.success) return at(i, t.error.issues);
    targets[i] = t.data;
  }
  return { success: true, data: { ...rest.data, targets: targets as SweepMeta['targets'] } };
}
/** host_result.json of version 1 or 2, as the current type. */
export const StoredHostResult = migrating(HostResultSchema, HostResultV1Schema, hostResultFromV1);
/** fleet_summary.json of version 1 or 2, as the current type. */
export const StoredFleetSummary = migrating(FleetSummarySchema, FleetSummaryV1Schema, fleetSummaryFromV1);

// The fleet's on-disk formats in the store: a sweep's metadata, one result per host, and the
// aggregated summary. Each schema is the single source of its type; bump FLEET_SCHEMA_VERSION
// when a change is not backwards compatible, freeze the old schemas (fleet-schema-v1.ts) and
// convert them on read (fleet-migrate.ts), so an upgraded controller keeps its history.
// Keys are snake_case like every JSON the project writes (version 2; version 1 was camelCase).
import { z } from 'zod';
import { ResolvedHostSchema } from '../inventory/schema.js';
import { SelectionSchema } from '../inventory/select.js';
import { FailureClassSchema, ModeSchema } from '../payload/schema/summary.js';
import { TRANSPORT_ERROR_CODES, type TransportErrorCode } from '../transport/types.js';
import type { CheckedZip } from './zip-check.js';
import { findingKey, runFindings } from '../payload/report/run-findings.js';

export const FLEET_SCHEMA_VERSION = 2 as const;

const Iso = z.string().describe('ISO 8601 timestamp, UTC');
const Ms = z.number().nonnegative().describe('milliseconds, rounded to 0.01 when written');
/** Store ids: folder names under sweeps/, never a path. */
export const SweepIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be letters, digits, ".", "_" or "-"');

// ---- sweep ----

export const SweepKindSchema = z.enum(['sweep', 'reprobe', 'scheduled']);
/**
 * sweep.json's own version. 3: the resolved targets moved out to targets.jsonl (a line each),
 * so that listing sweeps, finding the previous one and the report do not parse megabytes of
 * hosts they do not read (version 2 held them inline: 8.6 MB for 10,000 runners).
 */
export const SWEEP_SCHEMA_VERSION = 3 as const;
/** sweep.json (version 3): what the sweep is, without its targets. */
export const SweepFileSchema = z.object({
  schema: z.literal('smtp-fleet/sweep'),
  schema_version: z.literal(SWEEP_SCHEMA_VERSION),
  id: SweepIdSchema,
  created: Iso,
  kind: SweepKindSchema,
  selection: SelectionSchema,
  hosts: z.array(z.string()).describe('names of the selected hosts, in inventory order'),
  options: z.object({
    auth_test: z.boolean().default(false),
    auth_max_per_account: z.number().int().positive().nullable().default(null).describe('fleet-wide AUTH attempts per mail account (--auth-test)'),
    inventory: z.string().nullable().default(null).describe('inventory file the hosts came from'),
    concurrency: z.number().int().positive().nullable().default(null),
    payload_version: z.string().nullable().default(null),
    deadline: Iso.nullable().default(null).describe('when the sweep ends whatever is unfinished (--deadline)'),
  }),
});
/** A sweep as listings read it: sweep.json alone. */
export type SweepHead = z.infer<typeof SweepFileSchema>;
/** targets.jsonl: one resolved host per line, in the order of the sweep's hosts. */
export const TargetLineSchema = ResolvedHostSchema;
/**
 * What the fleet report reads of a targets.jsonl line, and checks: the rest of the line (ports,
 * keys, probe flags) is what a re-probe reads, and checks with TargetLineSchema.
 */
export const ReportTargetLineSchema = TargetLineSchema.pick({ schema_version: true, name: true, address: true, os: true, transport: true, tags: true, groups: true }).extend({
  probe: TargetLineSchema.shape.probe.pick({ aa: true }),
});
/**
 * A whole sweep as the store takes and gives it: sweep.json with its targets.jsonl. Not a file
 * of its own; the two files above are its on-disk form.
 */
export const SweepMetaSchema = SweepFileSchema.extend({
  targets: z.array(TargetLineSchema).default([]).describe('the selected hosts as resolved when the sweep began (no secrets): what re-probes and the report use'),
});
export type SweepMeta = z.infer<typeof SweepMetaSchema>;
export type SweepMetaInput = z.input<typeof SweepMetaSchema>;

// ---- host result ----

export const TransportCodeSchema = z.enum(TRANSPORT_ERROR_CODES);
/** Beyond the transport's own codes: the probe ran but gave no usable result, or the worker's set-up was wrong. */
export const FailedCodeSchema = z.enum([...TRANSPORT_ERROR_CODES, 'payload-exit', 'no-zip', 'config', 'internal']);

const HostResultBase = {
  schema: z.literal('smtp-fleet/host-result'),
  schema_version: z.literal(FLEET_SCHEMA_VERSION),
  sweep_id: SweepIdSchema,
  host: z.string(),
  transport: z.enum(['ssh', 'winrm']),
  job_id: z.string().nullable().describe('queue job that produced this result'),
  job_attempts: z.number().int().nonnegative().describe('tries the queue made, this one included'),
  started_at: Iso,
  finished_at: Iso,
  duration_ms: Ms.describe('the whole job: connect, push, run, fetch'),
};

export const ProbedResultSchema = z.object({
  ...HostResultBase,
  status: z.literal('probed'),
  verdict: z.object({
    class: FailureClassSchema,
    exit_code: z.number().int(),
    partial: z.boolean(),
    hint_id: z.string(),
    summary: z.string(),
    evidence: z.string().describe('the line the verdict rests on'),
    next_step: z.string(),
  }),
  attempts: z.object({
    ok: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    totals_ms: z.array(Ms).describe('duration of every SMTP attempt, in run order'),
  }),
  server: z.string(),
  ports: z.array(z.object({ port: z.number().int(), mode: ModeSchema })),
  egress_ips: z.array(z.string()),
  findings: z.array(z.string()).optional().describe('the run\'s findings (payload/report/run-findings.ts: ESMTP/timing, TLS matrix, provider preset as id:port, e.g. starttls-not-required:587, tls-version-mismatch:465; sender-domain problems as id:domain, e.g. spf-too-many-lookups:example.com)'),
  payload_version: z.string(),
  zip: z.object({ path: z.string().describe('relative to the store root'), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() }),
  transport_stats: z.object({ uploaded_bytes: z.number().int().nonnegative(), cache_hit: z.boolean() }),
});

export const UnreachableResultSchema = z.object({
  ...HostResultBase,
  status: z.literal('unreachable'),
  code: TransportCodeSchema,
  message: z.string(),
});

export const FailedResultSchema = z.object({
  ...HostResultBase,
  status: z.literal('failed'),
  code: FailedCodeSchema,
  message: z.string(),
  exit_code: z.number().int().nullable().describe('the remote command exit code, when it ran'),
});

export const RejectedResultSchema = z.object({
  ...HostResultBase,
  status: z.literal('rejected'),
  reason: z.string().describe('why the ZIP was refused, one line'),
  zip_bytes: z.number().int().nonnegative().nullable(),
  zip_sha256: z.string().nullable(),
});

/** Where a host's job was when the sweep's deadline passed. */
export const HostStageSchema = z.enum(['queued', 'connect', 'push', 'run', 'fetch']);
export type HostStage = z.infer<typeof HostStageSchema>;

/** The sweep's deadline passed before this host's job finished: written once, never replaced by a late result. */
export const TimedOutResultSchema = z.object({
  ...HostResultBase,
  status: z.literal('timed-out'),
  stage: HostStageSchema.describe('the last stage the job was known to be in'),
  deadline: Iso.describe("the sweep's deadline"),
  message: z.string(),
});

export const HostResultSchema = z.discriminatedUnion('status', [ProbedResultSchema, UnreachableResultSchema, FailedResultSchema, RejectedResultSchema, TimedOutResultSchema]);
export type HostResult = z.infer<typeof HostResultSchema>;
export type ProbedResult = z.infer<typeof ProbedResultSchema>;
export type HostStatus = HostResult['status'];

/** Codes where the runner could not be reached at all: their own category in the report. */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set(['unreachable', 'timeout', 'reset']);
export function isUnreachableCode(code: TransportErrorCode): code is z.infer<typeof TransportCodeSchema> {
  return UNREACHABLE_CODES.has(code);
}

export type HostResultCommon = Pick<HostResult, 'sweep_id' | 'host' | 'transport' | 'job_id' | 'job_attempts' | 'started_at' | 'finished_at' | 'duration_ms'>;

/** The 'probed' result of a host from its validated ZIP. `zipPath` is relative to the store root. */
export function probedResult(
  common: HostResultCommon,
  zip: CheckedZip,
  zipPath: string,
  transport_stats: { uploaded_bytes: number; cache_hit: boolean },
): ProbedResult {
  const s = zip.summary;
  return ProbedResultSchema.parse({
    schema: 'smtp-fleet/host-result',
    schema_version: FLEET_SCHEMA_VERSION,
    ...common,
    status: 'probed',
    verdict: {
      class: s.verdict.class,
      exit_code: s.verdict.exit_code,
      partial: s.verdict.partial,
      hint_id: capText(s.verdict.hint_id),
      summary: capText(s.verdict.summary),
      evidence: capText(s.verdict.evidence),
      next_step: capText(s.verdict.next_step),
    },
    attempts: { ok: s.sweep.ok, total: s.sweep.total, totals_ms: s.attempts.map((a) => a.duration_ms) },
    server: capText(s.settings.host),
    ports: s.settings.ports,
    egress_ips: s.egress_ips.map((ip) => capText(ip)),
    findings: [...new Set(runFindings(s).map(findingKey))],
    payload_version: capText(s.tool.version),
    zip: { path: zipPath, sha256: zip.sha256, bytes: zip.bytes },
    transport_stats,
  });
}

/** The result of a host whose job ended in a transport error: 'unreachable' or 'failed' by its code. */
export function transportFailureResult(common: HostResultCommon, err: { code: TransportErrorCode; message: string }): HostResult {
  const base = { schema: 'smtp-fleet/host-result', schema_version: FLEET_SCHEMA_VERSION, ...common } as const;
  if (isUnreachableCode(err.code)) return { ...base, status: 'unreachable', code: err.code, message: oneLine(err.message) };
  return { ...base, status: 'failed', code: err.code, message: oneLine(err.message), exit_code: null };
}

/** The result of a host whose ZIP the store refused (see zip-check.ts). */
export function rejectedResult(common: HostResultCommon, reason: string, zip: { zip_bytes: number | null; zip_sha256: string | null }): HostResult {
  return { schema: 'smtp-fleet/host-result', schema_version: FLEET_SCHEMA_VERSION, ...common, status: 'rejected', reason: oneLine(reason), zip_bytes: zip.zip_bytes, zip_sha256: zip.zip_sha256 };
}

/** The result of a host whose job failed in the worker, not in the transport: its set-up ('config') or our own code. */
export function internalFailureResult(common: HostResultCommon, message: string, code: 'config' | 'internal' = 'internal'): HostResult {
  return { schema: 'smtp-fleet/host-result', schema_version: FLEET_SCHEMA_VERSION, ...common, status: 'failed', code, message: oneLine(message), exit_code: null };
}

/** The result of a host the sweep's deadline overtook, at `stage`. */
export function timedOutResult(common: HostResultCommon, stage: HostStage, deadline: string): HostResult {
  const message = stage === 'queued' ? 'the deadline passed before the job started' : `the deadline passed during ${stage}`;
  return { schema: 'smtp-fleet/host-result', schema_version: FLEET_SCHEMA_VERSION, ...common, status: 'timed-out', stage, deadline, message };
}

/** The most of one runner-supplied string the host result and fleet summary carry. */
export const MAX_CARRIED_BYTES = 2048;

/**
 * A runner's text cut to `max` UTF-8 bytes (at a character boundary) with a marker saying how
 * long it was: the whole text stays in the runner's ZIP, the fleet files stay small.
 */
export function capText(text: string, max = MAX_CARRIED_BYTES): string {
  // Measured before it is copied: this runs for every row of a 10,000-runner summary.
  if (Buffer.byteLength(text, 'utf8') <= max) return text;
  const buf = Buffer.from(text, 'utf8');
  let cut = max;
  while (cut > 0 && (buf[cut]! & 0xc0) === 0x80) cut--;
  return `${buf.subarray(0, cut).toString('utf8')}… [truncated, ${buf.length} bytes]`;
}

export function oneLine(text: string, max = 500): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}

// ---- fleet summary ----

const Outcome = z.string().describe("a verdict class for probed hosts, else 'unreachable', 'failed', 'rejected', 'timed-out' or 'pending'");
const RowStatus = z.enum(['probed', 'unreachable', 'failed', 'rejected', 'timed-out', 'pending']);
const Percentiles = z.object({ n: z.number().int(), min: Ms, p50: Ms, p90: Ms, p99: Ms, max: Ms }).nullable();
/** How many runners ended which way: shared by the fleet's counts and each tag/group breakdown. */
const Tally = {
  ok: z.number().int(),
  smtp_failing: z.number().int(),
  unreachable: z.number().int(),
  failed: z.number().int(),
  rejected: z.number().int(),
  pending: z.number().int(),
  /** Added with --deadline: summaries written before it have none, read as 0. */
  timed_out: z.number().int().default(0),
};
const Breakdown = z.object({
  name: z.string(),
  hosts: z.number().int(),
  ...Tally,
  success_rate: z.number().min(0).max(1).nullable(),
});
const HostChange = z.object({ host: z.string(), from: Outcome, to: Outcome });

export const FleetSummarySchema = z.object({
  schema: z.literal('smtp-fleet/fleet-summary'),
  schema_version: z.literal(FLEET_SCHEMA_VERSION),
  sweep: z.object({ id: SweepIdSchema, created: Iso, kind: SweepKindSchema, selection: SelectionSchema, auth_test: z.boolean() }),
  generated_at: Iso,
  counts: z.object({
    selected: z.number().int(),
    probed: z.number().int(),
    ...Tally,
  }),
  verdicts: z.record(z.string(), z.number().int()).describe('probed hosts by verdict class'),
  success_rate: z.number().min(0).max(1).nullable().describe('probed hosts whose verdict is ok, over probed hosts; runners not reached are left out'),
  attempt_success_rate: z.number().min(0).max(1).nullable().describe('SMTP attempts that succeeded over all attempts of probed hosts'),
  timings_ms: Percentiles.describe('durations of every SMTP attempt of every probed host'),
  hosts: z.array(
    z.object({
      name: z.string(),
      address: z.string(),
      os: z.string(),
      transport: z.string(),
      tags: z.array(z.string()),
      groups: z.array(z.string()),
      status: RowStatus,
      outcome: Outcome,
      stage: HostStageSchema.nullable().default(null).describe('timed-out: where its job was at the deadline'),
      hint_id: z.string().nullable(),
      exit_code: z.number().int().nullable(),
      detail: z.string().describe('evidence line, transport message or rejection reason'),
      attempts: z.object({ ok: z.number().int(), total: z.number().int() }).nullable(),
      median_ms: Ms.nullable(),
      aa: z.object({ activity: z.string().nullable(), run_id: z.string().nullable(), host: z.string().nullable() }).nullable(),
      finished_at: Iso.nullable(),
      zip: z.string().nullable(),
    }),
  ),
  finding_groups: z
    .array(
      z.object({
        finding: z.string().describe('id:port or id:domain'),
        hosts: z.array(z.string()),
        label: z.string().optional().describe('short human label of the finding id (data/findings.json)'),
        next_step: z.string().optional().describe('the usual next step for the finding id'),
      }),
    )
    .optional()
    .describe('probed runners grouped by finding: ESMTP/timing (starttls-not-required, tarpit, greylisted...), TLS matrix (tls-version-mismatch...), provider preset (preset-issuer-unexpected...), sender domain (spf-too-many-lookups...)'),
  failure_groups: z
    .array(
      z.object({
        outcome: Outcome,
        hint_id: z.string().nullable(),
        evidence: z.string().describe('normalised'),
        next_step: z.string().nullable().default(null).describe("the probe's next step for this verdict"),
        hosts: z.array(z.string()),
      }),
    )
    .describe('SMTP failures grouped by identical normalised evidence, largest first'),
  unreachable_groups: z.array(z.object({ code: z.string(), message: z.string().describe('normalised'), hosts: z.array(z.string()) })),
  runner_problems: z
    .array(z.object({ status: z.enum(['failed', 'rejected']), code: z.string(), message: z.string(), hosts: z.array(z.string()) }))
    .describe('runners reached but without a usable probe result'),
  by_tag: z.array(Breakdown),
  by_group: z.array(Breakdown),
  pending: z.array(z.string()),
  timed_out: z.array(z.object({ host: z.string(), stage: HostStageSchema })).default([]).describe('hosts the deadline overtook, with the stage each was in'),
  deadline: Iso.nullable().default(null).describe("the sweep's deadline, when it had one"),
  changes: z
    .object({
      previous_sweep_id: SweepIdSchema,
      previous_created: Iso,
      new_failures: z.array(HostChange).describe('ok before, an SMTP failure now'),
      recovered: z.array(HostChange).describe('anything but ok before, ok now'),
      changed: z.array(HostChange).describe('every other change of outcome'),
      new_hosts: z.array(z.string()),
      missing_hosts: z.array(z.string()).describe('in the previous sweep, not selected now'),
    })
    .nullable(),
});
export type FleetSummary = z.infer<typeof FleetSummarySchema>;
/** One runner's row of the summary (checked a row at a time where a summary is written). */
export const HostRowSchema = FleetSummarySchema.shape.hosts.element;

// ---- runner lines (smtp-fleet sweep --jsonl) ----

export const RUNNER_LINE_SCHEMA_VERSION = 1 as const;

/**
 * One runner of a sweep, one JSON object per line. snake_case like smtp-probe's attempt lines,
 * so one pipeline reads both; names are stable within a schema_version.
 */
export const RunnerLineSchema = z.object({
  schema: z.literal('smtp-fleet/runner'),
  schema_version: z.literal(RUNNER_LINE_SCHEMA_VERSION),
  sweep_id: SweepIdSchema,
  sweep_created: Iso,
  host: z.string(),
  address: z.string(),
  os: z.string(),
  transport: z.string(),
  tags: z.array(z.string()),
  groups: z.array(z.string()),
  status: RowStatus,
  stage: HostStageSchema.nullable().describe('timed-out: where its job was at the deadline'),
  reached: z.boolean().describe('the runner was probed and gave a usable result'),
  class: Outcome,
  hint_id: z.string().nullable(),
  partial: z.boolean().nullable(),
  evidence: z.string().describe('evidence line, transport message or rejection reason'),
  next_step: z.string().nullable(),
  exit_code: z.number().int().nullable(),
  attempts_ok: z.number().int().nonnegative().nullable(),
  attempts_total: z.number().int().nonnegative().nullable(),
  median_attempt_ms: Ms.nullable(),
  job_duration_ms: Ms.nullable().describe('the whole job: connect, push, run, fetch'),
  finished_at: Iso.nullable(),
  zip: z.string().nullable().describe('relative to the store root'),
});
export type RunnerLine = z.infer<typeof RunnerLineSchema>;

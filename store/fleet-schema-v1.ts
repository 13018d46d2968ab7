// Version 1 of the fleet's store formats (sweep.json, host_result.json, fleet_summary.json;
// camelCase keys) and of the resolved host sweep.json's targets hold (the inventory's names),
// frozen as they were written until version 2 moved every key to snake_case.
// Kept only so a store of older sweeps still reads: fleet-migrate.ts parses a version-1 file
// with these schemas and converts it to the current type. Never change them; never write them.
import { z } from 'zod';
import { SelectionSchema } from '../inventory/select.js';
import { FailureClassSchema, ModeSchema } from '../payload/schema/summary.js';
import { FailedCodeSchema, HostStageSchema, SweepIdSchema, SweepKindSchema, TransportCodeSchema } from './fleet-schema.js';

const Iso = z.string().describe('ISO 8601 timestamp, UTC');
const Ms = z.number().nonnegative().describe('milliseconds');

// ---- resolved host ----

/**
 * `smtp-fleet/resolved-host` version 1, in sweep.json's targets of version-1 and version-2
 * files. Shapes only: the converted host is checked with the current schema, which holds the
 * probe's own checks of each value.
 */
const Nullable = z.string().nullable();
export const ResolvedHostV1Schema = z.object({
  schema: z.literal('smtp-fleet/resolved-host'),
  schema_version: z.literal(1),
  name: z.string(),
  address: z.string(),
  port: z.number().int(),
  os: z.enum(['windows', 'linux']),
  transport: z.enum(['ssh', 'winrm']),
  user: z.string(),
  auth: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('key'), path: z.string(), passphraseEnv: Nullable }),
    z.object({ kind: z.literal('agent') }),
    z.object({ kind: z.literal('password'), env: z.string() }),
  ]),
  ssh: z.object({ knownHosts: Nullable }).optional(),
  winrm: z.object({ https: z.boolean(), auth: z.enum(['basic', 'ntlm']), caFile: Nullable, thumbprint: Nullable }).optional(),
  tags: z.array(z.string()),
  groups: z.array(z.string()),
  probe: z.object({
    server: z.string(),
    ports: z.array(z.string()),
    mode: z.enum(['auto', 'starttls', 'implicit', 'plain']),
    resolver: Nullable,
    timeout: z.array(z.string()),
    // The probe's flag names, as the inventory writes them.
    flags: z.strictObject({
      attempts: z.number().optional(),
      concurrency: z.number().optional(),
      family: z.string().optional(),
      sni: z.string().optional(),
      'ehlo-name': z.string().optional(),
      dns: z.array(z.string()).optional(),
      'hosts-file': z.string().optional(),
      ca: z.array(z.string()).optional(),
      'auth-max': z.number().optional(),
      'auth-mech': z.string().optional(),
      provider: z.string().optional(),
      'tls-matrix': z.boolean().optional(),
      'sender-domain': z.string().optional(),
      'dkim-selector': z.string().optional(),
      'egress-ip': z.string().optional(),
    }),
    smtpAuth: z.object({ user: z.string(), passwordEnv: z.string() }).nullable(),
    aa: z.object({ activity: Nullable, runId: Nullable, host: Nullable }),
  }),
});
export type ResolvedHostV1 = z.infer<typeof ResolvedHostV1Schema>;

// ---- sweep ----

export const SweepMetaV1Schema = z.object({
  schema: z.literal('smtp-fleet/sweep'),
  schema_version: z.literal(1),
  id: SweepIdSchema,
  created: Iso,
  kind: SweepKindSchema,
  selection: SelectionSchema,
  hosts: z.array(z.string()).describe('names of the selected hosts, in inventory order'),
  targets: z.array(ResolvedHostV1Schema).default([]).describe('the selected hosts as resolved when the sweep began (no secrets): what re-probes and the report use'),
  options: z.object({
    authTest: z.boolean().default(false),
    authMaxPerAccount: z.number().int().positive().nullable().default(null).describe('fleet-wide AUTH attempts per mail account (--auth-test)'),
    inventory: z.string().nullable().default(null).describe('inventory file the hosts came from'),
    concurrency: z.number().int().positive().nullable().default(null),
    payloadVersion: z.string().nullable().default(null),
    deadline: Iso.nullable().default(null).describe('when the sweep ends whatever is unfinished (--deadline)'),
  }),
});
export type SweepMetaV1 = z.infer<typeof SweepMetaV1Schema>;

// ---- host result ----


const HostResultBase = {
  schema: z.literal('smtp-fleet/host-result'),
  schema_version: z.literal(1),
  sweepId: SweepIdSchema,
  host: z.string(),
  transport: z.enum(['ssh', 'winrm']),
  jobId: z.string().nullable().describe('queue job that produced this result'),
  jobAttempts: z.number().int().nonnegative().describe('tries the queue made, this one included'),
  startedAt: Iso,
  finishedAt: Iso,
  durationMs: Ms.describe('the whole job: connect, push, run, fetch'),
};

export const ProbedResultV1Schema = z.object({
  ...HostResultBase,
  status: z.literal('probed'),
  verdict: z.object({
    class: FailureClassSchema,
    exitCode: z.number().int(),
    partial: z.boolean(),
    hintId: z.string(),
    summary: z.string(),
    evidence: z.string().describe('the line the verdict rests on'),
    nextStep: z.string(),
  }),
  attempts: z.object({
    ok: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    totalsMs: z.array(Ms).describe('duration of every SMTP attempt, in run order'),
  }),
  server: z.string(),
  ports: z.array(z.object({ port: z.number().int(), mode: ModeSchema })),
  egressIps: z.array(z.string()),
  findings: z.array(z.string()).optional().describe('the probe\'s ESMTP/timing findings as id:port, e.g. starttls-not-required:587, tarpit:25'),
  payloadVersion: z.string(),
  zip: z.object({ path: z.string().describe('relative to the store root'), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() }),
  transportStats: z.object({ uploadedBytes: z.number().int().nonnegative(), cacheHit: z.boolean() }),
});

export const UnreachableResultV1Schema = z.object({
  ...HostResultBase,
  status: z.literal('unreachable'),
  code: TransportCodeSchema,
  message: z.string(),
});

export const FailedResultV1Schema = z.object({
  ...HostResultBase,
  status: z.literal('failed'),
  code: FailedCodeSchema,
  message: z.string(),
  exitCode: z.number().int().nullable().describe('the remote command exit code, when it ran'),
});

export const RejectedResultV1Schema = z.object({
  ...HostResultBase,
  status: z.literal('rejected'),
  reason: z.string().describe('why the ZIP was refused, one line'),
  zipBytes: z.number().int().nonnegative().nullable(),
  zipSha256: z.string().nullable(),
});


/** The sweep's deadline passed before this host's job finished: written once, never replaced by a late result. */
export const TimedOutResultV1Schema = z.object({
  ...HostResultBase,
  status: z.literal('timed-out'),
  stage: HostStageSchema.describe('the last stage the job was known to be in'),
  deadline: Iso.describe("the sweep's deadline"),
  message: z.string(),
});

export const HostResultV1Schema = z.discriminatedUnion('status', [ProbedResultV1Schema, UnreachableResultV1Schema, FailedResultV1Schema, RejectedResultV1Schema, TimedOutResultV1Schema]);
export type HostResultV1 = z.infer<typeof HostResultV1Schema>;

// ---- fleet summary ----

const Outcome = z.string().describe("a verdict class for probed hosts, else 'unreachable', 'failed', 'rejected', 'timed-out' or 'pending'");
const RowStatus = z.enum(['probed', 'unreachable', 'failed', 'rejected', 'timed-out', 'pending']);
const Percentiles = z.object({ n: z.number().int(), min: Ms, p50: Ms, p90: Ms, p99: Ms, max: Ms }).nullable();
/** How many runners ended which way: shared by the fleet's counts and each tag/group breakdown. */
const Tally = {
  ok: z.number().int(),
  smtpFailing: z.number().int(),
  unreachable: z.number().int(),
  failed: z.number().int(),
  rejected: z.number().int(),
  pending: z.number().int(),
  /** Added with --deadline: summaries written before it have none, read as 0. */
  timedOut: z.number().int().default(0),
};
const Breakdown = z.object({
  name: z.string(),
  hosts: z.number().int(),
  ...Tally,
  successRate: z.number().min(0).max(1).nullable(),
});
const HostChange = z.object({ host: z.string(), from: Outcome, to: Outcome });

export const FleetSummaryV1Schema = z.object({
  schema: z.literal('smtp-fleet/fleet-summary'),
  schema_version: z.literal(1),
  sweep: z.object({ id: SweepIdSchema, created: Iso, kind: SweepKindSchema, selection: SelectionSchema, authTest: z.boolean() }),
  generatedAt: Iso,
  counts: z.object({
    selected: z.number().int(),
    probed: z.number().int(),
    ...Tally,
  }),
  verdicts: z.record(z.string(), z.number().int()).describe('probed hosts by verdict class'),
  successRate: z.number().min(0).max(1).nullable().describe('probed hosts whose verdict is ok, over probed hosts; runners not reached are left out'),
  attemptSuccessRate: z.number().min(0).max(1).nullable().describe('SMTP attempts that succeeded over all attempts of probed hosts'),
  timingsMs: Percentiles.describe('durations of every SMTP attempt of every probed host'),
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
      hintId: z.string().nullable(),
      exitCode: z.number().int().nullable(),
      detail: z.string().describe('evidence line, transport message or rejection reason'),
      attempts: z.object({ ok: z.number().int(), total: z.number().int() }).nullable(),
      medianMs: Ms.nullable(),
      aa: z.object({ activity: z.string().nullable(), runId: z.string().nullable(), host: z.string().nullable() }).nullable(),
      finishedAt: Iso.nullable(),
      zip: z.string().nullable(),
    }),
  ),
  findingGroups: z
    .array(z.object({ finding: z.string().describe('id:port'), hosts: z.array(z.string()) }))
    .optional()
    .describe('probed runners grouped by ESMTP/timing finding (starttls-not-required, tarpit, greylisted...)'),
  failureGroups: z
    .array(
      z.object({
        outcome: Outcome,
        hintId: z.string().nullable(),
        evidence: z.string().describe('normalised'),
        nextStep: z.string().nullable().default(null).describe("the probe's next step for this verdict"),
        hosts: z.array(z.string()),
      }),
    )
    .describe('SMTP failures grouped by identical normalised evidence, largest first'),
  unreachableGroups: z.array(z.object({ code: z.string(), message: z.string().describe('normalised'), hosts: z.array(z.string()) })),
  runnerProblems: z
    .array(z.object({ status: z.enum(['failed', 'rejected']), code: z.string(), message: z.string(), hosts: z.array(z.string()) }))
    .describe('runners reached but without a usable probe result'),
  byTag: z.array(Breakdown),
  byGroup: z.array(Breakdown),
  pending: z.array(z.string()),
  timedOut: z.array(z.object({ host: z.string(), stage: HostStageSchema })).default([]).describe('hosts the deadline overtook, with the stage each was in'),
  deadline: Iso.nullable().default(null).describe("the sweep's deadline, when it had one"),
  changes: z
    .object({
      previousSweepId: SweepIdSchema,
      previousCreated: Iso,
      newFailures: z.array(HostChange).describe('ok before, an SMTP failure now'),
      recovered: z.array(HostChange).describe('anything but ok before, ok now'),
      changed: z.array(HostChange).describe('every other change of outcome'),
      newHosts: z.array(z.string()),
      missingHosts: z.array(z.string()).describe('in the previous sweep, not selected now'),
    })
    .nullable(),
});
export type FleetSummaryV1 = z.infer<typeof FleetSummaryV1Schema>;


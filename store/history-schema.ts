// `smtp-fleet history --json`: one runner's outcomes over time, or the fleet's (flapping
// runners, failure signatures new in the window, long-standing failures). The schema is the
// single source of the output's type; bump HISTORY_SCHEMA_VERSION when a change is not
// backwards compatible.
import { z } from 'zod';
import { SweepIdSchema } from './fleet-schema.js';

export const HISTORY_SCHEMA_VERSION = 2 as const;

const Iso = z.string().describe('ISO 8601 timestamp, UTC');
const Outcome = z.string().describe("a verdict class for probed hosts, else 'unreachable', 'failed', 'rejected' or 'timed-out'");
const Signature = z.string().describe('outcome and evidence with per-host noise (addresses, times, durations, long numbers, ids, the runner\'s own name) masked');

export const StreakSchema = z
  .object({
    state: z.enum(['ok', 'failing']),
    sweeps: z.number().int().positive().describe('consecutive sweeps of the host in this state, the latest included'),
    since: Iso.describe('creation time of the first sweep of the streak'),
    sweep_id: SweepIdSchema.describe('the first sweep of the streak'),
    outcomes: z.array(Outcome).describe('outcomes seen during the streak, most frequent first'),
  })
  .describe('the state of the host in its latest sweeps');

export const SignatureSpanSchema = z.object({
  signature: Signature,
  outcome: Outcome,
  first_seen: Iso,
  last_seen: Iso,
  sweeps: z.number().int().positive().describe('sweeps in which it was seen (on this host, or fleet-wide)'),
  hosts: z.number().int().positive().describe('runners it was seen on'),
});

export const FlappingSchema = z.object({
  host: z.string(),
  changes: z.number().int().positive().describe('changes of outcome between consecutive sweeps of the host in the window'),
  sweeps: z.number().int().positive().describe("the host's sweeps in the window"),
  per_week: z.number().nonnegative().describe('changes per 7 days of window'),
  current: Outcome,
});

export const LongStandingSchema = z.object({
  host: z.string(),
  since: Iso.describe('first sweep of the current failing streak'),
  sweeps: z.number().int().positive(),
  days: z.number().nonnegative(),
  outcome: Outcome.describe('the latest outcome'),
  signature: Signature.describe('the latest signature'),
  signature_first_seen: Iso.describe('when the fleet first saw that signature'),
});

const Window = {
  since: Iso,
  until: Iso.describe('creation time of the latest sweep considered'),
  sweeps: z.number().int().nonnegative().describe('sweeps in the window'),
};

export const HostHistorySchema = z.object({
  schema: z.literal('smtp-fleet/history'),
  schema_version: z.literal(HISTORY_SCHEMA_VERSION),
  scope: z.literal('host'),
  host: z.string(),
  ...Window,
  entries: z
    .array(
      z.object({
        sweep_id: SweepIdSchema,
        created: Iso,
        outcome: Outcome,
        failing: z.boolean(),
        evidence: z.string().describe('the evidence line, cut short'),
        signature: Signature,
      }),
    )
    .describe("the host's result in each sweep of the window, oldest first"),
  signatures: z.array(SignatureSpanSchema).describe('failure signatures of this host seen in the window, with first and last seen on this host over its whole history'),
  streak: StreakSchema.nullable(),
});
export type HostHistory = z.infer<typeof HostHistorySchema>;

export const FleetHistorySchema = z.object({
  schema: z.literal('smtp-fleet/history'),
  schema_version: z.literal(HISTORY_SCHEMA_VERSION),
  scope: z.literal('fleet'),
  ...Window,
  runners: z.number().int().nonnegative().describe('runners with a result in the window'),
  flapping: z.array(FlappingSchema).describe('most changes first'),
  new_signatures: z.array(SignatureSpanSchema).describe('failure signatures the fleet first saw in the window, newest first'),
  long_standing: z.array(LongStandingSchema).describe('runners failing for the long-standing span or more, longest first'),
});
export type FleetHistory = z.infer<typeof FleetHistorySchema>;

export const HistoryOutputSchema = z.discriminatedUnion('scope', [HostHistorySchema, FleetHistorySchema]);
export type HistoryOutput = z.infer<typeof HistoryOutputSchema>;

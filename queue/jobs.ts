// What travels through Redis: queue names, job ids and the job data schemas (versioned,
// snake_case keys).
// Job data never holds a secret: hosts name the env var or key file a worker reads itself.
import { z } from 'zod';
import { ResolvedHostSchema } from '../inventory/schema.js';
import { SelectionSchema } from '../inventory/select.js';

export const QUEUES = {
  /** One job per host and sweep: push, run, fetch. */
  probes: 'fleet-probes',
  /** One parent job per sweep: aggregates when every child has finished or failed. */
  sweeps: 'fleet-sweeps',
  /** Scheduled sweeps (the nightly report) land here and are turned into sweeps. */
  control: 'fleet-control',
} as const;

/** The same sweep and host always give the same id, so enqueuing twice is a no-op. */
export const probeJobId = (sweepId: string, host: string) => `${sweepId}.${host}`;
/** A re-probe is a new job (the first one may still be kept by BullMQ), stored over the old result. */
export const reprobeJobId = (sweepId: string, host: string, at: number) => `${sweepId}.${host}.re${at}`;
export const sweepJobId = (sweepId: string, suffix = '') => `sweep.${sweepId}${suffix}`;

/**
 * The version of every job's data. Version 2 moved the keys to snake_case (like every JSON the
 * project writes), version 3 the probe job's host too (resolved-host version 2); a worker
 * refuses a job of another version with one line (workers.ts): the controller that enqueued it
 * and this worker are of different releases.
 */
export const JOB_VERSION = 3 as const;

export const SweepOptionsSchema = z.object({
  /** Also log in (the inventory's probe.user), within the fleet-wide AUTH budget. */
  auth_test: z.boolean().default(false),
  /** Fleet-wide logins per mail account per hour: the provider locks an account hit from many runners. */
  auth_max_per_account: z.number().int().positive().default(3),
  /** Accept and record host keys not yet in known_hosts (never a changed one). */
  accept_new: z.boolean().default(false),
  /** Run `smtp-probe diagnose` (probe + DNS/network/clock/proxy/OS TLS/AA evidence) instead of `probe`. */
  diagnose: z.boolean().default(false),
  /** diagnose: the SNTP server for the clock check, or null to skip it; unset = the payload's default. */
  ntp: z.string().nullable().optional(),
  command_timeout_ms: z.number().int().positive().default(180_000),
  max_zip_bytes: z.number().int().positive().default(20 * 1024 * 1024),
  /** ISO time the sweep ends by (--deadline): a job not finished then is recorded as timed out. */
  deadline: z.string().datetime().nullable().default(null),
});
export type SweepOptions = z.infer<typeof SweepOptionsSchema>;
export type SweepOptionsInput = z.input<typeof SweepOptionsSchema>;

export const RetryPolicySchema = z.object({
  attempts: z.number().int().min(1).max(20).default(4),
  /** First backoff; doubles each time, with up to 50 % jitter. */
  backoff_ms: z.number().int().min(0).default(2000),
});
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;
export type RetryPolicyInput = z.input<typeof RetryPolicySchema>;

/** A child of a sweep: probe one host. */
export const ProbeJobSchema = z.object({
  v: z.literal(JOB_VERSION),
  sweep_id: z.string(),
  host: ResolvedHostSchema,
  options: SweepOptionsSchema,
});
export type ProbeJob = z.infer<typeof ProbeJobSchema>;

/** The parent of a sweep (or of a re-probe): aggregate the store's results into the report. */
export const SweepJobSchema = z.object({ v: z.literal(JOB_VERSION), sweep_id: z.string() });

/** What a job scheduler fires: select hosts from an inventory file and start a sweep. */
export const ScheduledSweepJobSchema = z.object({
  v: z.literal(JOB_VERSION),
  inventory: z.string(),
  selection: SelectionSchema,
  options: SweepOptionsSchema,
  retry: RetryPolicySchema,
});
export type ScheduledSweepJob = z.infer<typeof ScheduledSweepJobSchema>;

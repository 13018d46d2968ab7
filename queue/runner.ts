// The job code itself, behind one interface: BullMQ workers and --local call the very same
// functions, so a first try without Redis behaves like the fleet does.
import { TransportError } from '../transport/types.js';
import type { ProbeJob, RetryPolicy } from './jobs.js';

export interface JobContext {
  jobId: string;
  /** Tries made so far, this one included. */
  attempt: number;
  log: (line: string) => void;
}

export interface JobRunner {
  /**
   * Probes one host and stores its result. Throws TransportError when the runner could
   * not be worked with; the caller then retries or calls recordFailure.
   */
  probe(job: ProbeJob, ctx: JobContext): Promise<{ status: string; outcome: string }>;
  /** Stores the result of a host no retry can help (or that ran out of retries). */
  recordFailure(job: ProbeJob, ctx: JobContext, err: unknown): Promise<{ status: string; outcome: string }>;
  /** Aggregates the sweep's stored results into its fleet report; returns the report path. */
  aggregate(sweepId: string): Promise<string>;
}

/** Transport trouble worth another try; everything else is final at once. */
export function shouldRetry(err: unknown, attempt: number, policy: RetryPolicy): boolean {
  return err instanceof TransportError && err.retryable && attempt < policy.attempts;
}

/** Exponential backoff with up to 50 % jitter, so a fleet of retries does not stampede. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const full = policy.backoff_ms * 2 ** Math.max(0, attempt - 1);
  return Math.round(full * (0.5 + 0.5 * random()));
}

/** BullMQ's equivalent of backoffDelay (its jitter takes the same share off the delay). */
export function bullBackoff(policy: RetryPolicy): { type: 'exponential'; delay: number; jitter: number } {
  return { type: 'exponential', delay: policy.backoff_ms, jitter: 0.5 };
}

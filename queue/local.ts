// --local: the sweep's jobs run in this process, no Redis, with the same runner, retry
// policy and aggregation as the queue. For first tries and small fleets.
import type { ProbeJob, RetryPolicy } from './jobs.js';
import { backoffDelay, shouldRetry, type JobRunner } from './runner.js';

export interface LocalHooks {
  onResult?: (host: string, r: { status: string; outcome: string }) => void;
  log?: (host: string, line: string) => void;
}

export async function runLocalSweep(sweepId: string, jobs: ProbeJob[], runner: JobRunner, opts: { concurrency: number; retry: RetryPolicy }, hooks: LocalHooks = {}): Promise<string> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const r = await runWithRetries(job, runner, opts.retry, (line) => hooks.log?.(job.host.name, line));
      hooks.onResult?.(job.host.name, r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, jobs.length)) }, worker));
  return runner.aggregate(sweepId);
}

async function runWithRetries(job: ProbeJob, runner: JobRunner, policy: RetryPolicy, log: (line: string) => void): Promise<{ status: string; outcome: string }> {
  const jobId = `local.${job.sweep_id}.${job.host.name}`;
  for (let attempt = 1; ; attempt++) {
    const ctx = { jobId, attempt, log };
    try {
      return await runner.probe(job, ctx);
    } catch (err) {
      if (shouldRetry(err, attempt, policy)) {
        // No backoff past the deadline: the next try then records the host as timed out at once.
        const left = job.options.deadline ? Math.max(0, Date.parse(job.options.deadline) - Date.now()) : Infinity;
        const wait = Math.min(backoffDelay(attempt, policy), left);
        log(`attempt ${attempt} failed (${(err as Error).message}); retrying in ${wait} ms`);
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      return runner.recordFailure(job, ctx, err);
    }
  }
}

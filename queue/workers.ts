// `smtp-fleet worker`: BullMQ workers for the three queues. Retry decisions are ours (see
// runner.ts): a transient transport error is rethrown for BullMQ's backoff, anything final
// is stored as the host's result and the job fails at once (UnrecoverableError), so a
// sweep's parent is never left waiting and no host is counted twice.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ProbeJobSchema, QUEUES, RetryPolicySchema, ScheduledSweepJobSchema, SweepJobSchema, type ScheduledSweepJob } from './jobs.js';
import { shouldRetry, type JobRunner } from './runner.js';

export interface WorkerOptions {
  prefix: string;
  concurrency: number;
  /** How long a job's lock lives without renewal: how soon a dead worker's job is taken over. */
  lockDurationMs: number;
  /** Called for a scheduled sweep: select hosts and enqueue the sweep. */
  startScheduled: (data: ScheduledSweepJob) => Promise<string>;
  log?: (line: string) => void;
}

export interface FleetWorkers {
  close(): Promise<void>;
}

export function startWorkers(redis: Redis, runner: JobRunner, opts: WorkerOptions): FleetWorkers {
  const common = {
    connection: redis,
    prefix: opts.prefix,
    lockDuration: opts.lockDurationMs,
    stalledInterval: Math.max(500, Math.floor(opts.lockDurationMs / 2)),
    // A job whose worker died is started again, twice at most, then fails (and is recorded).
    maxStalledCount: 2,
  };
  const log = opts.log ?? (() => {});

  const probes = new Worker(
    QUEUES.probes,
    async (job: Job) => {
      const data = ProbeJobSchema.parse(job.data);
      const attempt = job.attemptsMade + 1;
      const policy = RetryPolicySchema.parse({ attempts: job.opts.attempts ?? 1 });
      const ctx = { jobId: job.id!, attempt, log: (line: string) => void job.log(line).catch(() => {}) };
      try {
        return await runner.probe(data, ctx);
      } catch (err) {
        if (shouldRetry(err, attempt, policy)) throw err;
        const r = await runner.recordFailure(data, ctx, err);
        throw new UnrecoverableError(`${data.host.name}: ${r.outcome}: ${(err as Error).message}`);
      }
    },
    { ...common, concurrency: opts.concurrency },
  );

  const sweeps = new Worker(
    QUEUES.sweeps,
    async (job: Job) => {
      const { sweepId } = SweepJobSchema.parse(job.data);
      const path = await runner.aggregate(sweepId);
      log(`sweep ${sweepId}: report ${path}`);
      return { report: path };
    },
    { ...common, concurrency: 1 },
  );

  const control = new Worker(
    QUEUES.control,
    async (job: Job) => {
      const sweepId = await opts.startScheduled(ScheduledSweepJobSchema.parse(job.data));
      log(`scheduled ${job.name}: sweep ${sweepId}`);
      return { sweepId };
    },
    { ...common, concurrency: 1 },
  );

  for (const w of [probes, sweeps, control]) w.on('error', (err) => log(`worker: ${err.message}`));
  probes.on('failed', (job, err) => job && log(`${job.id}: failed (try ${job.attemptsMade}): ${err.message}`));

  const all = [probes, sweeps, control];
  return {
    close: async () => {
      await Promise.all(all.map((w) => w.close()));
    },
  };
}

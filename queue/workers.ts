// `smtp-fleet worker`: BullMQ workers for the three queues. Retry decisions are ours (see
// runner.ts): a transient transport error is rethrown for BullMQ's backoff, anything final
// is stored as the host's result and the job fails at once (UnrecoverableError), so a
// sweep's parent is never left waiting and no host is counted twice.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobAuthError, schedulerBinding, verifyJob } from './job-auth.js';
import { JOB_VERSION, ProbeJobSchema, QUEUES, RetryPolicySchema, ScheduledSweepJobSchema, SweepJobSchema, type ScheduledSweepJob } from './jobs.js';
import { shouldRetry, type JobRunner } from './runner.js';
import type { z } from 'zod';

export interface WorkerOptions {
  prefix: string;
  concurrency: number;
  /** How long a job's lock lives without renewal: how soon a dead worker's job is taken over. */
  lockDurationMs: number;
  /** Called for a scheduled sweep: select hosts and enqueue the sweep. */
  startScheduled: (data: ScheduledSweepJob) => Promise<string>;
  /** The key the controller signs jobs with; a job it does not verify is refused unread. */
  jobKey: Buffer;
  /** Connection errors of any of the workers' connections (reported once per state change). */
  onRedisError?: (err: Error) => void;
  log?: (line: string) => void;
}

/**
 * A job of another data version was enqueued by a controller of another release (version 1:
 * camelCase keys; version 2: the host in the inventory's names): refused with that said, before its signature is even read, rather than as a
 * malformed job. Its version number is unauthenticated, but it only chooses the refusal's words.
 */
function checkVersion(data: unknown): void {
  const v = data !== null && typeof data === 'object' ? (data as { v?: unknown }).v : undefined;
  if (typeof v === 'number' && v !== JOB_VERSION)
    throw new JobAuthError(`job data version ${v} is from a controller of another release (this worker reads version ${JOB_VERSION}): run controller and workers of the same smtp-fleet version, then sweep again`);
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

  /**
   * The job's data, once its signature proves the controller made it for this queue and id
   * (or schedule), and it has the shape of its schema. Anything else fails at once, unread:
   * nothing of a refused job reaches a transport, a secret or the store.
   */
  const trusted = <S extends z.ZodType>(queue: string, job: Job, schema: S): z.infer<S> => {
    const boundTo = queue === QUEUES.control ? (job.repeatJobKey ? schedulerBinding(job.repeatJobKey) : '') : String(job.id ?? '');
    try {
      checkVersion(job.data);
      const parsed = schema.safeParse(verifyJob(opts.jobKey, queue, boundTo, job.data));
      if (!parsed.success) throw new JobAuthError(`signed but not a valid job (${parsed.error.issues[0]?.message ?? 'bad shape'})`);
      return parsed.data;
    } catch (err) {
      const why = err instanceof JobAuthError ? err.message : 'unreadable job data';
      log(`${queue} job ${String(job.id).slice(0, 200)}: refused: ${why}`);
      throw new UnrecoverableError(`refused: ${why}`);
    }
  };

  const probes = new Worker(
    QUEUES.probes,
    async (job: Job) => {
      const data = trusted(QUEUES.probes, job, ProbeJobSchema);
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
      const { sweep_id: sweepId } = trusted(QUEUES.sweeps, job, SweepJobSchema);
      const path = await runner.aggregate(sweepId);
      log(`sweep ${sweepId}: report ${path}`);
      return { report: path };
    },
    { ...common, concurrency: 1 },
  );

  const control = new Worker(
    QUEUES.control,
    async (job: Job) => {
      const sweepId = await opts.startScheduled(trusted(QUEUES.control, job, ScheduledSweepJobSchema));
      log(`scheduled ${job.name}: sweep ${sweepId}`);
      return { sweepId };
    },
    { ...common, concurrency: 1 },
  );

  // Connection trouble is Redis's state, said once by the caller; anything else is one line here.
  const onError = (err: Error) => (isConnectionError(err) ? opts.onRedisError?.(err) : log(`worker: ${err.message.split('\n')[0]}`));
  for (const w of [probes, sweeps, control]) w.on('error', onError);
  // A refused job was said once already, by trusted().
  probes.on('failed', (job, err) => job && !err.message.startsWith('refused: ') && log(`${job.id}: failed (try ${job.attemptsMade}): ${err.message}`));

  const all = [probes, sweeps, control];
  return {
    close: async () => {
      await Promise.all(all.map((w) => w.close()));
    },
  };
}

/** An error of the connection to Redis rather than of a job: reconnecting is the cure. */
function isConnectionError(err: Error & { code?: string }): boolean {
  return /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|ENETUNREACH)$/.test(err.code ?? '') || /Connection is closed|connect ETIMEDOUT|Stream isn't writeable|ECONNREFUSED|ECONNRESET/i.test(err.message);
}

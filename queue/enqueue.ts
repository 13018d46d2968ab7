// The controller's side of the queue: a sweep is a flow (one parent, one child per host),
// a re-probe is a one-child flow over an existing sweep, the nightly report a job scheduler.
import { FlowProducer, Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { FleetError } from './connection.js';
import { JOB_VERSION, QUEUES, probeJobId, reprobeJobId, sweepJobId, type ProbeJob, type RetryPolicy, type ScheduledSweepJob } from './jobs.js';
import { schedulerBinding, signJob } from './job-auth.js';
import { bullBackoff } from './runner.js';

// Finished jobs are kept a while for `status` and job logs, then trimmed by BullMQ.
const KEEP = { removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 }, removeOnFail: { age: 30 * 24 * 3600, count: 10_000 } };

function childOpts(jobId: string, retry: RetryPolicy) {
  return {
    jobId,
    attempts: retry.attempts,
    backoff: bullBackoff(retry),
    // A child that fails for good still lets the parent aggregate (it is recorded as failed).
    ignoreDependencyOnFailure: true,
    ...KEEP,
  };
}

/** Enqueues a sweep; enqueuing the same sweep again adds nothing (ids are per sweep and host). */
export async function enqueueSweep(redis: Redis, prefix: string, jobKey: Buffer, sweepId: string, jobs: ProbeJob[], retry: RetryPolicy): Promise<string> {
  const flows = new FlowProducer({ connection: redis, prefix });
  try {
    const parentId = sweepJobId(sweepId);
    await flows.add({
      name: 'sweep',
      queueName: QUEUES.sweeps,
      data: signJob(jobKey, QUEUES.sweeps, parentId, { v: JOB_VERSION, sweep_id: sweepId }),
      opts: { jobId: parentId, ...KEEP },
      children: jobs.map((job) => {
        const id = probeJobId(sweepId, job.host.name);
        return { name: 'probe', queueName: QUEUES.probes, data: signJob(jobKey, QUEUES.probes, id, job), opts: childOpts(id, retry) };
      }),
    });
    return parentId;
  } finally {
    await flows.close();
  }
}

/** Probes one host again within its sweep; its new result replaces the old one, then the report is redone. */
export async function enqueueReprobe(redis: Redis, prefix: string, jobKey: Buffer, job: ProbeJob, retry: RetryPolicy, now = Date.now()): Promise<string> {
  const flows = new FlowProducer({ connection: redis, prefix });
  try {
    const parentId = sweepJobId(job.sweep_id, `.re${now}`);
    const childId = reprobeJobId(job.sweep_id, job.host.name, now);
    await flows.add({
      name: 'reprobe',
      queueName: QUEUES.sweeps,
      data: signJob(jobKey, QUEUES.sweeps, parentId, { v: JOB_VERSION, sweep_id: job.sweep_id }, now),
      opts: { jobId: parentId, ...KEEP },
      children: [{ name: 'probe', queueName: QUEUES.probes, data: signJob(jobKey, QUEUES.probes, childId, job, now), opts: childOpts(childId, retry) }],
    });
    return parentId;
  } finally {
    await flows.close();
  }
}

export type SweepState = 'waiting' | 'running' | 'done' | 'failed';

/**
 * Waits for a sweep's parent job. Polling rides out a Redis restart (the connection
 * reconnects and the next poll answers); a parent that vanished means Redis lost its data.
 */
export async function waitForSweep(redis: Redis, prefix: string, parentId: string, opts: { pollMs?: number; onTick?: () => void | Promise<void>; signal?: AbortSignal; onRedisError?: (err: Error) => void } = {}): Promise<SweepState> {
  const queue = new Queue(QUEUES.sweeps, { connection: redis, prefix });
  // Without a listener a connection error would be thrown from the emitter; the caller reports it once.
  queue.on('error', opts.onRedisError ?? (() => {}));
  try {
    for (;;) {
      if (opts.signal?.aborted) return 'running';
      const job = await Job.fromId(queue, parentId);
      if (!job) throw new FleetError('not-found', `the sweep's jobs are no longer in Redis (${parentId}); Redis was restarted without persistence or the jobs expired: results stored so far stay in the store`);
      const state = await job.getState();
      await opts.onTick?.();
      if (state === 'completed') return 'done';
      if (state === 'failed') return 'failed';
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
    }
  } finally {
    await queue.close();
  }
}

export interface ScheduleSpec {
  name: string;
  cron?: string;
  everyMs?: number;
  tz?: string;
}

/**
 * Registers (or updates) a schedule; calling it again with the same name changes nothing else.
 * Its template is signed for the schedule's name, without expiry: every job BullMQ fires from
 * it carries the same data and the scheduler's id.
 */
export async function upsertSchedule(redis: Redis, prefix: string, jobKey: Buffer, spec: ScheduleSpec, data: ScheduledSweepJob): Promise<void> {
  const queue = new Queue(QUEUES.control, { connection: redis, prefix });
  try {
    // BullMQ starts an `every` scheduler at once; `startDate` one interval away makes the first
    // sweep come after one interval, like a cron's. Re-registering an unchanged interval keeps
    // its slot (BullMQ goes on from the previous run and ignores startDate then).
    const repeat = spec.cron ? { pattern: spec.cron, ...(spec.tz ? { tz: spec.tz } : {}) } : { every: spec.everyMs!, startDate: Date.now() + spec.everyMs! };
    const signed = signJob(jobKey, QUEUES.control, schedulerBinding(spec.name), data, Date.now(), null);
    await queue.upsertJobScheduler(spec.name, repeat, { name: `scheduled:${spec.name}`.replace(/:/g, '-'), data: signed, opts: KEEP });
  } finally {
    await queue.close();
  }
}

export async function removeSchedule(redis: Redis, prefix: string, name: string): Promise<boolean> {
  const queue = new Queue(QUEUES.control, { connection: redis, prefix });
  try {
    return await queue.removeJobScheduler(name);
  } finally {
    await queue.close();
  }
}

export interface ScheduleInfo {
  name: string;
  pattern: string | null;
  every_ms: number | null;
  tz: string | null;
  next: string | null;
}

export async function listSchedules(redis: Redis, prefix: string): Promise<ScheduleInfo[]> {
  const queue = new Queue(QUEUES.control, { connection: redis, prefix });
  try {
    const list = await queue.getJobSchedulers(0, -1, true);
    return list.map((s) => ({
      name: s.key,
      pattern: s.pattern ?? null,
      every_ms: s.every != null ? Number(s.every) : null,
      tz: s.tz ?? null,
      next: s.next ? new Date(s.next).toISOString() : null,
    }));
  } finally {
    await queue.close();
  }
}

export interface QueueStatus {
  probes: Record<string, number>;
  sweeps: Record<string, number>;
  workers: number;
}

export async function queueStatus(redis: Redis, prefix: string): Promise<QueueStatus> {
  const probes = new Queue(QUEUES.probes, { connection: redis, prefix });
  const sweeps = new Queue(QUEUES.sweeps, { connection: redis, prefix });
  try {
    const kinds = ['waiting', 'active', 'delayed', 'completed', 'failed', 'waiting-children'] as const;
    const [p, s, w] = await Promise.all([probes.getJobCounts(...kinds), sweeps.getJobCounts(...kinds), probes.getWorkersCount()]);
    return { probes: p, sweeps: s, workers: w };
  } finally {
    await Promise.all([probes.close(), sweeps.close()]);
  }
}

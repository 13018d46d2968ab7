// A sweep ends by its deadline: the default one, where each job was when it passed (the
// stage book), and what the controller does at the deadline to the jobs still out.
import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { timedOutResult, type HostStage } from '../store/fleet-schema.js';
import type { Store } from '../store/store.js';
import { QUEUES, probeJobId } from './jobs.js';

/** What pushing the payload may take on top of the command (upload of runtime and bundle on a slow link). */
export const PUSH_ALLOWANCE_MS = 60_000;
export const DEADLINE_FLOOR_MS = 5 * 60_000;
export const DEADLINE_CAP_MS = 12 * 3600_000;
/** Tries counted per host: more than two is backoff after backoff, which a deadline should cut short. */
const RETRY_BOUND = 2;

/**
 * The deadline a sweep gets unless told: every host's job in waves of `concurrency`, each
 * the command timeout plus the push allowance, tried up to min(attempts, 2) times; kept
 * between 5 minutes and 12 hours. README.md documents the same formula.
 */
export function defaultDeadlineMs(a: { hosts: number; concurrency: number; commandTimeoutMs: number; attempts: number }): number {
  const waves = Math.ceil(Math.max(1, a.hosts) / Math.max(1, a.concurrency));
  const ms = waves * (a.commandTimeoutMs + PUSH_ALLOWANCE_MS) * Math.min(Math.max(1, a.attempts), RETRY_BOUND);
  return Math.min(DEADLINE_CAP_MS, Math.max(DEADLINE_FLOOR_MS, ms));
}

/** Where each host's job is: written by whoever runs the job, read when the deadline passes. */
export interface StageBook {
  set(sweepId: string, host: string, stage: HostStage): Promise<void>;
  all(sweepId: string): Promise<Map<string, HostStage>>;
}

export class MemoryStageBook implements StageBook {
  private readonly m = new Map<string, Map<string, HostStage>>();
  async set(sweepId: string, host: string, stage: HostStage): Promise<void> {
    const s = this.m.get(sweepId) ?? new Map<string, HostStage>();
    s.set(host, stage);
    this.m.set(sweepId, s);
  }
  async all(sweepId: string): Promise<Map<string, HostStage>> {
    return new Map(this.m.get(sweepId) ?? []);
  }
}

const STAGES: ReadonlySet<string> = new Set<HostStage>(['queued', 'connect', 'push', 'run', 'fetch']);

/** One small hash per sweep, beside the queue's keys; it expires a day after its last write. */
export class RedisStageBook implements StageBook {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}
  private key = (sweepId: string) => `${this.prefix}:sweep-stages:${sweepId}`;
  async set(sweepId: string, host: string, stage: HostStage): Promise<void> {
    await this.redis.multi().hset(this.key(sweepId), host, stage).expire(this.key(sweepId), 86_400).exec();
  }
  async all(sweepId: string): Promise<Map<string, HostStage>> {
    const h = await this.redis.hgetall(this.key(sweepId));
    return new Map(Object.entries(h).filter((e): e is [string, HostStage] => STAGES.has(e[1])));
  }
}

/**
 * The deadline has passed: every host without a result is recorded as timed out at its last
 * known stage, and its job, if still waiting or delayed, is taken off the queue. Jobs in
 * flight are the workers' to abort (they watch the same deadline). Returns the hosts timed out.
 */
export async function expireSweep(args: { store: Store; sweepId: string; hosts: readonly string[]; transports: ReadonlyMap<string, 'ssh' | 'winrm'>; deadline: string; stages: StageBook; queue?: { redis: Redis; prefix: string } }): Promise<string[]> {
  const done = new Set((await args.store.readHostResults(args.sweepId)).map((r) => r.host));
  const open = args.hosts.filter((h) => !done.has(h));
  const stages = await args.stages.all(args.sweepId);
  const queue = args.queue ? new Queue(QUEUES.probes, { connection: args.queue.redis, prefix: args.queue.prefix }) : null;
  queue?.on('error', () => {});
  try {
    for (const host of open) {
      const jobId = probeJobId(args.sweepId, host);
      let attempts = 0;
      if (queue) {
        const job = await Job.fromId(queue, jobId);
        if (job) {
          attempts = job.attemptsMade;
          const state = await job.getState();
          // An active job is locked by its worker; it sees the deadline itself and stops.
          if (state === 'waiting' || state === 'delayed' || state === 'prioritized') await job.remove().catch(() => {});
        }
      }
      const now = new Date().toISOString();
      const common = { sweep_id: args.sweepId, host, transport: args.transports.get(host) ?? 'ssh', job_id: queue ? jobId : null, job_attempts: attempts, started_at: now, finished_at: now, duration_ms: 0 };
      await args.store.writeHostResult(timedOutResult(common, stages.get(host) ?? 'queued', args.deadline));
    }
  } finally {
    await queue?.close();
  }
  return open;
}

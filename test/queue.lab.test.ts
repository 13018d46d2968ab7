// The queue's own guarantees on a real Redis (no runners needed): the same sweep enqueued
// twice is one set of jobs, and the AUTH budget is shared by every worker that asks.
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInventory } from '../inventory/load.js';
import { RedisAuthBudget } from '../queue/auth-budget.js';
import { enqueueSweep, listSchedules, removeSchedule, upsertSchedule } from '../queue/enqueue.js';
import { JOB_VERSION, QUEUES, RetryPolicySchema, SweepOptionsSchema } from '../queue/jobs.js';
import { jobsFor } from '../controller/sweeps.js';
import { dropPrefix } from './fleet/harness.js';

const URL = 'redis://127.0.0.1:6379';
const prefix = `smtp-fleet-test-queue-${randomBytes(3).toString('hex')}`;
let redis: Redis;
const jobKey = randomBytes(32);

beforeAll(async () => {
  redis = new Redis(URL, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis.disconnect();
  await dropPrefix(URL, prefix);
});

describe('queue on a real Redis', () => {
  it('schedule --every: the first sweep comes one interval from now, not at once, and re-registering keeps the slot', async () => {
    const everyMs = 30 * 60_000;
    const data = { v: JOB_VERSION, inventory: '/nowhere/inventory.yml', selection: { hosts: [], tags: [], groups: [], limit: null }, options: SweepOptionsSchema.parse({}), retry: RetryPolicySchema.parse({}) };
    const before = Date.now();
    await upsertSchedule(redis, prefix, jobKey, { name: 'every-30m', everyMs }, data);
    const nextOf = async () => Date.parse((await listSchedules(redis, prefix)).find((x) => x.name === 'every-30m')!.next!);
    const first = await nextOf();
    expect(first).toBeGreaterThanOrEqual(before + everyMs);
    expect(first).toBeLessThanOrEqual(Date.now() + everyMs);
    const control = new Queue(QUEUES.control, { connection: redis, prefix });
    try {
      expect(await control.getWaitingCount()).toBe(0);
    } finally {
      await control.close();
    }
    await new Promise((r) => setTimeout(r, 20));
    await upsertSchedule(redis, prefix, jobKey, { name: 'every-30m', everyMs }, data);
    expect(await nextOf()).toBe(first);
    expect(await removeSchedule(redis, prefix, 'every-30m')).toBe(true);
  });

  it('enqueues a sweep once, however often it is sent', async () => {
    const inv = parseInventory('version: 1\ndefaults: { os: linux, transport: ssh, user: bot, auth: { agent: true } }\nhosts:\n  - { name: a, address: 127.0.0.1 }\n  - { name: b, address: 127.0.0.1 }\n', 'q.yml');
    const jobs = jobsFor('20261122-010203-abcd', inv.hosts, SweepOptionsSchema.parse({}));
    const retry = RetryPolicySchema.parse({});
    await enqueueSweep(redis, prefix, jobKey, '20261122-010203-abcd', jobs, retry);
    await enqueueSweep(redis, prefix, jobKey, '20261122-010203-abcd', jobs, retry);
    const probes = new Queue(QUEUES.probes, { connection: redis, prefix });
    const sweeps = new Queue(QUEUES.sweeps, { connection: redis, prefix });
    try {
      expect(await probes.getJobCounts('waiting', 'active', 'delayed')).toEqual({ waiting: 2, active: 0, delayed: 0 });
      expect((await sweeps.getJobCounts('waiting-children'))['waiting-children']).toBe(1);
      const job = await probes.getJob('20261122-010203-abcd.a');
      expect(job?.data).toMatchObject({ v: JOB_VERSION, sweep_id: '20261122-010203-abcd', host: { name: 'a' }, sig: { alg: 'hmac-sha256', mac: expect.stringMatching(/^[0-9a-f]{64}$/) } });
      expect(job?.opts.attempts).toBe(4);
    } finally {
      await Promise.all([probes.close(), sweeps.close()]);
    }
  });

  it('shares one AUTH budget per account between workers, and tells accounts apart', async () => {
    const w1 = new RedisAuthBudget(redis, prefix);
    const w2 = new RedisAuthBudget(redis, prefix);
    const got = [await w1.take('bot@example.com', 2), await w2.take('Bot@Example.com', 2), await w1.take('bot@example.com', 2), await w2.take('other@example.com', 2)];
    expect(got).toEqual([true, true, false, true]);
    const keys = await redis.keys(`${prefix}:auth-budget:*`);
    expect(keys.join(' ')).not.toContain('example.com'); // accounts are hashed in Redis
    expect(await redis.ttl(keys[0]!)).toBeGreaterThan(3000);
  });
});

// Redis for the fleet: where it is, and a fast, one-line answer when it is not there.
import { Redis } from 'ioredis';
import { FleetError } from './errors.js';

export { FleetError } from './errors.js';

import { DEFAULT_REDIS_URL } from './defaults.js';

export function redisUrlFrom(flag: string | undefined): string {
  return flag ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
}

/** The URL with any password replaced, for messages and logs. */
export function safeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}

export const HOW_TO_START_REDIS =
  'start one with `docker compose up -d redis` or `redis-server --daemonize yes --appendonly yes`, point --redis/REDIS_URL at it, or run with --local';

/**
 * A connection for BullMQ. Workers wait out Redis restarts (no per-command retry limit,
 * reconnect forever); the CLI's commands check reachability first and fail in one line.
 */
export async function openRedis(url: string, role: 'cli' | 'worker'): Promise<Redis> {
  let redis: Redis;
  try {
    redis = new Redis(url, {
      maxRetriesPerRequest: null,
      lazyConnect: true,
      connectTimeout: 3000,
      retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times, 5), 5000),
    });
  } catch (err) {
    throw new FleetError('usage', `invalid Redis URL ${safeRedisUrl(url)}: ${(err as Error).message}`);
  }
  let lastError: NodeJS.ErrnoException | undefined;
  redis.on('error', (e: NodeJS.ErrnoException) => (lastError = e)); // reconnects are reported by whoever waits on a command
  try {
    await withTimeout(redis.connect(), role === 'cli' ? 3000 : 10_000);
    await withTimeout(redis.ping(), 3000);
  } catch (err) {
    redis.disconnect();
    const why = lastError?.code ?? (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new FleetError('redis-unreachable', `cannot reach Redis at ${safeRedisUrl(url)} (${why}): ${HOW_TO_START_REDIS}`);
  }
  return redis;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

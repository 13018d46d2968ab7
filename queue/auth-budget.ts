// Fleet-wide politeness for --auth-test: logins to one mail account from many runners at
// once are exactly what trips a provider's "too many login attempts" and web-login locks,
// so every worker draws from one budget per account and window, kept in Redis.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface AuthBudget {
  /** True when this runner may log in to `account` now; false when the fleet used its `perAccount` logins up. */
  take(account: string, perAccount: number): Promise<boolean>;
}

/** Logins per mail account across the whole fleet within one window (the sweep may lower it). */
export const DEFAULT_AUTH_PER_ACCOUNT = 3;
export const AUTH_WINDOW_SECONDS = 3600;

/** Accounts are hashed: Redis needs to tell them apart, not to know them. */
export function accountKey(account: string): string {
  return createHash('sha256').update(account.trim().toLowerCase()).digest('hex').slice(0, 24);
}

export class RedisAuthBudget implements AuthBudget {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly windowSeconds = AUTH_WINDOW_SECONDS,
  ) {}

  async take(account: string, perAccount: number): Promise<boolean> {
    const key = `${this.prefix}:auth-budget:${accountKey(account)}`;
    // One round trip: the first login of a window creates the key with its expiry (SET NX,
    // so the window never slides), every login counts itself. Works on any Redis since 2.6.
    const res = (await this.redis.multi().set(key, 0, 'EX', this.windowSeconds, 'NX').incr(key).exec()) as Array<[Error | null, unknown]>;
    const [err, used] = res[1]!;
    if (err) throw err;
    return Number(used) <= perAccount;
  }
}

export class MemoryAuthBudget implements AuthBudget {
  private readonly used = new Map<string, { n: number; until: number }>();
  constructor(private readonly windowSeconds = AUTH_WINDOW_SECONDS) {}

  async take(account: string, perAccount: number): Promise<boolean> {
    const key = accountKey(account);
    const now = Date.now();
    const e = this.used.get(key);
    const entry = e && e.until > now ? e : { n: 0, until: now + this.windowSeconds * 1000 };
    entry.n++;
    this.used.set(key, entry);
    return entry.n <= perAccount;
  }
}

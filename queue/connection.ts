// Redis for the fleet: where it is, how to log in (ACL user and password, TLS with a CA of
// its own), and a fast, one-line answer when it is not there or refuses us.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import { FleetError } from './errors.js';
import { DEFAULT_REDIS_URL } from './defaults.js';

export { FleetError } from './errors.js';

/** Where Redis is and how to reach it; the password is held here, never in a URL we print. */
export interface RedisTarget {
  url: string;
  username?: string;
  password?: string;
  tls?: TlsOptions;
}

export interface RedisFlags {
  redis?: string;
  redisPasswordFile?: string;
  redisCa?: string;
}

function readSecretFile(file: string, what: string): string {
  try {
    // A trailing newline is the editor's, not the password's.
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new FleetError('usage', `${what} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new FleetError('usage', `${what} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

/**
 * The Redis to use, from --redis / REDIS_URL, the password from REDIS_PASSWORD,
 * --redis-password-file or REDIS_PASSWORD_FILE, and TLS files from --redis-ca / REDIS_CA_FILE
 * (plus REDIS_CERT_FILE and REDIS_KEY_FILE for a Redis that asks for client certificates).
 * A password written into --redis is refused: argv is readable by every user of the machine.
 */
export function redisTargetFrom(flags: RedisFlags, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  const url = flags.redis ?? env.REDIS_URL ?? DEFAULT_REDIS_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FleetError('usage', `invalid Redis URL ${flags.redis !== undefined ? '(--redis)' : '(REDIS_URL)'}: expected redis://[user@]host:port or rediss://… for TLS`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new FleetError('usage', `invalid Redis URL ${safeRedisUrl(url)}: the scheme must be redis:// or rediss:// (TLS)`);
  if (flags.redis !== undefined && parsed.password) {
    throw new FleetError('usage', '--redis must not carry a password (other users see argv): put it in REDIS_PASSWORD or a file named by --redis-password-file');
  }
  const target: RedisTarget = { url };
  if (parsed.username) target.username = decodeURIComponent(parsed.username);
  const passwordFile = flags.redisPasswordFile ?? env.REDIS_PASSWORD_FILE;
  if (passwordFile) target.password = readSecretFile(passwordFile, flags.redisPasswordFile ? '--redis-password-file' : 'REDIS_PASSWORD_FILE');
  else if (env.REDIS_PASSWORD) target.password = env.REDIS_PASSWORD;
  else if (parsed.password) target.password = safeDecode(parsed.password);
  const caFile = flags.redisCa ?? env.REDIS_CA_FILE;
  const certFile = env.REDIS_CERT_FILE;
  const keyFile = env.REDIS_KEY_FILE;
  if (parsed.protocol === 'rediss:') {
    target.tls = {
      servername: parsed.hostname.replace(/^\[|\]$/g, ''),
      ...(caFile ? { ca: readPem(caFile, flags.redisCa ? '--redis-ca' : 'REDIS_CA_FILE') } : {}),
      ...(certFile ? { cert: readPem(certFile, 'REDIS_CERT_FILE') } : {}),
      ...(keyFile ? { key: readPem(keyFile, 'REDIS_KEY_FILE') } : {}),
    };
  } else if (caFile && flags.redisCa) {
    throw new FleetError('usage', '--redis-ca goes with a rediss:// URL (TLS); this one is redis://');
  }
  return target;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
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

/** A refusal that no retry cures: wrong password, unknown user, a TLS certificate we do not trust. */
function loginProblem(err: Error & { code?: string }): string | undefined {
  const m = err.message;
  if (/WRONGPASS|invalid username-password/i.test(m)) return 'Redis refused the user name or password (WRONGPASS): check REDIS_PASSWORD / --redis-password-file and the user in the URL';
  if (/NOAUTH|Authentication required/i.test(m)) return 'Redis asks for a password (NOAUTH): set REDIS_PASSWORD or --redis-password-file';
  if (/NOPERM/i.test(m)) return `the Redis user lacks a permission the fleet needs (${m.split('\n')[0]!.slice(0, 200)})`;
  const code = err.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|altnames/i.test(code + ' ' + m)) return `the TLS certificate of Redis is not trusted (${code || m.split('\n')[0]!.slice(0, 160)}): give its CA with --redis-ca or REDIS_CA_FILE`;
  if (/EPROTO|wrong version number|packet length too long/i.test(code + ' ' + m)) return 'the TLS handshake with Redis failed: a rediss:// URL needs Redis\'s TLS port, a redis:// URL its plain port';
  return undefined;
}

/**
 * Says once per change of state that Redis went away or came back, in one line: a restart
 * costs two lines, not an error object per reconnect attempt from every BullMQ connection.
 */
export class RedisStateReporter {
  private down = false;
  constructor(
    private readonly url: string,
    private readonly say: (line: string) => void,
  ) {}
  error(err: unknown): void {
    if (this.down) return;
    this.down = true;
    const e: Error & { code?: string } = err instanceof Error ? err : new Error(String(err));
    const why = loginProblem(e) ?? e.code ?? e.message.split('\n')[0]!.slice(0, 160);
    this.say(`Redis at ${safeRedisUrl(this.url)} unreachable (${why}), retrying`);
  }
  ready(): void {
    if (!this.down) return;
    this.down = false;
    this.say(`Redis at ${safeRedisUrl(this.url)} back`);
  }
}

/**
 * A connection for BullMQ. Workers wait out Redis restarts (no per-command retry limit,
 * reconnect forever); the CLI's commands check reachability first and fail in one line.
 * BullMQ duplicates this connection (options included), so every connection logs in alike.
 */
export async function openRedis(target: RedisTarget, role: 'cli' | 'worker', state?: RedisStateReporter): Promise<Redis> {
  let redis: Redis;
  const options: RedisOptions = {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: 3000,
    retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times, 5), 5000),
    ...(target.username ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
    ...(target.tls ? { tls: target.tls } : {}),
  };
  try {
    // ioredis lets a URL's (empty) user and password win over the options: they go in the options only.
    const bare = new URL(target.url);
    bare.username = '';
    bare.password = '';
    redis = new Redis(bare.toString(), options);
  } catch (err) {
    throw new FleetError('usage', `invalid Redis URL ${safeRedisUrl(target.url)}: ${(err as Error).message}`);
  }
  let lastError: (Error & { code?: string }) | undefined;
  let connected = false;
  // Before the first answer a failure is this function's one-line error; after it, a state change.
  redis.on('error', (e: Error & { code?: string }) => {
    lastError = e;
    if (connected) state?.error(e);
  });
  try {
    await withTimeout(redis.connect(), role === 'cli' ? 3000 : 10_000);
    await withTimeout(redis.ping(), 3000);
  } catch (err) {
    redis.disconnect();
    const e = (lastError ?? err) as Error & { code?: string };
    const login = loginProblem(e) ?? loginProblem(err as Error);
    if (login) throw new FleetError('redis-unreachable', `Redis at ${safeRedisUrl(target.url)}: ${login}`);
    const why = e.code ?? (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new FleetError('redis-unreachable', `cannot reach Redis at ${safeRedisUrl(target.url)} (${why}): ${HOW_TO_START_REDIS}`);
  }
  connected = true;
  redis.on('ready', () => state?.ready());
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

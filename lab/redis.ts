// Redis helpers of the lab: tests and the bench each use a key prefix of their own, and
// drop it afterwards; redisDump proves what Redis never holds.
import { Redis } from 'ioredis';

async function* scanKeys(r: Redis, prefix: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    yield keys;
  } while (cursor !== '0');
}

export async function dropPrefix(redisUrl: string, prefix: string): Promise<void> {
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    for await (const keys of scanKeys(r, prefix)) if (keys.length) await r.del(...keys);
  } finally {
    r.disconnect();
  }
}

/** Every value under the prefix, as text: to prove what Redis never holds. */
export async function redisDump(redisUrl: string, prefix: string): Promise<string> {
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const out: string[] = [];
  try {
    await r.connect();
    for await (const keys of scanKeys(r, prefix)) {
      for (const k of keys) {
        const type = await r.type(k);
        if (type === 'string') out.push((await r.get(k)) ?? '');
        else if (type === 'hash') out.push(JSON.stringify(await r.hgetall(k)));
        else if (type === 'list') out.push(JSON.stringify(await r.lrange(k, 0, -1)));
        else if (type === 'set') out.push(JSON.stringify(await r.smembers(k)));
        else if (type === 'zset') out.push(JSON.stringify(await r.zrange(k, '0', '-1')));
        else if (type === 'stream') out.push(JSON.stringify(await r.xrange(k, '-', '+')));
      }
    }
  } finally {
    r.disconnect();
  }
  return out.join('\n');
}

// Runners are sent artifacts gzip-compressed: the Node runtime shrinks to about a third.
// Each artifact is compressed once per controller machine, into a per-user cache keyed by
// the sha256 of the UNCOMPRESSED file (the key runners cache by too); a process trusts a
// .gz it finds there only after unpacking it once to that hash, so a truncated or foreign
// file is compressed again rather than sent. The folder is bounded (pruneGzipCache): each
// release adds ~45 MB per runtime, and a worker machine stays for years.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { TransportError } from './types.js';

/**
 * zlib level 6 (measured on the 119 MB linux-x64 node: level 1 gives 47.0 MB in 4.5 s,
 * 6 gives 42.9 MB in 7.8 s, 9 gives 42.8 MB in 26 s): 9 buys nothing, 1 misses the 45 MB
 * budget of a cold runner. Compression happens once per file, so its time matters less.
 */
export const GZIP_LEVEL = 6;

export interface CompressedArtifact {
  /** The .gz on this machine. */
  path: string;
  /** Of the .gz itself: what the transport checks the upload against. */
  sha256: string;
  bytes: number;
  /** Time this process spent compressing or checking it (0 once memoised). */
  ms: number;
}

export function defaultGzipCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'smtp-probe', 'controller-gz');
}

const memo = new Map<string, Promise<CompressedArtifact>>();

/** The .gz of a local artifact, made or checked once per process (concurrent callers share it). */
export function compressedArtifact(a: { localPath: string; sha256: string }, dir = defaultGzipCacheDir()): Promise<CompressedArtifact> {
  const path = join(dir, `${a.sha256}.l${GZIP_LEVEL}.gz`);
  let p = memo.get(path);
  if (!p) {
    const started = performance.now();
    p = (async () => {
      const found = await checkGz(path, a.sha256).catch(() => undefined);
      // Its time says when a sweep last used it (pruneGzipCache); a failure only shortens its stay.
      if (found) await utimes(path, new Date(), new Date()).catch(() => {});
      let made = found;
      if (!made) {
        made = await compress(a, dir, path);
        await pruneGzipCache(dir, [path]);
      }
      return { ...made, path, ms: Math.round(performance.now() - started) };
    })();
    memo.set(path, p);
    p.catch(() => memo.delete(path));
    return p;
  }
  return p.then((c) => ({ ...c, ms: 0 }));
}

/** Hashes what passes through (and counts it). */
function hashing(): { stream: Transform; digest: () => { sha256: string; bytes: number } } {
  const h = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, digest: () => ({ sha256: h.digest('hex'), bytes }) };
}

function sink(): Writable {
  return new Writable({ write: (_c, _e, cb) => cb() });
}

/** A cached .gz is good when it unpacks to the wanted hash. */
async function checkGz(path: string, want: string): Promise<{ sha256: string; bytes: number } | undefined> {
  const outer = hashing();
  const inner = hashing();
  await pipeline(createReadStream(path), outer.stream, createGunzip(), inner.stream, sink());
  return inner.digest().sha256 === want ? outer.digest() : undefined;
}

async function compress(a: { localPath: string; sha256: string }, dir: string, path: string): Promise<{ sha256: string; bytes: number }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const inner = hashing();
  const outer = hashing();
  try {
    await pipeline(createReadStream(a.localPath), inner.stream, createGzip({ level: GZIP_LEVEL }), outer.stream, createWriteStream(tmp, { mode: 0o644 }));
    const got = inner.digest().sha256;
    if (got !== a.sha256) throw new TransportError('protocol', `${a.localPath} has sha256 ${got}, expected ${a.sha256}; not sent`, { retryable: false });
    // Two workers compressing at once each rename a whole file into place.
    await rename(tmp, path);
    return outer.digest();
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** A .gz no process has used for this long goes when another is made: a version no sweep sends any more. */
export const GZIP_UNUSED_DAYS = 30;
const DAY_MS = 86400_000;
/** A temporary file this old belongs to a process that died compressing (it takes seconds). */
const STALE_TEMP_MS = 3600_000;
const OURS = /^[0-9a-f]{64}\.l\d\.gz(\.tmp-\d+-[0-9a-f]{8})?$/;

/**
 * Removes the .gz files of `dir` unused for GZIP_UNUSED_DAYS (their modification time is set
 * at each process's first use) and dead processes' temporary files; `keep` and any name
 * not of this module's making stay. Run after a new .gz is made, which is when a new version
 * arrives; failures are ignored, the cache is only a saving.
 */
export async function pruneGzipCache(dir: string, keep: string[] = [], now = Date.now()): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(dir, name);
    if (!OURS.test(name) || keep.includes(path)) continue;
    const st = await stat(path).catch(() => undefined);
    if (!st) continue;
    const limit = name.endsWith('.gz') ? GZIP_UNUSED_DAYS * DAY_MS : STALE_TEMP_MS;
    if (now - st.mtimeMs > limit) await rm(path, { force: true }).catch(() => {});
  }
}

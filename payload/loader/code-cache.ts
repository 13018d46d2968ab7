// Runs the one-file bundle compiled with V8's code cache, kept per user. Two callers: the npm
// bin (payload/bin.ts) and the runner's loader (payload/loader/runner.ts), which deploy.sh
// and deploy.ps1 start in place of the bundle itself.
//
// Node's own compile cache (NODE_COMPILE_CACHE, 22.1+) makes its cache right after compiling,
// when only the top level is compiled: every function a probe calls is compiled again at each
// start. This cache is made at exit, after the run, so it holds every function that command
// compiled: ~11 ms less per probe on this project's lab machine (issue 16). V8 checks a cache
// against its own version and flags, but of the source only its length, so the file name says
// which file it was made from: its device, inode, size and modification and change times in
// nanoseconds. Any rewrite of the bundle (a new build, an npm install, a runner's re-upload,
// which lands as a new file renamed into place) changes the change time, which no tool can
// set back (npm gives every file it unpacks the same modification time). Hashing the 0.9 MB
// text instead cost ~18 ms of every start on the same machine. Any failure to read or write
// the cache only costs time. The folder is bounded (pruneCodeCache): every new bundle
// version or Node adds a file per command, ~0.8 MB each, and runners are upgraded for years.
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeFileSync, type BigIntStats } from 'node:fs';
import module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Script } from 'node:vm';

/** Where this user's code cache lives: never a shared folder (a planted cache is code that runs). */
function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.NODE_COMPILE_CACHE) return env.NODE_COMPILE_CACHE;
  if (process.platform === 'win32') return env.LOCALAPPDATA ? join(env.LOCALAPPDATA, 'smtp-probe', 'code-cache') : null;
  let home = '';
  try {
    home = homedir();
  } catch {
    /* no home directory (a service account): no cache */
  }
  const base = env.XDG_CACHE_HOME || (home ? join(home, '.cache') : '');
  return base ? join(base, 'smtp-probe', 'code-cache') : null;
}

/** The cache file for this bundle file, this Node and one command (a cache made by `--version` would serve a probe little). */
function codeCacheFile(dir: string, file: Pick<BigIntStats, 'dev' | 'ino' | 'size' | 'mtimeNs' | 'ctimeNs'>, command: string | undefined): string {
  const id = [file.dev, file.ino, file.size, file.mtimeNs, file.ctimeNs].map((n) => n.toString(36)).join('-');
  const name = /^[a-z][a-z0-9-]{0,31}$/.test(command ?? '') ? command : 'other';
  return join(dir, `smtp-probe-${process.version}-${process.arch}-${id}-${name}.v8cache`);
}

/**
 * Most cache files a folder keeps: every command of three versions (bundle or Node) at once,
 * ~25 MB. More are used only while a fleet runs many versions side by side; a file pruned
 * that way is made again at its next first run.
 */
export const CODE_CACHE_MAX_FILES = 32;
/** A temporary file this old is a writer that died before its rename (writing takes milliseconds). */
const STALE_TEMP_MS = 3600_000;
const OURS = /^smtp-probe-.*\.v8cache(\.\d+\.tmp)?$/;

/**
 * Keeps the newest CODE_CACHE_MAX_FILES of this module's cache files in `dir` (by modification
 * time: a file is written once, at its command's first run, so that is when its version came)
 * and removes stale temporary ones. Other files in the folder (Node's own compile cache shares
 * NODE_COMPILE_CACHE) are never touched. Runs only after a cache file was written, so a
 * start that finds its cache pays nothing for it.
 */
export function pruneCodeCache(dir: string, now = Date.now()): void {
  const caches: Array<{ path: string; mtimeMs: number }> = [];
  for (const name of readdirSync(dir)) {
    if (!OURS.test(name)) continue;
    const path = join(dir, name);
    let mtimeMs: number;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch {
      continue; // pruned by another process meanwhile
    }
    if (name.endsWith('.tmp')) {
      if (now - mtimeMs > STALE_TEMP_MS) rmSync(path, { force: true });
    } else caches.push({ path, mtimeMs });
  }
  caches.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of caches.slice(CODE_CACHE_MAX_FILES)) rmSync(old.path, { force: true });
}

/** What Node puts around a CommonJS module's text (module.wrap), here written out once. */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n});';

/**
 * The bundle's text inside the CommonJS wrapper, read into one buffer that is decoded once.
 * Start-up on this project's lab machine is mostly memory touched for the first time (issue
 * 16): reading the file, then wrapping the string (which V8 flattens into a copy of 0.9 MB)
 * touched the text three times. The buffer is handed back for the code cache to be read into.
 */
function readWrapped(fd: number, size: number): { source: string; buffer: Buffer } {
  const buffer = Buffer.allocUnsafeSlow(WRAP_HEAD.length + size + WRAP_TAIL.length);
  buffer.write(WRAP_HEAD, 0, 'latin1');
  for (let at = 0; at < size; ) {
    const n = readSync(fd, buffer, WRAP_HEAD.length + at, size - at, at);
    if (n === 0) throw Object.assign(new Error('the bundle shrank while it was read'), { code: 'ESHORTREAD' });
    at += n;
  }
  buffer.write(WRAP_TAIL, WRAP_HEAD.length + size, 'latin1');
  // A "#!" line would be a syntax error inside the wrapper: made a comment, as Node does.
  if (buffer[WRAP_HEAD.length] === 0x23 && buffer[WRAP_HEAD.length + 1] === 0x21) buffer.write('//', WRAP_HEAD.length, 'latin1');
  // toString copies (V8 never keeps a string over a mutable Buffer), so the buffer is free again.
  return { source: buffer.toString('utf8'), buffer };
}

/** The cache file's bytes, in `spare` when they fit (saves touching 0.8 MB of new memory); undefined when there is none. */
function readCache(file: string, spare: Buffer): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined; // first run, or no cache folder
  }
  try {
    const size = fstatSync(fd).size;
    const into = size <= spare.length ? spare.subarray(0, size) : Buffer.allocUnsafeSlow(size);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, into, at, size - at, at);
      if (n === 0) break;
      at += n;
    }
    return into.subarray(0, at);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Runs `bundle` as CommonJS, as `node bundle` would; `process.argv` must already read as it would then. */
export function runWithCodeCache(path: string): void {
  // createRequire takes only an absolute path, and the bundle's __filename should be one.
  const bundle = resolve(path);
  const fd = openSync(bundle, 'r');
  let stat: BigIntStats;
  let read: { source: string; buffer: Buffer };
  try {
    stat = fstatSync(fd, { bigint: true });
    read = readWrapped(fd, Number(stat.size));
  } finally {
    closeSync(fd);
  }
  const dir = codeCacheDir();
  const file = dir ? codeCacheFile(dir, stat, process.argv[2]) : null;
  const cachedData = file ? readCache(file, read.buffer) : undefined;
  const script = new Script(read.source, { filename: bundle, cachedData });
  if (file && dir && (!cachedData || script.cachedDataRejected)) {
    process.once('exit', () => {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
        renameSync(temp, file);
        pruneCodeCache(dir);
      } catch {
        /* read-only home, full disk: the next run compiles again */
      }
    });
  }
  const mod = new module.Module(bundle);
  mod.filename = bundle;
  const run = script.runInThisContext() as (exports: unknown, require: NodeRequire, module: unknown, filename: string, dirname: string) => void;
  run.call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
}

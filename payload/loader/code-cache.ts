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
// the cache only costs time.
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, type BigIntStats } from 'node:fs';
import module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** Runs `bundle` as CommonJS, as `node bundle` would; `process.argv` must already read as it would then. */
export function runWithCodeCache(bundle: string): void {
  const fd = openSync(bundle, 'r');
  let source: string;
  let stat: BigIntStats;
  try {
    stat = fstatSync(fd, { bigint: true });
    source = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  if (source.startsWith('#!')) source = `//${source.slice(2)}`;
  const dir = codeCacheDir();
  const file = dir ? codeCacheFile(dir, stat, process.argv[2]) : null;
  let cachedData: Buffer | undefined;
  try {
    if (file) cachedData = readFileSync(file);
  } catch {
    /* first run, or no cache folder */
  }
  const script = new Script(module.wrap(source), { filename: bundle, cachedData });
  if (file && dir && (!cachedData || script.cachedDataRejected)) {
    process.once('exit', () => {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
        renameSync(temp, file);
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

#!/usr/bin/env node
// What `npm install`'s `smtp-probe` command runs. The whole CLI is one bundled file next to
// this one (dist/payload/smtp-probe.cjs, made by `npm run build`), loaded with a code cache:
// one file read and, from the second run on, little compiling, instead of the ~100 modules of
// dist/ loaded one by one (issue 16). Node 22.1 and later have their own compile cache; on
// Node 20 the bundle is compiled here with V8's code cache (loadWithCodeCache below). A dist/
// without the bundle (a bare `tsc`) still works, through the modules.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('./smtp-probe.cjs', import.meta.url));
const nodeCache = (module as { enableCompileCache?: () => unknown }).enableCompileCache;

/** Where this user's code cache lives: never a shared folder (a planted cache is code that runs). */
function cacheDir(): string | null {
  const env = process.env;
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

/**
 * Runs the bundle as CommonJS, compiled with V8's code cache. The cache is made at exit, after
 * the run, so it holds every function the run compiled (a cache made right after compiling holds
 * only the top level, which is why the v8-compile-cache package saved nothing here). V8 checks a
 * cache against its own version and flags, but of the source only its length: the file name
 * carries a hash of the bundle's text. Any failure to read or write the cache only costs time.
 */
function loadWithCodeCache(): void {
  let source = readFileSync(bundle, 'utf8');
  if (source.startsWith('#!')) source = `//${source.slice(2)}`;
  const dir = cacheDir();
  const key = createHash('sha256').update(source).update(process.version).update(process.arch).digest('hex').slice(0, 32);
  // One cache per command: made at the end of the first run of each, it holds what that command
  // compiles (a cache made by `--version` would serve a probe little).
  const command = /^[a-z][a-z0-9-]{0,31}$/.test(process.argv[2] ?? '') ? process.argv[2] : 'other';
  const file = dir ? join(dir, `smtp-probe-${key}-${command}.v8cache`) : null;
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

if (!existsSync(bundle)) await import('./cli.js');
else if (nodeCache) {
  nodeCache();
  createRequire(import.meta.url)(bundle);
} else loadWithCodeCache();

// The npm-installed `smtp-probe` (package.json bin: dist/payload/bin.js) runs the one-file
// bundle dist/payload/smtp-probe.cjs that `npm run build` makes (issue 16: start-up), and
// must behave exactly as the module CLI does.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODE_CACHE_MAX_FILES } from '../payload/loader/code-cache.js';
import { VERSION } from '../payload/version.js';
import { CLI, ROOT } from './helpers.js';

const BIN = join(ROOT, 'dist/payload/bin.js');
const run = (file: string, args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', env });

describe('npm bin', () => {
  it('package.json points smtp-probe at the bin, which has a shebang and a bundle beside it', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['smtp-probe']).toBe('dist/payload/bin.js');
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    expect(existsSync(join(ROOT, 'dist/payload/smtp-probe.cjs'))).toBe(true);
  });

  it('answers as the module CLI does: --version, explain, a usage error and its exit code', () => {
    expect(run(BIN, ['--version']).stdout.trim()).toBe(VERSION);
    const reply = ['explain', '535-5.7.8 Username and Password not accepted. For more information, go to', '--json'];
    const viaBin = run(BIN, reply);
    const viaModules = run(CLI, reply);
    expect(viaBin.status).toBe(viaModules.status);
    expect(JSON.parse(viaBin.stdout)).toEqual(JSON.parse(viaModules.stdout));
    const bad = run(BIN, ['probe', '--port', 'nope']);
    expect(bad.status).toBe(run(CLI, ['probe', '--port', 'nope']).status);
    expect(bad.stderr).toMatch(/^smtp-probe: error/m);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('loads the bundle, not the modules (the modules would show in a module trace)', () => {
    // NODE_DEBUG=module lists each CommonJS file and require; the bundle is one of them, cli.js never.
    const r = run(BIN, ['--version'], { ...process.env, NODE_DEBUG: 'module' });
    expect(r.stdout.trim()).toBe(VERSION);
    const trace = r.stderr;
    expect(trace).toMatch(/smtp-probe\.cjs/);
    expect(trace).not.toMatch(/payload\/cli\.js/);
  });
});

// On every Node the bin compiles the bundle with V8's code cache, one file per command in this
// user's cache folder, made at the end of the first run (Node's own compile cache, 22.1+, holds
// only the top level: payload/loader/code-cache.ts).
describe('npm bin code cache', () => {
  const home = () => mkdtempSync(join(tmpdir(), 'smtp-probe-bin-cache-'));
  const envFor = (cacheHome: string) => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cacheHome };
    delete env.NODE_COMPILE_CACHE;
    return env;
  };
  const cacheFiles = (cacheHome: string) => {
    const dir = join(cacheHome, 'smtp-probe', 'code-cache');
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  };

  it('writes one private cache per command after its first run, and the next run uses it', () => {
    const h = home();
    try {
      expect(run(BIN, ['--version'], envFor(h)).stdout.trim()).toBe(VERSION);
      const explain = run(BIN, ['explain', '421 4.7.0 Try again later', '--json'], envFor(h));
      expect(explain.status).toBe(0);
      const files = cacheFiles(h);
      expect(files).toHaveLength(2);
      expect(files.some((f) => f.endsWith('-explain.v8cache'))).toBe(true);
      expect(files.some((f) => f.endsWith('-other.v8cache'))).toBe(true);
      const dir = join(h, 'smtp-probe', 'code-cache');
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      for (const f of files) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
      // Accepted next time: V8 takes it, so the bin does not write it again.
      const file = join(dir, files.find((f) => f.endsWith('-explain.v8cache'))!);
      const before = statSync(file).mtimeMs;
      const again = run(BIN, ['explain', '421 4.7.0 Try again later', '--json'], envFor(h));
      expect(JSON.parse(again.stdout)).toEqual(JSON.parse(explain.stdout));
      expect(statSync(file).mtimeMs).toBe(before);
    } finally {
      rmSync(h, { recursive: true, force: true });
    }
  });

  it('a corrupt cache is refused by V8 and replaced; an unwritable cache folder costs only time', () => {
    const h = home();
    try {
      run(BIN, ['--version'], envFor(h));
      const dir = join(h, 'smtp-probe', 'code-cache');
      const [f] = cacheFiles(h);
      writeFileSync(join(dir, f!), Buffer.alloc(4096, 7));
      expect(run(BIN, ['--version'], envFor(h)).stdout.trim()).toBe(VERSION);
      expect(readFileSync(join(dir, f!)).equals(Buffer.alloc(4096, 7))).toBe(false);
      // A file where the cache folder should be: the CLI still answers, exit 0, nothing on stderr.
      const blocked = home();
      writeFileSync(join(blocked, 'smtp-probe'), 'not a folder');
      const r = run(BIN, ['--version'], envFor(blocked));
      expect([r.status, r.stdout.trim(), r.stderr]).toEqual([0, VERSION, '']);
      rmSync(blocked, { recursive: true, force: true });
    } finally {
      rmSync(h, { recursive: true, force: true });
    }
  });

  it('keeps the folder bounded: a new cache file pushes out the oldest beyond the limit', () => {
    const h = home();
    try {
      const dir = join(h, 'smtp-probe', 'code-cache');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Left by older versions, oldest first: one a day.
      const old = Array.from({ length: CODE_CACHE_MAX_FILES }, (_, i) => `smtp-probe-v20.0.0-x64-old${String(i).padStart(2, '0')}-probe.v8cache`);
      old.forEach((f, i) => {
        writeFileSync(join(dir, f), 'stale');
        const t = Date.now() / 1000 - (CODE_CACHE_MAX_FILES - i) * 86400;
        utimesSync(join(dir, f), t, t);
      });
      expect(run(BIN, ['--version'], envFor(h)).stdout.trim()).toBe(VERSION);
      const files = cacheFiles(h);
      expect(files).toHaveLength(CODE_CACHE_MAX_FILES);
      expect(files.filter((f) => f.endsWith('-other.v8cache') && !old.includes(f))).toHaveLength(1);
      expect(files).not.toContain(old[0]);
      expect(files).toContain(old[1]);
    } finally {
      rmSync(h, { recursive: true, force: true });
    }
  });

  it('keys the cache by the bundle file: a rewritten bundle never runs an old cache', () => {
    const h = home();
    const copy = mkdtempSync(join(tmpdir(), 'smtp-probe-bin-copy-'));
    try {
      // A bin with a bundle of the same length but one different character.
      cpSync(BIN, join(copy, 'bin.js'));
      cpSync(join(dirname(BIN), 'loader'), join(copy, 'loader'), { recursive: true });
      writeFileSync(join(copy, 'package.json'), '{"type":"module"}');
      const text = readFileSync(join(ROOT, 'dist/payload/smtp-probe.cjs'), 'utf8');
      writeFileSync(join(copy, 'smtp-probe.cjs'), text);
      run(join(copy, 'bin.js'), ['--version'], envFor(h));
      const first = cacheFiles(h);
      const changed = text.replace(VERSION, VERSION.replace(/\d$/, (d) => String((Number(d) + 1) % 10)));
      expect(changed.length).toBe(text.length);
      const before = statSync(join(copy, 'smtp-probe.cjs'));
      writeFileSync(join(copy, 'smtp-probe.cjs'), changed);
      // Same length, and the old modification time, as npm gives every file it unpacks.
      utimesSync(join(copy, 'smtp-probe.cjs'), before.atime, before.mtime);
      const r = run(join(copy, 'bin.js'), ['--version'], envFor(h));
      expect(r.stdout.trim()).not.toBe(VERSION);
      expect(cacheFiles(h).length).toBe(first.length + 1);
    } finally {
      rmSync(h, { recursive: true, force: true });
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('runner loader (what deploy.sh and deploy.ps1 start)', () => {
  const loader = join(ROOT, 'build/payload', 'smtp-probe-loader-' + VERSION + '.cjs');
  const bundle = join(ROOT, 'dist/payload/smtp-probe.cjs');

  it('runs the bundle as `node bundle` would: same output and exit code, its code cache in NODE_COMPILE_CACHE', () => {
    const cache = mkdtempSync(join(tmpdir(), 'smtp-probe-loader-cache-'));
    try {
      const env = { ...process.env, NODE_COMPILE_CACHE: cache };
      const args = ['explain', '421 4.7.0 Try again later', '--json'];
      const direct = run(bundle, args);
      const first = spawnSync(process.execPath, [loader, bundle, ...args], { encoding: 'utf8', env });
      expect([first.status, JSON.parse(first.stdout)]).toEqual([direct.status, JSON.parse(direct.stdout)]);
      expect(readdirSync(cache).filter((f) => f.endsWith('-explain.v8cache'))).toHaveLength(1);
      const again = spawnSync(process.execPath, [loader, bundle, ...args], { encoding: 'utf8', env });
      expect(again.stdout).toBe(first.stdout);
      // A usage error keeps its exit code through the loader; the loader alone says how to call it.
      const bad = spawnSync(process.execPath, [loader, bundle, 'probe', '--port', 'nope'], { encoding: 'utf8', env });
      expect([bad.status, bad.stderr]).toEqual([run(bundle, ['probe', '--port', 'nope']).status, run(bundle, ['probe', '--port', 'nope']).stderr]);
      const bare = spawnSync(process.execPath, [loader], { encoding: 'utf8', env });
      expect([bare.status, bare.stderr.trim()]).toEqual([2, expect.stringMatching(/^smtp-probe loader: usage:/)]);
      // A bundle named relative to the working folder, as a person types it.
      const relative = spawnSync(process.execPath, [loader, basename(bundle), ...args], { encoding: 'utf8', env, cwd: dirname(bundle) });
      expect([relative.status, relative.stderr, relative.stdout]).toEqual([direct.status, '', first.stdout]);
      // Any bundle text: a "#!" line, UTF-8 beyond ASCII, the CommonJS names; its cache, larger
      // than so small a text, is read on the second run.
      const tiny = join(cache, 'tiny.cjs');
      writeFileSync(tiny, "#!/usr/bin/env node\nconsole.log('h\u00e9llo \u2713', __filename, typeof require, module.filename, process.argv.slice(2).join(','));\n");
      const tinyRuns = [1, 2].map(() => spawnSync(process.execPath, [loader, tiny, 'x', 'y'], { encoding: 'utf8', env }));
      for (const t of tinyRuns) expect([t.status, t.stderr, t.stdout]).toEqual([0, '', `h\u00e9llo \u2713 ${tiny} function ${tiny} x,y\n`]);
      expect(readdirSync(cache).filter((f) => f.endsWith('-x.v8cache'))).toHaveLength(1);
      const gone = spawnSync(process.execPath, [loader, join(cache, 'absent.cjs'), '--version'], { encoding: 'utf8', env });
      expect([gone.status, gone.stderr]).toEqual([1, `smtp-probe loader: cannot run ${join(cache, 'absent.cjs')}: ENOENT\n`]);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

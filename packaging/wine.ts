// Running the win-x64 runtime on Linux, for the single-executable blob and the smoke
// tests. Wine's default prefix claims an old Windows that Node refuses, and Node under
// wine cannot write to a pipe (EBADF), so output goes through files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const WINE_PREFIX = resolve('.cache', 'wineprefix');

export function findWine(): string | undefined {
  return ['wine', 'wine64'].find((w) => spawnSync('sh', ['-c', `command -v ${w}`]).status === 0);
}

export function wineEnv(prefix = WINE_PREFIX): NodeJS.ProcessEnv {
  return { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
}

/** Creates the prefix once and makes it report Windows 10 (Node's minimum). */
export function ensureWinePrefix(wine: string, prefix = WINE_PREFIX): void {
  const marker = join(prefix, '.smtp-probe-win10');
  if (existsSync(marker)) return;
  mkdirSync(prefix, { recursive: true });
  const r = spawnSync(wine, ['winecfg', '/v', 'win10'], { env: wineEnv(prefix), stdio: 'ignore', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`wine could not set up its prefix in ${prefix} (exit ${r.status ?? r.signal})`);
  writeFileSync(marker, '');
}

export interface FileRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with stdout/stderr sent to files (see above), optionally under wine. */
export function runViaFiles(argv: string[], opts: { wine?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): FileRun {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-run-'));
  try {
    const out = join(dir, 'out');
    const err = join(dir, 'err');
    const cmd = opts.wine ? [opts.wine, ...argv] : argv;
    const quoted = cmd.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const env = opts.wine ? { ...wineEnv(), ...opts.env } : { ...process.env, ...opts.env };
    const r = spawnSync('sh', ['-c', `${quoted} >'${out}' 2>'${err}' </dev/null`], { env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000 });
    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
    return { status: r.status, stdout: read(out), stderr: read(err) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

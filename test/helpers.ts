import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = join(ROOT, 'dist/payload/cli.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would, with a clean proxy environment unless given one. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, stdin?: string): Promise<CliResult> {
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (/_proxy$|^SMTP_PROBE_|^SSL_CERT_FILE$/i.test(k)) delete base[k];
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { ...base, ...env }, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(stdin ?? '');
  });
}

export function tempDir(prefix = 'smtp-probe-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The single run folder a probe created under `out`. */
export function runFolder(out: string): string {
  const dirs = readdirSync(out).filter((d) => d.startsWith('smtp-probe-'));
  if (dirs.length !== 1) throw new Error(`expected one run folder in ${out}, found: ${readdirSync(out).join(', ')}`);
  return join(out, dirs[0]!);
}

export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject } from 'vitest';
import yauzl from 'yauzl';
import { TransportError } from '../transport/types.js';

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

/** A fresh folder inside the run's scratch folder (the lab's in the lab project), removed at the end. */
export function tempDir(prefix = 'run-'): string {
  return mkdtempSync(join(inject('scratch'), prefix));
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

/** Every entry of a ZIP, name -> bytes. */
export function unzip(path: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const out = new Map<string, Buffer>();
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      zip.on('entry', (e: yauzl.Entry) =>
        zip.openReadStream(e, (e2, s) => {
          if (e2 || !s) return reject(e2);
          const parts: Buffer[] = [];
          s.on('data', (c: Buffer) => parts.push(c));
          s.on('end', () => (out.set(e.fileName, Buffer.concat(parts)), zip.readEntry()));
        }),
      );
      zip.on('end', () => resolve(out));
      zip.readEntry();
    });
  });
}

/** The TransportError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<TransportError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  return err as TransportError;
}

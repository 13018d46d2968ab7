// Runs one OS command for a collector: bounded in time and in output, never throwing.
// The result says in plain words why a command gave nothing (missing, denied, timed out).
import { spawn } from 'node:child_process';

export interface ExecResult {
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why the command gave no usable output: null when it ran and exited 0. */
  reason: string | null;
  truncated: boolean;
}

export interface ExecOptions {
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export type Exec = (file: string, args: readonly string[], opts: ExecOptions) => Promise<ExecResult>;

export const execCommand: Exec = (file, args, opts) =>
  new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let truncated = false;
    let timedOut = false;
    let settled = false;
    const done = (r: Omit<ExecResult, 'stdout' | 'stderr' | 'truncated'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // Windows tools print in the console code page; UTF-8 covers the English outputs we parse.
      resolve({ ...r, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8').slice(0, 2000), truncated });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, env: opts.env ?? process.env });
    } catch (e) {
      resolve({ ok: false, code: null, stdout: '', stderr: '', reason: `could not start ${file}: ${(e as Error).message}`, truncated: false });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    const onAbort = () => child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.on('data', (c: Buffer) => {
      if (bytes >= opts.maxBytes) return;
      const room = opts.maxBytes - bytes;
      if (c.length > room) {
        truncated = true;
        out.push(c.subarray(0, room));
        bytes = opts.maxBytes;
        child.kill('SIGKILL');
        return;
      }
      out.push(c);
      bytes += c.length;
    });
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      const reason = e.code === 'ENOENT' ? `command missing: ${file}` : e.code === 'EACCES' ? `permission denied: ${file}` : `${file}: ${e.message}`;
      done({ ok: false, code: null, reason });
    });
    child.on('close', (code) => {
      if (timedOut) return done({ ok: false, code, reason: `timed out after ${opts.timeoutMs} ms` });
      if (truncated) return done({ ok: true, code, reason: null });
      if (opts.signal?.aborted) return done({ ok: false, code, reason: 'stopped: the collector ran out of time' });
      if (code !== 0) {
        const first = Buffer.concat(err).toString('utf8').trim().split(/\r?\n/)[0] ?? '';
        const denied = /access is denied|permission denied|not permitted/i.test(first);
        return done({ ok: false, code, reason: `${denied ? 'permission denied' : `exit code ${code}`}${first ? `: ${first.slice(0, 200)}` : ''}` });
      }
      done({ ok: true, code, reason: null });
    });
  });

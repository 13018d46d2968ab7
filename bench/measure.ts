// Timing helpers shared by the benchmark sections.
import { spawn } from 'node:child_process';

export interface Row {
  metric: string;
  value: number;
  unit: string;
  reference?: { name: string; value: number };
  target?: { text: string; ok: boolean };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function timeRun(cmd: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'ignore'], ...(env ? { env } : {}) });
    if (input !== undefined) child.stdin!.end(input);
    child.on('error', reject);
    child.on('exit', () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
  });
}

export async function sample(n: number, f: () => Promise<number>): Promise<number> {
  await f(); // warm the page cache once
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await f());
  return median(xs);
}


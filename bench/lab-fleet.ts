// The lab fleet the sweep benchmarks share: a loopback Postfix to probe, N real sshd runners
// on 127.0.X.10.. (one host key for all: the bench measures sweeps, not host-key checks, which
// tests do), their known_hosts, an inventory, and `smtp-fleet worker` processes against the
// local Redis under a prefix of the bench's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostResultSchema, FleetSummarySchema, type FleetSummary } from '../store/fleet-schema.js';
import { makePki, type LabPki } from '../lab/ca.js';
import { waitForPort } from '../lab/index.js';
import { freePort } from '../lab/ports.js';
import { postfixAvailable, startPostfix } from '../lab/postfix.js';
import { makeKeyPair, sshdAvailable, startSshd, type LabSshd } from '../lab/sshd.js';
import { ensureWindowsExecutables, windowsStyleSshEnv } from '../lab/pwsh.js';
import { dropPrefix } from '../lab/redis.js';

// Compiled to build/dev/bench: the package root is three levels up.
export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const FLEET = join(ROOT, 'dist/controller/cli.js');

export interface Measured {
  ms: number;
  summary: FleetSummary;
  uploaded: number;
  controllerRssMb: number;
}

export interface LabFleet {
  dir: string;
  sshd: LabSshd[];
  winSshd: LabSshd[];
  pki: LabPki;
  /** The Postfix STARTTLS port every runner probes. */
  smtpPort: number;
  keyPath: string;
  knownHosts: string;
  store: string;
  env: NodeJS.ProcessEnv;
  /** Peak RSS (MB) of each worker so far. */
  workerRssMb(): number[];
  sweep(extra: string[]): Promise<Measured>;
  stop(): Promise<void>;
}

export interface LabFleetOptions {
  n: number;
  /** Third octet of the runners' loopback addresses (127.0.<subnet>.10 and up). */
  subnet: number;
  winN?: number;
  workers?: number;
  /** Jobs each worker runs at once; default: all runners spread over the workers. */
  concurrency?: number;
}

export function labFleetAvailable(): boolean {
  return sshdAvailable() && postfixAvailable();
}

/** Peak RSS (VmHWM) of a running process, polled until it exits. */
export function watchRss(child: ChildProcess): () => number {
  let peak = 0;
  const t = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      /* gone */
    }
  }, 50);
  child.once('exit', () => clearInterval(t));
  return () => peak;
}

export function runFleet(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string; rssMb: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [FLEET, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const peak = watchRss(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr, rssMb: peak(), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
  });
}

/** `smtp-fleet sweep --json` with `extra`, its summary, the bytes it uploaded and the controller's peak RSS. */
export async function measureSweep(env: NodeJS.ProcessEnv, store: string, extra: string[]): Promise<Measured> {
  const r = await runFleet(['sweep', '--json', ...extra], env);
  if (r.code !== 0) {
    const failed = (() => {
      try {
        return FleetSummarySchema.parse(JSON.parse(r.stdout)).hosts.filter((h) => h.outcome !== 'ok').map((h) => `${h.name}: ${h.outcome} ${JSON.stringify(h).slice(0, 300)}`);
      } catch {
        return [];
      }
    })();
    throw new Error(`bench: fleet sweep ${extra.join(' ')} exit ${r.code}: ${r.stderr.trim().split('\n').pop()}\n${failed.slice(0, 3).join('\n')}`);
  }
  const summary = FleetSummarySchema.parse(JSON.parse(r.stdout));
  let uploaded = 0;
  for (const h of summary.hosts) {
    const res = HostResultSchema.parse(JSON.parse(readFileSync(join(store, 'sweeps', summary.sweep.id, 'hosts', h.name, 'host_result.json'), 'utf8')));
    if (res.status === 'probed') uploaded += res.transport_stats.uploaded_bytes;
  }
  return { ms: r.ms, summary, uploaded, controllerRssMb: r.rssMb };
}

/** `smtp-fleet worker` processes with `env` (prefix, store, Redis), each watched for its peak RSS. */
export function startWorkers(n: number, concurrency: number, env: NodeJS.ProcessEnv): { children: ChildProcess[]; rssMb(): number[] } {
  const children = Array.from({ length: n }, () => spawn(process.execPath, [FLEET, 'worker', '--concurrency', String(concurrency)], { env, stdio: 'ignore' }));
  const peaks = children.map(watchRss);
  return { children, rssMb: () => peaks.map((p) => p()) };
}

/** Starts sshd runners in batches so a large N does not open every listener at once. */
async function startRunners(n: number, start: (i: number) => Promise<LabSshd>): Promise<LabSshd[]> {
  const out: LabSshd[] = [];
  for (let i = 0; i < n; i += 25) out.push(...(await Promise.all(Array.from({ length: Math.min(25, n - i) }, (_, j) => start(i + j)))));
  return out;
}

export async function startLabFleet(opts: LabFleetOptions): Promise<LabFleet> {
  const { n, subnet } = opts;
  const winN = opts.winN ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'smtp-fleet-bench-'));
  const prefix = `smtp-fleet-bench-${process.pid}-${subnet}`;
  const pki = makePki(dir);
  const [p1, p2] = [await freePort(['127.0.0.1']), await freePort(['127.0.0.1'])];
  const pf = await startPostfix(join(dir, 'postfix'), pki, '127.0.0.1', p1, p2);
  let sshd: LabSshd[] = [];
  let winSshd: LabSshd[] = [];
  const workers: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all([...sshd, ...winSshd].map((s) => s.stop()));
    pf.stop();
    await dropPrefix('redis://127.0.0.1:6379', prefix).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort('127.0.0.1', p1);
    const key = makeKeyPair(dir, 'bench_key');
    const hostKey = makeKeyPair(dir, 'host_key');
    sshd = await startRunners(n, (i) => startSshd({ dir, address: `127.0.${subnet}.${10 + i}`, authorizedKeys: [key.publicKey], hostKeyPath: hostKey.privateKeyPath }));
    if (winN) ensureWindowsExecutables();
    winSshd = await startRunners(winN, (i) =>
      startSshd({ dir, address: `127.0.${subnet + 1}.${10 + i}`, authorizedKeys: [key.publicKey], hostKeyPath: hostKey.privateKeyPath, windowsStyle: { env: windowsStyleSshEnv() } }),
    );
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, [...sshd, ...winSshd].map((s) => s.knownHostsLine).join('\n') + '\n');
    const inventory = join(dir, 'inventory.json');
    writeFileSync(
      inventory,
      JSON.stringify({
        version: 1,
        defaults: { os: 'linux', transport: 'ssh', user: 'root', auth: { key: key.privateKeyPath }, ssh: { knownHosts }, probe: { server: '127.0.0.1', ports: [`${p1}:starttls`], flags: { ca: [pki.caCert] } } },
        hosts: [
          ...sshd.map((s, i) => ({ name: runnerName(i), address: s.address, port: s.port, tags: ['linux'] })),
          ...winSshd.map((s, i) => ({ name: `win-${String(i + 1).padStart(3, '0')}`, address: s.address, port: s.port, os: 'windows', tags: ['windows'] })),
        ],
      }),
    );
    const store = join(dir, 'store');
    const env = { ...process.env, SMTP_FLEET_PREFIX: prefix, SMTP_FLEET_STORE: store, SMTP_FLEET_INVENTORY: inventory, SMTP_FLEET_JOB_KEY: randomBytes(32).toString('hex') };
    const nWorkers = opts.workers ?? 2;
    const concurrency = opts.concurrency ?? Math.ceil((n + winN) / nWorkers);
    const started = startWorkers(nWorkers, concurrency, env);
    workers.push(...started.children);
    const sweep = (extra: string[]) => measureSweep(env, store, extra);
    return { dir, sshd, winSshd, pki, smtpPort: p1, keyPath: key.privateKeyPath, knownHosts, store, env, workerRssMb: started.rssMb, sweep, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function runnerName(i: number): string {
  return `runner-${String(i + 1).padStart(3, '0')}`;
}

/** Makes every runner cold again: the fleet's payload cache (deploy.sh keeps it under XDG_CACHE_HOME) is removed. */
export function forgetFleetCache(sshd: LabSshd[]): void {
  for (const s of sshd) rmSync(join(s.dir, 'cache', 'smtp-probe'), { recursive: true, force: true });
}

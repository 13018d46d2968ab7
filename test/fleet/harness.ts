// The fleet lab: real sshd runners on loopback addresses, an inventory pointing at them, a
// store, a Redis key prefix of the test's own, and smtp-fleet run as the user runs it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetSummarySchema, HostResultSchema, type FleetSummary, type HostResult } from '../../store/fleet-schema.js';
import { ROOT } from '../helpers.js';
import { makeKeyPair, startSshd, type LabSshd } from '../../lab/sshd.js';
export { dropPrefix, redisDump } from '../../lab/redis.js';

export const FLEET_CLI = join(ROOT, 'dist/controller/cli.js');
export const PAYLOAD = join(ROOT, 'build/payload');

export interface FleetEnv {
  dir: string;
  store: string;
  inventory: string;
  prefix: string;
  redisUrl: string;
  env: Record<string, string>;
}

export function fleetEnv(dir: string, inventory: string, redisUrl = 'redis://127.0.0.1:6379'): FleetEnv {
  const prefix = `smtp-fleet-test-${process.pid}-${randomBytes(3).toString('hex')}`;
  const store = join(dir, 'store');
  mkdirSync(store, { recursive: true });
  // Controller and workers of one test share a job key, as a real fleet's do.
  const jobKey = randomBytes(32).toString('hex');
  return { dir, store, inventory, prefix, redisUrl, env: { SMTP_FLEET_PREFIX: prefix, SMTP_FLEET_STORE: store, SMTP_FLEET_INVENTORY: inventory, SMTP_FLEET_PAYLOAD: PAYLOAD, REDIS_URL: redisUrl, SMTP_FLEET_JOB_KEY: jobKey } };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function fleet(f: FleetEnv, args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [FLEET_CLI, ...args], { env: { ...cleanEnv(), ...f.env, ...extraEnv }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function cleanEnv(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  for (const k of Object.keys(e)) if (/_proxy$|^SMTP_PROBE_|^SMTP_FLEET_|^REDIS_/i.test(k)) delete e[k];
  return e;
}

/** A worker process of its own, so a test can SIGKILL it like a crashed machine. */
export function startWorker(f: FleetEnv, args: string[] = [], extraEnv: Record<string, string> = {}): ChildProcess & { logText: () => string } {
  const child = spawn(process.execPath, [FLEET_CLI, 'worker', ...args], { env: { ...cleanEnv(), ...f.env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  return Object.assign(child, { logText: () => log });
}

export async function waitFor<T>(what: string, f: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function stopWorker(w: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (w.exitCode !== null || w.signalCode !== null) return resolve();
    w.once('exit', () => resolve());
    w.kill(signal);
  });
}

export function summaryOf(run: Run): FleetSummary {
  return FleetSummarySchema.parse(JSON.parse(run.stdout));
}

export function hostResult(f: FleetEnv, sweepId: string, host: string): HostResult {
  return HostResultSchema.parse(JSON.parse(readFileSync(join(f.store, 'sweeps', sweepId, 'hosts', host, 'host_result.json'), 'utf8')));
}

export interface Runners {
  key: { privateKeyPath: string; publicKey: string };
  wrongKey: { privateKeyPath: string; publicKey: string };
  knownHosts: string;
  sshd: LabSshd[];
  stop(): Promise<void>;
}

/** n sshd runners on 127.0.1.x, their keys in one known_hosts file. */
export async function startRunners(dir: string, n: number, base = 10): Promise<Runners> {
  const key = makeKeyPair(dir, 'fleet_key');
  const wrongKey = makeKeyPair(dir, 'wrong_key');
  const sshd = await Promise.all(Array.from({ length: n }, (_, i) => startSshd({ dir, address: `127.0.1.${base + i}`, authorizedKeys: [key.publicKey] })));
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, sshd.map((s) => s.knownHostsLine).join('\n') + '\n');
  return { key, wrongKey, knownHosts, sshd, stop: async () => void (await Promise.all(sshd.map((s) => s.stop()))) };
}

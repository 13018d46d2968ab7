// A sweep of simulated runners (lab/sim-runners.ts, answering with the committed recording of
// a real runner) through the real controller, two real `smtp-fleet worker` processes, the
// lab's Redis under a prefix of this run's, the store and the report.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPrefix } from '../lab/redis.js';
import { simRunnerName, writeSimInventory } from '../lab/sim-fleet.js';
import { loadSimRecording } from '../lab/sim-recording.js';
import { startSimRunners, type SimRunners } from '../lab/sim-runners.js';
import { makeKeyPair } from '../lab/sshd.js';
import { FleetSummarySchema, HostResultSchema } from '../store/fleet-schema.js';
import { ROOT, readJson, tempDir } from './helpers.js';

const FLEET_CLI = join(ROOT, 'dist/controller/cli.js');
const REDIS_URL = 'redis://127.0.0.1:6379';
const N = 20;
const prefix = `smtp-fleet-test-sim-${process.pid}-${randomBytes(3).toString('hex')}`;
const workers: ChildProcess[] = [];
let sim: SimRunners | undefined;

afterAll(async () => {
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => (w.exitCode === null && w.signalCode === null ? new Promise((r) => w.once('exit', r)) : undefined)));
  await sim?.close();
  await dropPrefix(REDIS_URL, prefix);
});

function fleet(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FLEET_CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('simulated runners', () => {
  it(`a sweep of ${N} simulated runners through the real controller, 2 workers and Redis: ${N} ok, each ZIP sent by its own runner`, async () => {
    const rec = loadSimRecording(join(ROOT, 'test/fixtures/sim-runner/recording.json'));
    const dir = tempDir('sim-');
    const key = makeKeyPair(dir, 'sim_key');
    sim = await startSimRunners({ recording: rec, authorizedKey: key.publicKey, runMs: 0 });
    const { inventory } = writeSimInventory({ dir, n: N, sim, keyPath: key.privateKeyPath });
    const store = join(dir, 'store');
    const env = { ...process.env, REDIS_URL, SMTP_FLEET_PREFIX: prefix, SMTP_FLEET_STORE: store, SMTP_FLEET_INVENTORY: inventory, SMTP_FLEET_JOB_KEY: randomBytes(32).toString('hex') };
    for (let i = 0; i < 2; i++) workers.push(spawn(process.execPath, [FLEET_CLI, 'worker', '--concurrency', String(N / 2)], { env, stdio: 'ignore' }));

    const swept = await fleet(['sweep', '--json'], env);
    expect(swept.code, swept.stderr).toBe(0);
    const id = FleetSummarySchema.parse(JSON.parse(swept.stdout)).sweep.id;
    const report = await fleet(['report', id], env);
    expect(report.code, report.stderr).toBe(0);
    const summary = FleetSummarySchema.parse(readJson(join(store, 'sweeps', id, 'fleet_summary.json')));
    expect(summary.counts.ok).toBe(N);
    expect(summary.hosts).toHaveLength(N);

    for (let i = 0; i < N; i++) {
      const name = simRunnerName(i);
      const r = HostResultSchema.parse(readJson(join(store, 'sweeps', id, 'hosts', name, 'host_result.json')));
      expect(r.status, name).toBe('probed');
      if (r.status !== 'probed') continue;
      // The stored ZIP is the recorded runner's, and this host's runner sent it, once.
      expect(r.zip.sha256).toBe(rec.zip.sha256);
      expect(r.transport_stats).toEqual({ uploaded_bytes: 0, cache_hit: true });
      expect(sim.stats.deploys.get(name), name).toBe(1);
      expect(sim.stats.zipsSent.get(name), name).toBe(1);
    }
    expect(sim.stats.refused).toEqual([]);
    // On Linux the ZIP comes back inline on the deploy command and that pass removes the work
    // folder itself: no SFTP session and no remove-work command on the warm path.
    expect(sim.stats.sftpRefused).toBe(0);
    expect(sim.stats.removeWork).toBe(0);
    expect(sim.stats.connections).toBe(N);
  });
});

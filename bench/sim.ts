// Simulated-fleet figures (issue 16 part 3): a sweep of N simulated runners (lab/sim-runners.ts:
// one in-process ssh2 server answering with a real runner's recorded replies) through the real
// controller, 2 real `smtp-fleet worker` processes, BullMQ in a Redis of the bench's own (so
// its memory is the sweep's alone), the store and the report. Measured at N and at 100:
// time to the report, controller and worker peak RSS, Redis memory, bytes per job.
// BENCH_SIM_N sets N (default 1000).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { waitForPort } from '../lab/index.js';
import { freePort } from '../lab/ports.js';
import { simRunnerName, writeSimInventory } from '../lab/sim-fleet.js';
import { loadSimRecording, recordAgainstLabPostfix, type SimRecording } from '../lab/sim-recording.js';
import { startSimRunners } from '../lab/sim-runners.js';
import { makeKeyPair } from '../lab/sshd.js';
import { ROOT, labFleetAvailable, measureSweep, runFleet, startWorkers } from './lab-fleet.js';
import type { Row } from './measure.js';

const MB = 1024 * 1024;
const FIXTURE = join(ROOT, 'test/fixtures/sim-runner/recording.json');
// BENCH_SIM_RUN_MS: the probe time each simulated runner takes (default: the recorded one).
const RUN_MS = process.env.BENCH_SIM_RUN_MS === undefined ? undefined : Number(process.env.BENCH_SIM_RUN_MS);

interface SimMeasured {
  n: number;
  ok: number;
  sweepMs: number;
  reportMs: number;
  controllerRssMb: number;
  reportRssMb: number;
  workerRssMb: number[];
  redisPeak: number;
  redisAfter: number;
  redisEmpty: number;
  redisKeys: number;
  load1: number;
}

/** A fresh recording of a real loopback runner where sshd and Postfix are at hand, else the committed one. */
async function recording(): Promise<{ rec: SimRecording; fresh: boolean }> {
  if (!labFleetAvailable()) return { rec: loadSimRecording(FIXTURE), fresh: false };
  return { rec: await recordAgainstLabPostfix(join(ROOT, 'build/payload')), fresh: true };
}

async function memory(r: Redis): Promise<{ used: number; peak: number }> {
  const info = await r.info('memory');
  const field = (k: string) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  return { used: field('used_memory'), peak: field('used_memory_peak') };
}

async function simSweep(n: number, rec: SimRecording): Promise<SimMeasured> {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-fleet-bench-sim-'));
  const redisPort = await freePort(['127.0.0.1']);
  const redisServer = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const key = makeKeyPair(dir, 'sim_key');
  const sim = await startSimRunners({ recording: rec, authorizedKey: key.publicKey, ...(RUN_MS === undefined ? {} : { runMs: RUN_MS }) });
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let workers: ReturnType<typeof startWorkers> | undefined;
  try {
    await waitForPort('127.0.0.1', redisPort);
    await redis.connect();
    const redisEmpty = (await memory(redis)).used;
    const { inventory } = writeSimInventory({ dir, n, sim, keyPath: key.privateKeyPath });
    const store = join(dir, 'store');
    const env = { ...process.env, REDIS_URL: redisUrl, SMTP_FLEET_PREFIX: `smtp-fleet-bench-sim-${n}`, SMTP_FLEET_STORE: store, SMTP_FLEET_INVENTORY: inventory, SMTP_FLEET_JOB_KEY: randomBytes(32).toString('hex') };
    workers = startWorkers(2, Math.ceil(n / 2), env);
    const swept = await measureSweep(env, store, []);
    const load1 = loadavg()[0]!;
    const after = await memory(redis);
    const redisKeys = await redis.dbsize();
    const report = await runFleet(['report', swept.summary.sweep.id], env);
    if (report.code !== 0) throw new Error(`bench: smtp-fleet report exit ${report.code}: ${report.stderr.trim().split('\n').pop()}`);
    const zips = [...sim.stats.zipsSent.values()].reduce((a, b) => a + b, 0);
    if (sim.stats.zipsSent.size !== n || sim.stats.refused.length) throw new Error(`bench: ${sim.stats.zipsSent.size} of ${n} simulated runners sent their ZIP (${zips} in all); refused: ${sim.stats.refused.slice(0, 2).join(' | ')}`);
    return {
      n,
      ok: swept.summary.counts.ok,
      sweepMs: swept.ms,
      reportMs: report.ms,
      controllerRssMb: swept.controllerRssMb,
      reportRssMb: report.rssMb,
      workerRssMb: workers.rssMb(),
      redisPeak: after.peak,
      redisAfter: after.used,
      redisEmpty,
      redisKeys,
      load1,
    };
  } finally {
    for (const w of workers?.children ?? []) w.kill('SIGTERM');
    await Promise.all((workers?.children ?? []).map((w) => (w.exitCode === null && w.signalCode === null ? new Promise((r) => w.once('exit', r)) : undefined)));
    redis.disconnect();
    await sim.close();
    redisServer.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function simFigures(): Promise<Row[]> {
  if (!existsSync(join(ROOT, 'build/payload/manifest.json'))) {
    console.error('bench: skipping the simulated sweep: build/payload is missing (npm run build:payload)');
    return [];
  }
  const n = Number(process.env.BENCH_SIM_N ?? 1000);
  const { rec, fresh } = await recording();
  console.error(`bench: simulated runners answer with ${fresh ? 'a fresh recording' : `the committed recording ${FIXTURE}`} (deploy pass ${rec.warm_deploy.duration_ms} ms, replayed as ${RUN_MS ?? rec.warm_deploy.duration_ms} ms; ZIP ${rec.zip.bytes} bytes)`);
  const small = await simSweep(100, rec);
  const large = n === 100 ? small : await simSweep(n, rec);
  for (const m of [small, large]) console.error(`bench: sim ${m.n}: ${m.ok} ok, sweep ${Math.round(m.sweepMs)} ms, report ${Math.round(m.reportMs)} ms, ${m.redisKeys} Redis keys, load average ${m.load1.toFixed(1)}`);
  const ref = (value: number) => ({ name: 'sweep of 100', value });
  const perJob = (m: SimMeasured, bytes: number) => (bytes - m.redisEmpty) / m.n / 1024;
  const name = `${n} simulated runners (${simRunnerName(0)}..${simRunnerName(n - 1)})`;
  return [
    { metric: `sim: time to the report, sweep of ${name}`, value: large.sweepMs, unit: 'ms', reference: ref(small.sweepMs) },
    { metric: `sim: smtp-fleet report of that sweep alone`, value: large.reportMs, unit: 'ms', reference: ref(small.reportMs) },
    { metric: `sim: controller peak RSS, sweep of ${n}`, value: large.controllerRssMb, unit: 'MB', reference: ref(small.controllerRssMb), target: { text: 'within 1.25x of 100', ok: large.controllerRssMb <= 1.25 * small.controllerRssMb } },
    { metric: `sim: controller peak RSS, report of ${n}`, value: large.reportRssMb, unit: 'MB', reference: ref(small.reportRssMb) },
    { metric: `sim: worker peak RSS, larger of 2 (${Math.ceil(n / 2)} runners at once each)`, value: Math.max(...large.workerRssMb), unit: 'MB', reference: ref(Math.max(...small.workerRssMb)) },
    { metric: `sim: Redis used_memory_peak, sweep of ${n}`, value: large.redisPeak / MB, unit: 'MB', reference: ref(small.redisPeak / MB) },
    { metric: `sim: Redis used_memory after the sweep of ${n}`, value: large.redisAfter / MB, unit: 'MB', reference: ref(small.redisAfter / MB) },
    { metric: `sim: Redis bytes per job at the peak (over an empty Redis)`, value: perJob(large, large.redisPeak), unit: 'KB', reference: ref(perJob(small, small.redisPeak)) },
    { metric: `sim: Redis bytes per job kept after the sweep`, value: perJob(large, large.redisAfter), unit: 'KB', reference: ref(perJob(small, small.redisAfter)) },
    { metric: `sim: hosts ok, sweep of ${n}`, value: large.ok, unit: `of ${n}`, reference: { name: 'sweep of 100', value: small.ok } },
    { metric: `sim: load average (1 min) at the end of the sweep of ${n}`, value: large.load1, unit: '', reference: ref(small.load1) },
  ];
}

// A sweep ends by its deadline: a runner that hangs (an SSH port that accepts and never
// answers; a probe whose SMTP server never answers) is reported timed out at its stage, the
// others as usual, and smtp-fleet exits 6, on time, with the queue and with --local.
import { createServer, type Server, type Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FLEET_EXIT } from '../controller/exit-codes.js';
import { freePort } from '../lab/ports.js';
import { tempDir } from './helpers.js';
import { dropPrefix, fleet, fleetEnv, hostResult, startRunners, startWorker, stopWorker, summaryOf, type FleetEnv, type Runners } from './fleet/harness.js';

const lab = inject('lab');
const HANG = '127.0.1.59';
const DEADLINE_S = 6;
const SLACK_MS = 3000;
let runners: Runners;
let f: FleetEnv;
let silent: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  const dir = tempDir('fleet-deadline-');
  runners = await startRunners(dir, 1, 50);
  const hangPort = await freePort([HANG]);
  // Takes the TCP connection and never sends an SSH banner: the job hangs in connect.
  silent = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(hangPort, HANG, r));
  const [a] = runners.sshd;
  const inv = {
    version: 1,
    defaults: { os: 'linux', transport: 'ssh', user: 'root', auth: { key: runners.key.privateKeyPath }, ssh: { knownHosts: runners.knownHosts }, probe: { server: '127.0.0.1', ports: [`${lab.postfix.starttlsPort}:starttls`], flags: { ca: [lab.caFile] } } },
    hosts: [
      { name: 'good', address: a!.address, port: a!.port },
      // The SMTP server never answers and the probe waits longer than the deadline: it hangs in run.
      { name: 'stuck-run', address: a!.address, port: a!.port, probe: { server: lab.blackhole.host, ports: [`${lab.blackhole.port}:starttls`], timeout: ['connect=60s'] } },
      { name: 'stuck-connect', address: HANG, port: hangPort },
    ],
  };
  const file = join(dir, 'inventory.json');
  writeFileSync(file, JSON.stringify(inv));
  f = fleetEnv(dir, file);
  // Warm the runner's cache (both hosts share it), so pushing is quick within the short deadline.
  await fleet(f, ['sweep', '--local', '--host', 'good', '--redis', 'redis://127.0.0.1:1']);
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  silent?.close();
  await runners?.stop();
  if (f) await dropPrefix(f.redisUrl, f.prefix);
});

/** The deadline runs from the sweep's creation: the CLI's own start-up (seconds on a busy CI machine) comes before it. */
function expectTimedOut(run: Awaited<ReturnType<typeof fleet>>, endedAt: number) {
  expect(run.code, run.stderr).toBe(FLEET_EXIT.deadline);
  const s = summaryOf(run);
  const elapsed = endedAt - Date.parse(s.sweep.created);
  console.log(`deadline ${DEADLINE_S} s: sweep ended ${elapsed} ms after it was created`);
  expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_S * 1000);
  expect(elapsed).toBeLessThan(DEADLINE_S * 1000 + SLACK_MS);
  expect(s.counts).toMatchObject({ selected: 3, ok: 1, timed_out: 2, pending: 0 });
  expect(s.deadline).not.toBeNull();
  const byName = new Map(s.hosts.map((h) => [h.name, h]));
  expect(byName.get('good')).toMatchObject({ status: 'probed', outcome: 'ok' });
  expect(byName.get('stuck-connect')).toMatchObject({ status: 'timed-out', stage: 'connect' });
  expect(byName.get('stuck-run')).toMatchObject({ status: 'timed-out', stage: 'run' });
  expect(hostResult(f, s.sweep.id, 'stuck-connect')).toMatchObject({ status: 'timed-out', stage: 'connect' });
  return s;
}

describe('smtp-fleet sweep --deadline', () => {
  it('with --local: ends on time, the hanging runners timed out at their stage, exit 6', async () => {
    const run = await fleet(f, ['sweep', '--local', '--json', '--timeout', '2m', '--deadline', `${DEADLINE_S}s`, '--redis', 'redis://127.0.0.1:1', '--jsonl', join(f.dir, 'local.jsonl')]);
    expectTimedOut(run, Date.now());
    const lines = readFileSync(join(f.dir, 'local.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { host: string; status: string; stage: string | null });
    expect(lines.find((l) => l.host === 'stuck-connect')).toMatchObject({ status: 'timed-out', stage: 'connect' });
  }, 30_000);

  it('with the queue: the controller ends on time, the worker stops the jobs, a late result does not change the report', async () => {
    const w = startWorker(f, ['--concurrency', '4']);
    try {
      const run = await fleet(f, ['sweep', '--json', '--timeout', '2m', '--deadline', `${DEADLINE_S}s`]);
      const s = expectTimedOut(run, Date.now());
      const report = readFileSync(join(f.store, 'sweeps', s.sweep.id, 'fleet_report.md'), 'utf8');
      // Give the worker time to bring back whatever it still had: the stored results stay timed out.
      await new Promise((r) => setTimeout(r, 1000));
      expect(hostResult(f, s.sweep.id, 'stuck-run')).toMatchObject({ status: 'timed-out', stage: 'run' });
      expect(report).toMatch(/## Timed out/);
      expect(readFileSync(join(f.store, 'sweeps', s.sweep.id, 'fleet_report.md'), 'utf8').replace(/generated \S+/, '')).toBe(report.replace(/generated \S+/, ''));
    } finally {
      await stopWorker(w);
    }
  }, 30_000);
});

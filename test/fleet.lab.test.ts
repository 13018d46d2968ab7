// smtp-fleet end to end on real parts: OpenSSH sshd runners on loopback, real Redis, BullMQ
// workers as their own processes, the real runner payload probing the loopback SMTP lab.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ManifestSchema } from '../packaging/manifest.js';
import { freePort } from '../lab/ports.js';
import { LAB_PASSWORD } from '../lab/fault-servers.js';
import { buildZip, unixMode } from './fleet-data-zips.js';
import { tempDir, unzip } from './helpers.js';
import { FLEET_CLI, PAYLOAD, dropPrefix, redisDump, fleet, fleetEnv, hostResult, startRunners, startWorker, stopWorker, summaryOf, waitFor, type FleetEnv, type Runners } from './fleet/harness.js';

const lab = inject('lab');
const DOWN = '127.0.1.29';
let dir: string;
let runners: Runners;
let f: FleetEnv;
let downPort: number;

function inventory(r: Runners, extraHosts: object[] = []): object {
  const [a, b, c, d, e] = r.sshd;
  const host = (name: string, s: { address: string; port: number }, extra: object = {}) => ({ name, address: s.address, port: s.port, ...extra });
  const slow = { tags: ['slow'], probe: { server: lab.blackhole.host, ports: [`${lab.blackhole.port}:starttls`], timeout: ['connect=3s'] } };
  const auth = { tags: ['auth'], probe: { server: lab.faults.host, ports: [`${lab.faults.ports.auth}:starttls`], smtpAuth: { user: 'good@lab.test', passwordEnv: 'FLEET_SMTP_PASSWORD' }, flags: { ca: [lab.caFile] } } };
  return {
    version: 1,
    defaults: {
      os: 'linux',
      transport: 'ssh',
      user: 'root',
      auth: { key: r.key.privateKeyPath },
      ssh: { knownHosts: r.knownHosts },
      probe: { server: '127.0.0.1', ports: [`${lab.postfix.starttlsPort}:starttls`], flags: { ca: [lab.caFile] } },
    },
    groups: { problems: { hosts: ['r1', 'down', 'changed-key', 'wrong-key'] } },
    hosts: [
      host('r1', a!, { tags: ['good'], probe: { aa: { activity: 'Send invoices', runId: 'run-42' } } }),
      host('r2', b!, { tags: ['good'] }),
      host('r3', c!, { tags: ['good'] }),
      host('changed-key', d!),
      host('wrong-key', e!, { auth: { key: r.wrongKey.privateKeyPath } }),
      { name: 'down', address: DOWN, port: downPort },
      host('slow1', a!, slow),
      host('slow2', b!, slow),
      host('slow3', c!, slow),
      host('auth1', a!, auth),
      host('auth2', b!, auth),
      host('auth3', c!, auth),
      ...extraHosts,
    ],
  };
}

beforeAll(async () => {
  dir = tempDir('fleet-');
  runners = await startRunners(dir, 5);
  downPort = await freePort([DOWN]);
  // changed-key: known_hosts holds another host's key for it, as after a reinstall or a MITM.
  const [a, , , d] = runners.sshd;
  const lines = readFileSync(runners.knownHosts, 'utf8').split('\n').filter((l) => l && !l.startsWith(`[${d!.address}]:${d!.port}`));
  lines.push(`[${d!.address}]:${d!.port} ${a!.hostKeyPub}`);
  writeFileSync(runners.knownHosts, lines.join('\n') + '\n');
  const inv = join(dir, 'inventory.json');
  writeFileSync(inv, JSON.stringify(inventory(runners), null, 2));
  f = fleetEnv(dir, inv);
}, 60_000);

afterAll(async () => {
  await runners?.stop();
  if (f) await dropPrefix(f.redisUrl, f.prefix);
});

describe('smtp-fleet without Redis (--local)', () => {
  it('sweeps three runners: cold uploads the runtime once per runner, warm uploads nothing', async () => {
    const cold = await fleet(f, ['sweep', '--local', '--tag', 'good', '--json', '--redis', 'redis://127.0.0.1:1']);
    expect(cold.stderr).toBe('');
    expect(cold.code).toBe(0);
    const s = summaryOf(cold);
    expect(s.counts).toMatchObject({ selected: 3, probed: 3, ok: 3, unreachable: 0 });
    const manifest = ManifestSchema.parse(JSON.parse(readFileSync(join(PAYLOAD, 'manifest.json'), 'utf8')));
    const runtimeBytes = manifest.artifacts.find((x) => x.role === 'runtime' && x.platform === 'linux-x64')!.bytes;
    for (const h of ['r1', 'r2', 'r3']) {
      const r = hostResult(f, s.sweep.id, h);
      expect(r.status).toBe('probed');
      // Sent gzip-compressed: about a third of the runtime's bytes.
      if (r.status === 'probed') expect(r.transport_stats.uploaded_bytes).toBeGreaterThan(runtimeBytes / 4);
      if (r.status === 'probed') expect(r.transport_stats.uploaded_bytes).toBeLessThan(runtimeBytes / 2);
    }
    const warm = summaryOf(await fleet(f, ['sweep', '--local', '--tag', 'good', '--json']));
    for (const h of ['r1', 'r2', 'r3']) {
      const r = hostResult(f, warm.sweep.id, h);
      expect(r.status === 'probed' && r.transport_stats).toEqual({ uploaded_bytes: 0, cache_hit: true });
    }
    expect(warm.changes?.previous_sweep_id).toBe(s.sweep.id);
  }, 120_000);

  it('shows live progress on a terminal (stderr), and only there', async () => {
    // script(1) gives the command a pseudo-terminal, as a person running it would have.
    const env = Object.entries(f.env).map(([k, v]) => `${k}='${v}'`).join(' ');
    const out = execFileSync('script', ['-qec', `env ${env} ${process.execPath} ${FLEET_CLI} sweep --local --tag good`, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    // Each update rewrites the line: carriage return, erase-line (ESC [ K), the counts.
    expect(out).toContain('\r\u001b[Ksweep ');
    expect(out).toMatch(/sweep \S+: [0-3]\/3 done, 0 failing, 0 not reached/);
    // Verdicts in colour on a terminal: green ok.
    expect(out).toContain('hosts:       3 selected, \u001b[32m3 ok\u001b[0m, 0 with SMTP failures');
    // TERM=dumb: no escape sequence at all; NO_COLOR: the progress line stays, the colour goes.
    const onTerm = (extra: string) => execFileSync('script', ['-qec', `env ${env} ${extra} ${process.execPath} ${FLEET_CLI} sweep --local --tag good`, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    const dumb = onTerm('TERM=dumb');
    expect(dumb).toContain('hosts:       3 selected, 3 ok');
    expect(dumb).not.toContain('\u001b');
    const noColor = onTerm('NO_COLOR=1');
    expect(noColor).toContain('\r\u001b[Ksweep ');
    expect(noColor).toContain('hosts:       3 selected, 3 ok,');
    expect(noColor).not.toContain('\u001b[32m');
    const piped = await fleet(f, ['sweep', '--local', '--tag', 'good']);
    expect(piped.stderr).toBe('');
  }, 120_000);

  it('runs diagnose on a runner with --diagnose, passing the inventory\'s AA context', async () => {
    const r = await fleet(f, ['sweep', '--local', '--host', 'r1', '--diagnose', '--ntp', 'off', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r);
    const zip = await unzip(join(f.store, 'sweeps', s.sweep.id, 'hosts', 'r1', 'result.zip'));
    expect([...zip.keys()]).toEqual(expect.arrayContaining(['probe_summary.json', 'manifest.json', 'dns_snapshot.json', 'network_snapshot.json', 'aa_context.json']));
    const aa = JSON.parse(zip.get('aa_context.json')!.toString('utf8')) as Record<string, unknown>;
    expect(JSON.stringify(aa)).toContain('Send invoices');
    expect(JSON.stringify(aa)).toContain('run-42');
    expect(JSON.parse(zip.get('clock.json')!.toString('utf8'))).toMatchObject({ status: 'skipped' });
    expect((await fleet(f, ['sweep', '--local', '--host', 'r1', '--ntp', 'off'])).stderr).toContain('--ntp goes with --diagnose');
  }, 120_000);

  it('--auth-test without the password in the worker\'s environment: a set-up problem (failed/config), not a refused login, and nothing started', async () => {
    const r = await fleet(f, ['sweep', '--local', '--host', 'auth1', '--auth-test', '--json', '--attempts', '3', '--backoff', '10ms']);
    expect(r.code, r.stderr).toBe(4);
    const s = summaryOf(r);
    expect(hostResult(f, s.sweep.id, 'auth1')).toMatchObject({ status: 'failed', code: 'config', job_attempts: 1, message: expect.stringMatching(/the worker has no FLEET_SMTP_PASSWORD in its environment/) });
  });

  it('says in one line that Redis is down and how to start one (exit 5)', async () => {
    const r = await fleet(f, ['sweep', '--tag', 'good', '--redis', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/? \(ECONNREFUSED\).*redis-server.*--local/);
  });
  it('warns once when no worker serves the queue, and keeps waiting', async () => {
    const lonely = fleetEnv(join(dir, 'lonely'), f.inventory);
    const child = spawn(process.execPath, [FLEET_CLI, 'sweep', '--tag', 'good'], { env: { ...process.env, ...lonely.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    try {
      await waitFor('the no-worker warning', async () => err.includes('no worker is connected'), 20_000);
      expect(child.exitCode).toBeNull(); // still waiting for a worker
      expect(err.trim().split('\n')).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
      await dropPrefix(lonely.redisUrl, lonely.prefix);
    }
  });
});

describe('smtp-fleet through BullMQ', () => {
  let worker: ReturnType<typeof startWorker>;
  beforeAll(() => {
    worker = startWorker(f, ['--concurrency', '4', '--lock-duration', '2s'], { FLEET_SMTP_PASSWORD: LAB_PASSWORD });
  });
  afterAll(async () => {
    await stopWorker(worker);
  });

  it('sweeps, keeps unreachable runners apart from SMTP results, fails host-key and login problems at once', async () => {
    const r = await fleet(f, ['sweep', '--group', 'problems', '--json', '--attempts', '2', '--backoff', '100ms']);
    expect(r.code, r.stderr).toBe(4);
    const s = summaryOf(r);
    expect(s.counts).toMatchObject({ selected: 4, probed: 1, ok: 1, unreachable: 1, failed: 2, pending: 0 });
    const down = hostResult(f, s.sweep.id, 'down');
    expect(down).toMatchObject({ status: 'unreachable', code: 'unreachable', job_attempts: 2 });
    const changed = hostResult(f, s.sweep.id, 'changed-key');
    expect(changed).toMatchObject({ status: 'failed', code: 'host-key-mismatch', job_attempts: 1 });
    expect(changed.status === 'failed' && changed.message).toMatch(/SHA256:/);
    expect(hostResult(f, s.sweep.id, 'wrong-key')).toMatchObject({ status: 'failed', code: 'auth', job_attempts: 1 });
    expect(s.unreachable_groups.map((g) => g.hosts)).toEqual([['down']]);
    const report = readFileSync(join(f.store, 'sweeps', s.sweep.id, 'fleet_report.md'), 'utf8');
    expect(report).toContain('down');
    expect(report).toContain('host-key-mismatch');
  }, 120_000);

  it('re-probes one host into its sweep, as the inventory describes it now: the new result replaces the old and the report is redone', async () => {
    const first = summaryOf(await fleet(f, ['sweep', '--tag', 'good', '--json']));
    const before = hostResult(f, first.sweep.id, 'r2');
    // The inventory changed since the sweep: r2 now points at a port where nothing listens.
    const inv = JSON.parse(readFileSync(f.inventory, 'utf8')) as { hosts: Array<{ name: string; probe?: object }> };
    inv.hosts.find((h) => h.name === 'r2')!.probe = { server: '127.0.0.7', ports: [`${lab.closedPort}:starttls`] };
    const changed = join(dir, 'inventory-changed.json');
    writeFileSync(changed, JSON.stringify(inv));
    const again = await fleet(f, ['probe', 'r2', '--sweep', first.sweep.id, '--json', '--inventory', changed]);
    expect(again.code, again.stderr).toBe(3);
    const s = summaryOf(again);
    expect(s.sweep.id).toBe(first.sweep.id);
    expect(s.counts).toMatchObject({ selected: 3, ok: 2, smtp_failing: 1 });
    expect(s.hosts.find((h) => h.name === 'r2')?.outcome).toBe('connect');
    const after = hostResult(f, first.sweep.id, 'r2');
    expect(after.job_id).toMatch(/\.re\d+$/);
    expect(after.finished_at > before.finished_at).toBe(true);
    expect(readdirSync(join(f.store, 'sweeps', first.sweep.id, 'hosts')).sort()).toEqual(['r1', 'r2', 'r3']);
  }, 120_000);

  it('caps AUTH per mail account across the fleet: three runners, budget of two, two logins', async () => {
    const r = await fleet(f, ['sweep', '--tag', 'auth', '--auth-test', '--auth-max-per-account', '2', '--json']);
    const s = summaryOf(r);
    expect(r.code, JSON.stringify(s.hosts.map((h) => [h.name, h.status, h.detail]))).toBe(0);
    const hints = s.hosts.map((h) => h.hint_id).sort();
    expect(hints).toEqual(['ok', 'ok-auth', 'ok-auth']);
    // The password went over stdin only: it is in no job, no store file.
    for (const h of ['auth1', 'auth2', 'auth3']) expect(readFileSync(join(f.store, 'sweeps', s.sweep.id, 'hosts', h, 'result.zip')).includes(LAB_PASSWORD)).toBe(false);
    const dump = await redisDump(f.redisUrl, f.prefix);
    expect(dump).toContain('good@lab.test'); // the job data is there...
    expect(dump).not.toContain(LAB_PASSWORD); // ...and holds no password
  }, 120_000);

  it('registers the nightly schedule idempotently, fires it, and removes it', async () => {
    for (let i = 0; i < 2; i++) expect((await fleet(f, ['schedule', '--every', '1s', '--tag', 'good', '--name', 'fast-test'])).code).toBe(0);
    const list = JSON.parse((await fleet(f, ['schedules', '--json'])).stdout) as Array<{ name: string; every_ms: number }>;
    expect(list).toEqual([expect.objectContaining({ name: 'fast-test', every_ms: 1000 })]);
    const scheduled = await waitFor('a scheduled sweep with its report', async () => {
      const rows = JSON.parse((await fleet(f, ['sweeps', '--json'])).stdout) as Array<{ id: string; kind: string; done: boolean }>;
      return rows.find((x) => x.kind === 'scheduled' && x.done);
    }, 60_000, 500);
    expect(existsSync(join(f.store, 'sweeps', scheduled.id, 'fleet_report.md'))).toBe(true);
    expect((await fleet(f, ['unschedule', '--name', 'fast-test'])).stdout).toContain('removed');
    expect(JSON.parse((await fleet(f, ['schedules', '--json'])).stdout)).toEqual([]);
  }, 120_000);

  it('a worker killed mid-sweep: another finishes its jobs; every host counted once', async () => {
    await stopWorker(worker);
    const a = startWorker(f, ['--concurrency', '3', '--lock-duration', '2s']);
    const started = await fleet(f, ['sweep', '--tag', 'slow', '--detach', '--json']);
    const { sweep_id: sweepId } = JSON.parse(started.stdout) as { sweep_id: string };
    await waitFor('jobs active on worker A', async () => (JSON.parse((await fleet(f, ['status', '--json'])).stdout) as { probes: { active: number } }).probes.active >= 2);
    await new Promise((r) => setTimeout(r, 700)); // the probes are now running on the runners
    await stopWorker(a, 'SIGKILL');
    worker = startWorker(f, ['--concurrency', '3', '--lock-duration', '2s'], { FLEET_SMTP_PASSWORD: LAB_PASSWORD });
    const summaryFile = join(f.store, 'sweeps', sweepId, 'fleet_summary.json');
    await waitFor('the sweep report', async () => existsSync(summaryFile), 90_000, 250);
    const s = summaryOf({ code: 0, stdout: readFileSync(summaryFile, 'utf8'), stderr: '' });
    expect(s.counts).toMatchObject({ selected: 3, probed: 3, pending: 0, smtp_failing: 3 });
    expect(s.hosts.map((h) => `${h.name}:${h.outcome}`).sort()).toEqual(['slow1:connect', 'slow2:connect', 'slow3:connect']);
    // The worker logs the report after writing it, and its stderr arrives through a pipe: wait for the line.
    await waitFor('the new worker to log the report', async () => /sweep .*: report/.test(worker.logText()), 10_000, 100);
  }, 150_000);
});

describe('Redis restarted mid-sweep (a Redis of the test, with its append-only file)', () => {
  let port: number;
  let redisDir: string;
  let g: FleetEnv;
  const startRedis = () => {
    execFileSync('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', redisDir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'yes', '--pidfile', join(redisDir, 'redis.pid'), '--logfile', join(redisDir, 'redis.log')]);
  };
  beforeAll(async () => {
    port = await freePort(['127.0.0.1']);
    redisDir = join(dir, 'redis');
    mkdirSync(redisDir);
    startRedis();
    g = fleetEnv(join(dir, 'restart'), f.inventory, `redis://127.0.0.1:${port}`);
  });
  afterAll(() => {
    try {
      execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);
    } catch {
      /* already down */
    }
  });

  it('finishes the sweep and the waiting controller reports it', async () => {
    const w = startWorker(g, ['--concurrency', '3', '--lock-duration', '3s']);
    try {
      const waiting = fleet(g, ['sweep', '--tag', 'slow', '--json']);
      await waitFor('jobs active', async () => ((JSON.parse((await fleet(g, ['status', '--json'])).stdout || '{}') as { probes?: { active: number } }).probes?.active ?? 0) >= 1);
      execFileSync('redis-cli', ['-p', String(port), 'shutdown']);
      await new Promise((r) => setTimeout(r, 500));
      startRedis();
      const r = await waiting;
      expect(r.code, r.stderr).toBe(3);
      const s = summaryOf(r);
      expect(s.counts).toMatchObject({ selected: 3, probed: 3, pending: 0 });
      // The outage in one line each way, not an ioredis error object per reconnect attempt.
      const said = r.stderr.trim().split('\n').filter(Boolean);
      for (const line of said) expect(line).toMatch(/^smtp-fleet: /);
      expect(said.filter((l) => /unreachable/.test(l)).length).toBeLessThanOrEqual(2);
      expect(w.logText()).not.toMatch(/errno|syscall|\n\s+at /);
    } finally {
      await stopWorker(w);
    }
  }, 150_000);
});

describe('untrusted ZIPs coming back from a runner', () => {
  it('rejects path traversal and a bad summary, refuses an oversized ZIP, and writes nothing outside the store', async () => {
    // A runner that answers with hostile ZIPs: a payload whose bundle writes them.
    const evil = join(dir, 'evil-payload');
    mkdirSync(join(evil, 'linux-x64'), { recursive: true });
    const real = ManifestSchema.parse(JSON.parse(readFileSync(join(PAYLOAD, 'manifest.json'), 'utf8')));
    const runtime = real.artifacts.find((x) => x.role === 'runtime' && x.platform === 'linux-x64')!;
    symlinkSync(join(PAYLOAD, runtime.name), join(evil, runtime.name));
    // The real loader starts the evil bundle, as on a runner.
    const loader = real.artifacts.find((x) => x.role === 'loader')!;
    symlinkSync(join(PAYLOAD, loader.name), join(evil, loader.name));
    const zips = {
      traversal: buildZip([{ name: '../../escaped.txt', data: 'owned' }]).toString('base64'),
      badjson: buildZip([{ name: 'probe_summary.json', data: '{"schema": "smtp-probe/probe-summary", "verdict": ' }, { name: 'report.md', data: 'x', externalAttrs: unixMode(0o100644) }]).toString('base64'),
    };
    const script = `const fs=require('fs');const a=process.argv;const p=JSON.parse(Buffer.from(a[a.indexOf('--args-b64')+1],'base64').toString());const v=p[p.indexOf('--ehlo-name')+1];const z=a[a.indexOf('--zip-to')+1];
const Z=${JSON.stringify(zips)};
if(v==='oversize'){const fd=fs.openSync(z,'w');fs.writeSync(fd,Buffer.alloc(1024*1024),0,1024*1024,21*1024*1024);fs.closeSync(fd);}else fs.writeFileSync(z,Buffer.from(Z[v],'base64'));`;
    writeFileSync(join(evil, 'evil.cjs'), script);
    const data = Buffer.from(script);
    writeFileSync(join(evil, 'manifest.json'), JSON.stringify({ ...real, artifacts: [runtime, loader, { name: 'evil.cjs', role: 'bundle', platform: 'any', version: real.version, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') }] }));
    const inv = join(dir, 'evil-inventory.json');
    const base = inventory(runners) as { hosts: object[]; groups?: object };
    delete base.groups;
    const [a] = runners.sshd;
    base.hosts = ['traversal', 'badjson', 'oversize'].map((v) => ({ name: `evil-${v}`, address: a!.address, port: a!.port, tags: ['evil'], probe: { flags: { 'ehlo-name': v } } }));
    writeFileSync(inv, JSON.stringify(base));
    const outside = readdirSync(dir).sort();
    const r = await fleet(f, ['sweep', '--local', '--tag', 'evil', '--json', '--inventory', inv, '--payload', evil]);
    expect(r.code, r.stderr).toBe(4);
    const s = summaryOf(r);
    expect(hostResult(f, s.sweep.id, 'evil-traversal')).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/\.\./) });
    expect(hostResult(f, s.sweep.id, 'evil-badjson')).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/probe_summary\.json/) });
    expect(hostResult(f, s.sweep.id, 'evil-oversize')).toMatchObject({ status: 'failed', code: 'too-large' });
    expect(readdirSync(dir).sort()).toEqual(outside);
    for (const h of ['evil-traversal', 'evil-badjson', 'evil-oversize']) expect(existsSync(join(f.store, 'sweeps', s.sweep.id, 'hosts', h, 'result.zip'))).toBe(false);
    expect(s.runner_problems.length).toBeGreaterThan(0);
  }, 120_000);
});


// What a worker trusts, tried on a real redis-server of the test's own: an ACL user with a
// password (the default user off), a TLS port with the lab CA, and jobs written straight into
// Redis by someone who is not the controller. A trap listener stands where a forged job would
// send the worker; it must see no connection from a forged job and one from a real sweep.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobsFor } from '../controller/sweeps.js';
import { parseInventory } from '../inventory/load.js';
import { signJob } from '../queue/job-auth.js';
import { JOB_VERSION, QUEUES, SweepOptionsSchema } from '../queue/jobs.js';
import { makePki, type LabPki } from '../lab/ca.js';
import { freePort } from '../lab/ports.js';
import { tempDir } from './helpers.js';
import { fleet, fleetEnv, startWorker, stopWorker, waitFor, type FleetEnv } from './fleet/harness.js';

const USER = 'fleet';
const PASSWORD = `redis-${randomBytes(6).toString('hex')}`;
const PLANTED = `planted-${randomBytes(6).toString('hex')}`;
let dir: string;
let pki: LabPki;
let port: number;
let tlsPort: number;
let trapPort: number;
let trap: Server;
let trapHits = 0;
let f: FleetEnv;
let inventoryFile: string;

function startRedis(): void {
  const d = join(dir, 'redis');
  // `user` lines: the default user is switched off, so every client must log in as USER.
  execFileSync('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', d, '--save', '', '--appendonly', 'no',
    '--daemonize', 'yes', '--pidfile', join(d, 'redis.pid'), '--logfile', join(d, 'redis.log'),
    '--tls-port', String(tlsPort), '--tls-cert-file', pki.serverCert, '--tls-key-file', pki.serverKey, '--tls-ca-cert-file', pki.caCert, '--tls-auth-clients', 'no',
    '--user', 'default', 'off',
    '--user', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all',
  ]);
}

function stopRedis(): void {
  try {
    execFileSync('redis-cli', ['-p', String(port), '--user', USER, '--pass', PASSWORD, '--no-auth-warning', 'shutdown', 'nosave'], { stdio: 'ignore' });
  } catch {
    /* already down */
  }
}

/** A client of the test's own (the "attacker" and the inspector), logged in over TLS. */
function testRedis(): Redis {
  return new Redis({ host: 'localhost', port: tlsPort, username: USER, password: PASSWORD, tls: { ca: pki.caPem, servername: 'localhost' }, maxRetriesPerRequest: null });
}

const tlsEnv = () => ({ REDIS_URL: `rediss://${USER}@localhost:${tlsPort}`, REDIS_PASSWORD: PASSWORD, REDIS_CA_FILE: pki.caCert });

beforeAll(async () => {
  dir = tempDir('queue-security-');
  mkdirSync(join(dir, 'redis'));
  mkdirSync(join(dir, 'pki'));
  pki = makePki(join(dir, 'pki'));
  [port, tlsPort] = [await freePort(['127.0.0.1']), await freePort(['127.0.0.1'])];
  startRedis();
  await waitFor('redis', async () => {
    try {
      execFileSync('redis-cli', ['-p', String(port), '--user', USER, '--pass', PASSWORD, '--no-auth-warning', 'ping'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  trap = createServer((s) => {
    trapHits++;
    s.destroy();
  });
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
  trapPort = (trap.address() as { port: number }).port;
  writeFileSync(join(dir, 'known_hosts'), '');
  inventoryFile = join(dir, 'inventory.yml');
  writeFileSync(
    inventoryFile,
    `version: 1\ndefaults: { os: linux, transport: ssh, user: bot, auth: { passwordEnv: TRAP_PASSWORD }, ssh: { knownHosts: ${join(dir, 'known_hosts')} } }\nhosts:\n  - { name: trap, address: 127.0.0.1, port: ${trapPort} }\n`,
  );
  f = fleetEnv(join(dir, 'fleet'), inventoryFile, `rediss://${USER}@localhost:${tlsPort}`);
  Object.assign(f.env, tlsEnv());
}, 60_000);

afterAll(async () => {
  stopRedis();
  await new Promise((r) => trap?.close(r));
});

describe('Redis with an ACL user, a password and TLS', () => {
  it('logs in with REDIS_PASSWORD or --redis-password-file, over TLS with --redis-ca', async () => {
    const pwFile = join(dir, 'redis-password');
    writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
    const plain = `redis://${USER}@127.0.0.1:${port}`;
    const viaEnv = await fleet(f, ['status', '--json'], { REDIS_URL: plain, REDIS_CA_FILE: '' });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ workers: 0 });
    const viaFile = await fleet(f, ['status', '--redis-password-file', pwFile, '--redis-ca', pki.caCert], { REDIS_PASSWORD: '' });
    expect(viaFile.code, viaFile.stderr).toBe(0);
  });

  it('refuses, in one line with exit 5, a missing or wrong password and an untrusted certificate', async () => {
    const plain = `redis://${USER}@127.0.0.1:${port}`;
    const cases: { env: Record<string, string>; want: RegExp }[] = [
      { env: { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PASSWORD: '', REDIS_CA_FILE: '' }, want: /asks for a password \(NOAUTH\)|refused the user name or password/ },
      { env: { REDIS_URL: plain, REDIS_PASSWORD: 'wrong-password', REDIS_CA_FILE: '' }, want: /refused the user name or password \(WRONGPASS\)/ },
      { env: { REDIS_CA_FILE: '' }, want: /TLS certificate of Redis is not trusted/ },
      { env: { REDIS_URL: `rediss://${USER}@localhost:${port}` }, want: /TLS handshake with Redis failed|cannot reach Redis/ },
    ];
    for (const c of cases) {
      const r = await fleet(f, ['status'], c.env, 30_000);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(c.want);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toContain(PASSWORD);
      expect(r.stderr).not.toContain('wrong-password');
    }
  });

  it('refuses a password on the command line (argv is public) with exit 2, before connecting', async () => {
    const r = await fleet(f, ['status', '--redis', `redis://${USER}:${PASSWORD}@127.0.0.1:${port}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--redis must not carry a password/);
    expect(r.stderr).not.toContain(PASSWORD);
  });
});

describe('a worker refuses every job the controller did not sign', () => {
  it('sends nothing anywhere for forged, re-keyed, altered, moved or expired jobs, and works a real sweep', async () => {
    const w = startWorker(f, ['--concurrency', '2'], { TRAP_PASSWORD: 'trap-password', AWS_SECRET_ACCESS_KEY: PLANTED });
    const redis = testRedis();
    const probes = new Queue(QUEUES.probes, { connection: redis, prefix: f.prefix });
    const sweeps = new Queue(QUEUES.sweeps, { connection: redis, prefix: f.prefix });
    const control = new Queue(QUEUES.control, { connection: redis, prefix: f.prefix });
    try {
      await waitFor('worker ready', async () => /worker: ready/.test(w.logText()));
      // The job an attacker wants: another secret, to the trap, with any host key accepted.
      const inv = parseInventory(`version: 1\nhosts:\n  - { name: evil, os: linux, transport: ssh, address: 127.0.0.1, port: ${trapPort}, user: root, auth: { passwordEnv: AWS_SECRET_ACCESS_KEY } }\n`, 'evil.yml');
      const [job] = jobsFor('20261202-000000-evil', inv.hosts, SweepOptionsSchema.parse({ accept_new: true }));
      const theirKey = randomBytes(32).toString('hex');
      const ourKey = Buffer.from(f.env.SMTP_FLEET_JOB_KEY!);
      const signedOk = signJob(ourKey, QUEUES.probes, 'moved.id', { ...job!, host: { ...job!.host, auth: { kind: 'password' as const, env: 'TRAP_PASSWORD' } } });
      const forged: [string, unknown][] = [
        ['unsigned', job],
        ['their-key', signJob(Buffer.from(theirKey), QUEUES.probes, 'their-key', job!)],
        ['altered', { ...signJob(ourKey, QUEUES.probes, 'altered', { ...job!, host: { ...job!.host, auth: { kind: 'password', env: 'TRAP_PASSWORD' } } }), host: job!.host }],
        ['moved', signedOk],
        ['expired', signJob(ourKey, QUEUES.probes, 'expired', job!, Date.now() - 3 * 86_400_000)],
        ['junk', { sig: { alg: 'hmac-sha256', issued_at: 1, expires_at: null, mac: 'zz' }, host: 'x' }],
        // A job of the previous data version (camelCase), signed by this controller's key: refused by its version.
        ['old-version', signJob(ourKey, QUEUES.probes, 'old-version', { v: 2, sweep_id: job!.sweep_id, host: job!.host, options: { auth_test: false, accept_new: true } })],
      ];
      for (const [id, data] of forged) await probes.add('probe', data, { jobId: id, attempts: 1 });
      await sweeps.add('sweep', { v: JOB_VERSION, sweep_id: '../../etc' }, { jobId: 'forged-sweep' });
      await control.add('scheduled-nightly', { v: JOB_VERSION, inventory: inventoryFile, selection: { hosts: [], tags: [], groups: [], limit: null }, options: SweepOptionsSchema.parse({}), retry: { attempts: 1, backoff_ms: 0 } }, { jobId: 'forged-schedule' });

      const failed = async (q: Queue, id: string) => ((await q.getJob(id))?.failedReason ? (await q.getJob(id))! : undefined);
      for (const [id] of forged) expect((await waitFor(`${id} failed`, () => failed(probes, id))).failedReason).toMatch(/^refused: /);
      expect((await waitFor('sweep failed', () => failed(sweeps, 'forged-sweep'))).failedReason).toMatch(/^refused: job is not signed/);
      expect((await waitFor('schedule failed', () => failed(control, 'forged-schedule'))).failedReason).toMatch(/^refused: /);
      expect((await probes.getJob('moved'))!.failedReason).toMatch(/does not match/);
      expect((await probes.getJob('expired'))!.failedReason).toMatch(/expired/);
      expect((await probes.getJob('old-version'))!.failedReason).toBe('refused: job data version 2 is from a controller of another release (this worker reads version 3): run controller and workers of the same smtp-fleet version, then sweep again');
      expect(trapHits).toBe(0);
      // The forged schedule started no sweep, the forged aggregate wrote nothing.
      expect(existsSync(join(f.store, 'sweeps')) ? readdirSync(join(f.store, 'sweeps')) : []).toEqual([]);

      // The positive control: the same trap, reached by a sweep the controller signed.
      const real = await fleet(f, ['sweep', '--attempts', '1', '--json'], {}, 90_000);
      expect(real.code, real.stderr).toBe(4);
      expect(trapHits).toBeGreaterThan(0);
      const log = w.logText();
      expect(log.match(/refused: /g)?.length).toBeGreaterThanOrEqual(forged.length + 2);
      expect(log).not.toContain(PLANTED);
      expect(log).not.toMatch(/\n\s+at /); // no stack trace
      expect(w.exitCode).toBeNull();
    } finally {
      await Promise.all([probes.close(), sweeps.close(), control.close()]);
      redis.disconnect();
      await stopWorker(w);
    }
  }, 150_000);

  it('says a Redis restart once, in one line each way', async () => {
    const w = startWorker(f, [], { TRAP_PASSWORD: 'x' });
    try {
      await waitFor('worker ready', async () => /worker: ready/.test(w.logText()));
      stopRedis();
      await waitFor('outage noticed', async () => /unreachable/.test(w.logText()), 20_000);
      await new Promise((r) => setTimeout(r, 1500));
      startRedis();
      await waitFor('Redis back', async () => /Redis at .* back/.test(w.logText()), 30_000);
      await new Promise((r) => setTimeout(r, 1500));
      const lines = w.logText().trim().split('\n');
      if (process.env.DEBUG_SECURITY) console.log(lines.join('\n'));
      for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\S+ /); // one line per message, no error objects
      const outages = lines.filter((l) => /unreachable/.test(l));
      expect(outages.length).toBeGreaterThanOrEqual(1);
      expect(outages.length).toBeLessThanOrEqual(2);
      expect(outages[0]).toMatch(/Redis at rediss:\/\/fleet@localhost:\d+\/? unreachable \(\w+\), retrying$/);
      expect(w.logText()).not.toContain(PASSWORD);
    } finally {
      await stopWorker(w);
    }
  }, 90_000);
});

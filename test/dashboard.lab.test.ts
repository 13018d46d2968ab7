// `smtp-fleet dashboard` as an operator meets it: the built CLI on a free loopback port, a
// real Redis with a sweep's jobs under a test prefix, a store with a sweep's reports, and
// Debian's Chromium (playwright-core) reading Bull Board and the sweeps index.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInventory } from '../inventory/load.js';
import { enqueueSweep } from '../queue/enqueue.js';
import { RetryPolicySchema, SweepOptionsSchema } from '../queue/jobs.js';
import { createSweep, jobsFor } from '../controller/sweeps.js';
import { aggregate } from '../store/aggregate.js';
import { renderFleetReport } from '../store/fleet-report.js';
import { Store } from '../store/store.js';
import { FLEET_EXIT } from '../controller/exit-codes.js';
import { ROOT, tempDir } from './helpers.js';
import { FLEET_CLI, dropPrefix, fleet, fleetEnv, type FleetEnv } from './fleet/harness.js';

const REDIS = 'redis://127.0.0.1:6379';
const SHOTS = join(ROOT, 'build/test-output/dashboard');
const TOKEN = randomBytes(24).toString('hex');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

interface Dashboard {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts the dashboard on port 0 and reads the port it got from its first line. */
function startDashboard(f: FleetEnv, args: string[] = [], env: Record<string, string> = {}): Promise<Dashboard> {
  const child = spawn(process.execPath, [FLEET_CLI, 'dashboard', '--listen', '127.0.0.1:0', ...args], { env: { ...process.env, ...f.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`dashboard did not start: ${out}`)), 30_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /dashboard on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ child, url: m[1]!, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`dashboard exited ${code}: ${out}`)));
  });
}

function stop(d: Dashboard): Promise<number | null> {
  return new Promise((resolve) => {
    if (d.child.exitCode !== null) return resolve(d.child.exitCode);
    d.child.once('exit', (code) => resolve(code));
    d.child.kill('SIGTERM');
  });
}

let f: FleetEnv;
let sweepId: string;
let browser: Browser;

beforeAll(async () => {
  const dir = tempDir('dashboard-');
  const inv = parseInventory('version: 1\ndefaults: { os: linux, transport: ssh, user: bot, auth: { agent: true } }\nhosts:\n  - { name: par-01, address: 127.0.0.1 }\n  - { name: lyo-01, address: 127.0.0.1 }\n', 'd.yml');
  f = fleetEnv(dir, join(dir, 'inventory.yml'), REDIS);
  const store = await Store.open(f.store);
  const { meta } = await createSweep(store, { inventory: f.inventory, selection: {}, options: SweepOptionsSchema.parse({}), kind: 'sweep', payloadVersion: '0.0.0', hosts: inv.hosts });
  sweepId = meta.id;
  const summary = aggregate(meta, [], inv.hosts);
  await store.writeFleetReport(sweepId, summary, renderFleetReport(summary));
  writeFileSync(join(store.sweepDir(sweepId), 'fleet_report.html'), `<!doctype html><html><head><meta charset="utf-8"><title>report ${sweepId}</title></head><body><h1>Fleet report ${sweepId}</h1></body></html>`);
  // A second sweep whose report is a link out of the store: never followed.
  const other = await createSweep(store, { inventory: f.inventory, selection: {}, options: SweepOptionsSchema.parse({}), kind: 'sweep', payloadVersion: '0.0.0', hosts: inv.hosts });
  symlinkSync('/etc/passwd', join(store.sweepDir(other.meta.id), 'fleet_report.html'));
  const redis = new Redis(REDIS, { maxRetriesPerRequest: null });
  try {
    await enqueueSweep(redis, f.prefix, randomBytes(32), sweepId, jobsFor(sweepId, inv.hosts, SweepOptionsSchema.parse({})), RetryPolicySchema.parse({}));
  } finally {
    redis.disconnect();
  }
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await dropPrefix(REDIS, f.prefix);
});

describe('smtp-fleet dashboard on loopback', () => {
  it("shows the fleet's queues with their job counts, lists the sweeps and opens a report, without console errors", async () => {
    const d = await startDashboard(f);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${d.url}/queues`);
      await page.getByText('fleet-probes').first().waitFor({ timeout: 20_000 });
      // The cards fill in once the queues' counts have come.
      await page.getByText(/\b2 Jobs\b/).first().waitFor({ timeout: 20_000 });
      const text = await page.locator('body').innerText();
      expect(text).toContain('fleet-sweeps');
      expect(text).toContain('fleet-control');
      expect(text).toMatch(/\b2 Jobs\b/);
      const api = (await (await fetch(`${d.url}/queues/api/queues`)).json()) as { queues: Array<{ name: string; counts: Record<string, number> }> };
      expect(api.queues.find((q) => q.name === 'fleet-probes')?.counts.waiting).toBe(2);
      await page.screenshot({ path: join(SHOTS, 'queues.png'), fullPage: true });
      await page.goto(`${d.url}/queues/queue/fleet-probes?status=waiting`);
      await page.getByText(`${sweepId}.par-01`).first().waitFor({ timeout: 20_000 });
      await page.screenshot({ path: join(SHOTS, 'probes-waiting.png'), fullPage: true });

      await page.goto(`${d.url}/`);
      await page.getByText(sweepId).waitFor();
      await page.screenshot({ path: join(SHOTS, 'sweeps.png'), fullPage: true });
      const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/fleet_report.html')), page.locator(`a[href="/reports/${sweepId}/fleet_report.html"]`).click()]);
      expect(res.status()).toBe(200);
      expect(res.headers()['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers()['content-security-policy']).toMatch(/default-src 'none'.*sandbox/);
      await page.getByText(`Fleet report ${sweepId}`).waitFor();
      const md = await page.goto(`${d.url}/reports/${sweepId}/fleet_report.md`);
      expect(md?.status()).toBe(200);
      expect(await page.locator('body').innerText()).toContain(sweepId);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      expect(await stop(d)).toBe(FLEET_EXIT.ok);
    }
  });

  it('serves nothing outside the sweep folders', async () => {
    const d = await startDashboard(f);
    try {
      const store = await Store.open(f.store);
      const linked = (await store.listSweeps()).find((m) => m.id !== sweepId)!.id;
      for (const p of ['/reports/..%2f..%2fetc/passwd', '/reports/..%2F..%2Fetc%2Fpasswd', `/reports/${sweepId}/..%2fsweep.json`, `/reports/${sweepId}/sweep.json`, `/reports/${linked}/fleet_report.html`, '/reports/%2e%2e/fleet_report.md', '/queues/static/..%2f..%2f..%2fpackage.json']) {
        const r = await fetch(d.url + p);
        expect(r.status, p).toBe(404);
        expect(await r.text(), p).not.toMatch(/root:|"schema"|"name": "smtp-probe"/);
      }
    } finally {
      await stop(d);
    }
  });
});

describe('smtp-fleet dashboard --require-token', () => {
  it('answers 401 without the token and 200 with it (Bearer, or ?token= once and then its cookie)', async () => {
    const d = await startDashboard(f, ['--require-token'], { SMTP_FLEET_DASHBOARD_TOKEN: TOKEN });
    try {
      for (const p of ['/', '/queues', '/queues/api/queues', `/reports/${sweepId}/fleet_summary.json`]) {
        expect((await fetch(d.url + p)).status, p).toBe(401);
        expect((await fetch(d.url + p, { headers: { authorization: `Bearer ${TOKEN}x` } })).status, p).toBe(401);
        expect((await fetch(d.url + p, { headers: { authorization: `Bearer ${TOKEN}` } })).status, p).toBe(200);
      }
      // A Bull Board action needs the token too.
      expect((await fetch(`${d.url}/queues/api/queues/fleet-probes/pause`, { method: 'PUT' })).status).toBe(401);
      const once = await fetch(`${d.url}/queues?token=${TOKEN}`, { redirect: 'manual' });
      expect(once.status).toBe(303);
      expect(once.headers.get('location')).toBe('/queues');
      const cookie = once.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect((await fetch(`${d.url}/queues`, { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200);
      expect((await fetch(`${d.url}/queues`, { headers: { cookie: 'smtp_fleet_dashboard=wrong' } })).status).toBe(401);
      const page = await browser.newPage();
      try {
        await page.goto(`${d.url}/?token=${TOKEN}`);
        await page.getByText(sweepId).waitFor();
        expect(page.url()).toBe(`${d.url}/`);
      } finally {
        await page.close();
      }
    } finally {
      expect(await stop(d)).toBe(FLEET_EXIT.ok);
    }
    expect(d.output()).not.toContain(TOKEN);
  });

  it('refuses to start without a token, in one line with exit code 2', async () => {
    const r = await fleet(f, ['dashboard', '--listen', '127.0.0.1:0', '--require-token', '--token-env', 'DASH_TOKEN_NOT_SET']);
    expect(r.code).toBe(FLEET_EXIT.usage);
    expect(r.stderr).toMatch(/^smtp-fleet: error: --require-token needs a token in \$DASH_TOKEN_NOT_SET/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const off = await fleet(f, ['dashboard', '--listen', '0.0.0.0:0', '--token-env', 'DASH_TOKEN_NOT_SET']);
    expect(off.code).toBe(FLEET_EXIT.usage);
    expect(off.stderr).toMatch(/not loopback/);
  });
});

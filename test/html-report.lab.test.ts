// report.html and fleet_report.html as a person sees them: opened from disk in a real
// headless Chromium (Debian's, driven by playwright-core). The probe page comes from real
// probe runs against the lab (and a server of the test's own with a hostile banner), the
// fleet page from a store with two sweeps aggregated by the real code. Asserted: what is
// visible, the fleet table's filter and sort, no console error, no request other than the
// file itself, and the page still readable with JavaScript off. Screenshots and the pages
// themselves go to build/test-output/html-report/ (ignored by git, like all of build/).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDns, type LabDns } from '../lab/dns-server.js';
import { startTinyproxy, type LabTinyproxy } from '../lab/proxies.js';
import { dovecotAvailable, startDovecot, type LabDovecot } from '../lab/dovecot.js';
import { makePki } from '../lab/ca.js';
import { tmpdir } from 'node:os';
import { parseInventory } from '../inventory/load.js';
import { HealthSummarySchema } from '../payload/schema/health.js';
import { EXIT_CODES, type FailureClass } from '../payload/classify/classes.js';
import { ProbeSummarySchema } from '../payload/schema/summary.js';
import { HostResultSchema, probedResult, transportFailureResult, type HostResult } from '../store/fleet-schema.js';
import { validateResultZip } from '../store/zip-check.js';
import { aggregateSweep } from '../store/report.js';
import { FLEET_REPORT_HTML_FILE, Store } from '../store/store.js';
import { ROOT, runCli, runFolder, tempDir, unzip } from './helpers.js';

const lab = inject('lab');
const SHOTS = join(ROOT, 'build', 'test-output', 'html-report');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const HOSTILE = '<script>alert(1)</script><img src="http://127.0.0.1:9/beacon.png">';

let browser: Browser;
beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => browser?.close());

interface Opened {
  page: Page;
  /** Every request but the file itself. */
  requests: string[];
  /** Console errors (a CSP violation is one), page errors, dialogs (an alert() that ran). */
  errors: string[];
  close: () => Promise<void>;
}

async function open(file: string, javaScriptEnabled = true): Promise<Opened> {
  const url = pathToFileURL(file).href;
  const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests, errors, close: () => context.close() };
}

async function probeRun(args: string[], env: Record<string, string> = {}) {
  const out = tempDir('html-');
  const r = await runCli(['probe', '--json', '--out', out, '--ehlo-name', 'probe.lab.test', ...args], env);
  const summary = ProbeSummarySchema.parse(JSON.parse(r.stdout));
  const folder = runFolder(out);
  return { summary, folder, html: join(folder, 'report.html') };
}

describe('report.html of a real probe run', () => {
  let run: Awaited<ReturnType<typeof probeRun>>;
  beforeAll(async () => {
    // Three addresses (one resetting) on two ports, a second resolver that disagrees, the lab CA.
    run = await probeRun(['--resolver', lab.dnsFlaky.spec, '--dns', lab.dns.spec, '--port', `${lab.gmail.starttlsPort}:starttls`, '--port', `${lab.gmail.implicitPort}:implicit`, '--ca', lab.caFile]);
  });

  it('is in the run folder and in the ZIP, listed in probe_summary.json, and small', async () => {
    expect(run.summary.files).toContain('report.html');
    const zip = await unzip(join(run.folder, 'attachments/all_files.zip'));
    expect(zip.get('report.html')?.toString('utf8')).toBe(readFileSync(run.html, 'utf8'));
    expect(statSync(run.html).size).toBeLessThan(120_000);
    copyFileSync(run.html, join(SHOTS, 'report.html'));
  });

  it('shows the verdict first, then DNS, the grid, the waterfall, the chain and the transcripts', async () => {
    expect(run.summary.verdict).toMatchObject({ class: 'connect', partial: true });
    const { page, requests, errors, close } = await open(run.html);
    try {
      const verdict = page.locator('#verdict');
      await expect.poll(() => verdict.isVisible()).toBe(true);
      expect(await verdict.innerText()).toContain(run.summary.verdict.summary);
      expect(await verdict.innerText()).toContain(`Next step: ${run.summary.verdict.next_step}`);
      // The inline style applied: its hash in the CSP matched.
      expect(await verdict.evaluate((e) => (globalThis as unknown as { getComputedStyle(x: unknown): { borderTopWidth: string } }).getComputedStyle(e).borderTopWidth)).toBe('2px');
      const order = await page.locator('section[id]').evaluateAll((els) => els.map((e) => e.id));
      expect(order).toEqual(['verdict', 'dns', 'grid', 'waterfall', 'tls', 'smtp', 'esmtp', 'timings', 'transcripts']);
      // The resolver that returned the resetting address is the row that disagrees with the targets used.
      const disagree = page.locator('#dns tr.disagree');
      expect(await disagree.count()).toBe(1);
      expect(await disagree.innerText()).toContain(lab.dns.spec);
      // 3 addresses x 2 ports; the resetting address fails on both.
      expect(await page.locator('#grid td.cell').count()).toBe(6);
      const badRow = page.locator('#grid tr', { has: page.locator(`th:text-is("${lab.gmail.resetting}")`) });
      expect(await badRow.locator('td.c-connect').count()).toBe(2);
      expect(await page.locator('#grid td.c-ok').count()).toBe(4);
      // One bar per recorded stage: an ok STARTTLS attempt has connect, banner, EHLO, STARTTLS, TLS, EHLO, NOOP, QUIT.
      expect(await page.locator('#waterfall svg rect').count()).toBeGreaterThanOrEqual(run.summary.attempts.length * 2);
      expect(await page.locator('#tls').innerText()).toMatch(/trusted[\s\S]*CN=smtp\.gmail\.com[\s\S]*smtp-probe Lab Root CA/);
      // Transcripts are collapsed until opened.
      const first = page.locator('#transcripts details').first();
      expect(await page.locator('#transcripts details').count()).toBe(run.summary.attempts.length);
      expect(await first.locator('pre').isVisible()).toBe(false);
      await first.locator('summary').click();
      expect(await first.locator('pre').innerText()).toMatch(/C {2}EHLO probe\.lab\.test/);
      await page.screenshot({ path: join(SHOTS, 'report-probe.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await close();
    }
  });

  it('reads the same with JavaScript off', async () => {
    const { page, errors, close } = await open(run.html, false);
    try {
      expect(await page.locator('#verdict').innerText()).toContain(run.summary.verdict.evidence.slice(0, 40));
      expect(await page.locator('#grid td.cell').count()).toBe(6);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe('report.html of a --provider run with --tls-matrix', () => {
  it('shows the preset next to what was seen, its mismatch, and the TLS matrix of every address', async () => {
    // The lab's smtp.gmail.com: two addresses, a certificate from the lab CA, not Google Trust Services.
    const run = await probeRun(['--provider', 'gmail', '--resolver', lab.dns.spec, '--port', `${lab.gmail.starttlsPort}:starttls`, '--ca', lab.caFile, '--tls-matrix']);
    expect(run.summary.tls_matrix!.addresses!.probed).toEqual(lab.gmail.healthy);
    // The run's ZIP as the store takes it in: the host result carries the preset finding for the fleet's grouping.
    const zip = await validateResultZip(join(run.folder, 'attachments/all_files.zip'));
    const common = { sweep_id: 'S9', host: 'r1', transport: 'ssh' as const, job_id: null, job_attempts: 1, started_at: run.summary.run.started_at, finished_at: run.summary.run.finished_at, duration_ms: 1 };
    expect(probedResult(common, zip, 'z', { uploaded_bytes: 0, cache_hit: true }).findings).toContain(`preset-issuer-unexpected:${lab.gmail.starttlsPort}`);
    const { page, requests, errors, close } = await open(run.html);
    try {
      const order = await page.locator('section[id]').evaluateAll((els) => els.map((e) => e.id));
      expect(order.slice(0, 3)).toEqual(['verdict', 'preset', 'dns']);
      expect(order).toContain('tls-matrix');
      const preset = page.locator('#preset');
      expect(await preset.isVisible()).toBe(true);
      expect(await preset.innerText()).toMatch(/Provider preset: Gmail[\s\S]*expected Google Trust Services; seen O=smtp-probe lab, CN=smtp-probe Lab Root CA/);
      expect(await preset.locator('li.warn').innerText()).toMatch(/^preset-issuer-unexpected \(error\): port \d+: certificate issued by O=smtp-probe lab, CN=smtp-probe Lab Root CA, not Google Trust Services[^]*Next step: The connection is decrypted on the way/);
      const matrix = page.locator('#tls-matrix');
      expect(await matrix.innerText()).toContain(`Addresses: ${lab.gmail.healthy.join(', ')} (every resolved address).`);
      expect(await matrix.locator('h3').count()).toBe(lab.gmail.healthy.length);
      await page.screenshot({ path: join(SHOTS, 'report-preset-matrix.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await close();
    }
  }, 120_000);
});

describe('report.html of a --proxy auto run through tinyproxy', () => {
  let proxy: LabTinyproxy;
  beforeAll(async () => {
    proxy = await startTinyproxy();
  });
  afterAll(() => proxy?.stop());

  it('shows the proxy used, where it was found, and the direct and proxy paths side by side', async () => {
    const url = `http://127.0.0.1:${proxy.port}`;
    const run = await probeRun(['--resolver', lab.dns.spec, '--port', `${lab.gmail.starttlsPort}:starttls`, '--ca', lab.caFile, '--proxy', 'auto'], { HTTPS_PROXY: url });
    expect(run.summary.settings.proxy).toMatchObject({ mode: 'auto', source: 'HTTPS_PROXY' });
    const { page, requests, errors, close } = await open(run.html);
    try {
      const order = await page.locator('section[id]').evaluateAll((els) => els.map((e) => e.id));
      expect(order.slice(0, 3)).toEqual(['verdict', 'proxy', 'dns']);
      const text = await page.locator('#proxy').innerText();
      expect(text).toContain(`Probed through ${url} (--proxy auto, from HTTPS_PROXY; HTTP CONNECT).`);
      expect(text).toContain("DNS of smtp.gmail.com is the proxy's business on this path: not resolved here.");
      expect(text).toContain(run.summary.comparison!.text);
      expect(text).toMatch(/Discovered: HTTPS_PROXY http:\/\/127\.0\.0\.1:\d+/);
      expect(await page.locator('#proxy table tr').count()).toBe(3);
      expect(await page.locator('#verdict').innerText()).toContain(`proxy variables HTTPS_PROXY=${url}`);
      await page.screenshot({ path: join(SHOTS, 'report-proxy.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await close();
    }
  }, 90_000);
});

describe.runIf(dovecotAvailable())('report.html of smtp-probe imap against Dovecot', () => {
  let dv: LabDovecot;
  let dir = '';
  let ca = '';
  beforeAll(async () => {
    const pki = makePki(tempDir('html-dovecot-pki-'));
    ca = pki.caCert;
    // Under /tmp: Dovecot's processes drop root.
    dir = mkdtempSync(join(tmpdir(), 'smtp-probe-html-dovecot-'));
    dv = await startDovecot(dir, pki);
  }, 60_000);
  afterAll(async () => {
    await dv?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the verdict and a row per port, offline', async () => {
    const out = tempDir('html-imap-');
    const r = await runCli(['imap', '--json', '--out', out, '--host', dv.host, '--ca', ca, '--port', `${dv.imaps}:implicit`, '--port', `${dv.imap}:starttls`, '--timeout', '8s']);
    const s = JSON.parse(r.stdout) as { run: { id: string }; verdict: { class: string; summary: string; next_step: string }; attempts: unknown[] };
    expect(s.verdict.class).toBe('ok');
    const { page, requests, errors, close } = await open(join(out, s.run.id, 'report.html'));
    try {
      expect(await page.locator('body').innerText()).toContain(`ok ${s.verdict.summary}`);
      expect(await page.locator('body').innerText()).toContain(`next step: ${s.verdict.next_step}`);
      expect(await page.locator('#mailread tbody tr').count()).toBe(2);
      expect(await page.locator('#mailread tbody').innerText()).toMatch(/TLSv1\.[23] \S+, verified/);
      await page.screenshot({ path: join(SHOTS, 'report-imap.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await close();
    }
  }, 90_000);
});

describe('report.html of smtp-probe health', () => {
  let dns: LabDns;
  beforeAll(async () => {
    // Both providers resolve to an address where nothing listens: every endpoint refuses at connect.
    dns = await startDns({ 'smtp.gmail.com': { A: ['127.18.9.9'] }, 'smtp.sendgrid.net': { A: ['127.18.9.9'] } });
  });
  afterAll(() => dns?.close());

  it('shows the verdict, a line per provider and the endpoints, offline', async () => {
    const out = tempDir('html-health-');
    const r = await runCli(['health', '--json', '--out', out, '--resolver', `127.0.0.1:${dns.port}`, '--provider', 'gmail', '--provider', 'sendgrid', '--timeout', 'connect=3s']);
    const s = HealthSummarySchema.parse(JSON.parse(r.stdout));
    expect(s.verdict.kind).toBe('egress-block');
    expect(s.files).toContain('report.html');
    const file = join(out, s.run.id, 'report.html');
    const zip = await unzip(join(out, s.run.id, 'attachments/all_files.zip'));
    expect(zip.get('report.html')?.toString('utf8')).toBe(readFileSync(file, 'utf8'));
    const { page, requests, errors, close } = await open(file);
    try {
      const verdict = page.locator('#verdict');
      expect(await verdict.isVisible()).toBe(true);
      expect(await verdict.innerText()).toContain(s.verdict.summary);
      expect(await verdict.innerText()).toContain(`Next step: ${s.verdict.next_step}`);
      expect(await verdict.evaluate((e) => (globalThis as unknown as { getComputedStyle(x: unknown): { borderTopWidth: string } }).getComputedStyle(e).borderTopWidth)).toBe('2px');
      expect(await page.locator('#providers li').allInnerTexts()).toEqual(s.providers.map((p) => `${p.status} ${p.line} (network)`));
      expect(await page.locator('#endpoints tbody tr').count()).toBe(s.providers.flatMap((p) => p.endpoints).length);
      await page.screenshot({ path: join(SHOTS, 'report-health.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await close();
    }
  }, 90_000);
});

describe('report.html of a server with a hostile banner', () => {
  let server: Server;
  beforeAll(async () => {
    // Just enough SMTP for the probe to get through EHLO and QUIT, every reply carrying markup.
    server = createServer((sock) => {
      sock.write(`220 ${HOSTILE} ESMTP\r\n`);
      let buf = '';
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
          const line = buf.slice(0, i).toUpperCase();
          buf = buf.slice(i + 2);
          if (line.startsWith('EHLO')) sock.write(`250-hostile.lab ${HOSTILE}\r\n250 SIZE 1000\r\n`);
          else if (line.startsWith('QUIT')) sock.end(`221 ${HOSTILE} bye\r\n`);
          else sock.write(`250 ${HOSTILE}\r\n`);
        }
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('shows the markup as text: no script runs, no image is fetched', async () => {
    const port = (server.address() as { port: number }).port;
    const run = await probeRun(['--host', '127.0.0.1', '--port', `${port}:plain`]);
    expect(run.summary.attempts[0]!.smtp.banner?.lines[0]).toContain(HOSTILE);
    const { page, requests, errors, close } = await open(run.html);
    try {
      expect(await page.locator('#smtp').innerText()).toContain(`220 ${HOSTILE} ESMTP`);
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('script').count()).toBe(0);
      await page.locator('#transcripts summary').first().click();
      expect(await page.locator('#transcripts pre').first().innerText()).toContain(`S  250-hostile.lab ${HOSTILE}`);
      await page.screenshot({ path: join(SHOTS, 'report-hostile.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe('fleet_report.html of a sweep', () => {
  const inv = parseInventory(
    `version: 1
defaults: { os: linux, transport: ssh, user: bot, auth: { agent: true } }
groups:
  paris: { tags: [paris] }
  lyon: { tags: [lyon] }
hosts:
  - { name: p1, address: 10.0.0.1, tags: [paris, prod] }
  - { name: p2, address: 10.0.0.2, tags: [paris, prod] }
  - { name: p3, address: 10.0.0.3, tags: [paris] }
  - { name: t1, address: 10.0.1.1, tags: [lyon, prod] }
  - { name: t2, address: 10.0.1.2, tags: [lyon] }
  - { name: t3, address: 10.0.1.3, tags: [lyon] }
  - { name: a1, address: 10.0.2.1, tags: [lyon] }
  - { name: u1, address: 10.0.3.1, tags: [paris] }
  - { name: u2, address: 10.0.3.2 }
  - { name: w1, address: 10.0.7.1, os: windows, transport: winrm, auth: { passwordEnv: W } }
`,
    'fleet.yml',
  );
  const common = (sweep_id: string, host: string) => ({ sweep_id, host, transport: 'ssh' as const, job_id: `${sweep_id}:${host}`, job_attempts: 1, started_at: '2026-11-22T02:00:00.000Z', finished_at: '2026-11-22T02:01:00.000Z', duration_ms: 1500 });
  const probed = (sweep_id: string, host: string, cls: FailureClass, evidence: string, totals_ms: number[], next_step = 'n', findings: string[] = []): HostResult =>
    HostResultSchema.parse({
      findings,
      schema: 'smtp-fleet/host-result', schema_version: 2, ...common(sweep_id, host), status: 'probed',
      verdict: { class: cls, exit_code: EXIT_CODES[cls], partial: false, hint_id: cls === 'ok' ? 'ok' : `${cls}-x`, summary: 's', evidence, next_step },
      attempts: { ok: cls === 'ok' ? totals_ms.length : 0, total: totals_ms.length, totals_ms }, server: 'smtp.gmail.com', ports: [{ port: 587, mode: 'starttls' }], egress_ips: ['203.0.113.7'], payload_version: '0.1.0',
      zip: { path: `sweeps/${sweep_id}/hosts/${host}/result.zip`, sha256: 'a'.repeat(64), bytes: 12345 }, transport_stats: { uploaded_bytes: 0, cache_hit: true },
    });
  const tls = (ip: string) => `TLS ${ip}:587 (SNI smtp.gmail.com): SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain; issuer CN=Fortinet_CA_SSL`;
  const names = inv.hosts.map((h) => h.name);
  let html = '';

  beforeAll(async () => {
    const store = await Store.open(tempDir('fleet-html-'));
    const sweep = (id: string, created: string) =>
      store.createSweep({ schema: 'smtp-fleet/sweep', schema_version: 3, id, created, kind: 'sweep', selection: {}, hosts: names, targets: inv.hosts, options: { auth_test: false } });
    await sweep('S1', '2026-11-21T02:00:00.000Z');
    for (const h of ['p1', 'p3', 't1', 't2', 't3', 'a1', 'u1', 'u2', 'w1']) await store.writeHostResult(probed('S1', h, 'ok', 'S: 250 2.0.0 OK', [100]));
    await store.writeHostResult(probed('S1', 'p2', 'tls', tls('142.250.1.108'), [300]));
    await aggregateSweep(store, 'S1');
    await sweep('S2', '2026-11-22T02:00:00.000Z');
    const results = [
      probed('S2', 'p1', 'ok', 'S: 250 2.0.0 OK', [100, 110], 'n', ['starttls-not-required:587', 'made-up-finding:25']),
      probed('S2', 'p2', 'ok', 'S: 250 2.0.0 OK', [130, 140]),
      probed('S2', 'p3', 'ok', 'S: 250 2.0.0 OK', [90, 95]),
      probed('S2', 't1', 'tls', tls('142.250.1.108'), [300, 310], 'have the proxy team exempt smtp.gmail.com from TLS inspection', ['preset-issuer-unexpected:587', 'tls-version-mismatch:587']),
      probed('S2', 't2', 'tls', tls('142.250.1.109'), [1100, 1200], 'have the proxy team exempt smtp.gmail.com from TLS inspection', ['preset-issuer-unexpected:587']),
      probed('S2', 't3', 'tls', tls('142.250.1.110'), [340, 350], 'have the proxy team exempt smtp.gmail.com from TLS inspection'),
      probed('S2', 'a1', 'auth', 'S: 535 5.7.8 Username and Password not accepted', [900, 2000]),
      probed('S2', 'w1', 'unknown', `S: 599 ${HOSTILE}`, [50]),
      transportFailureResult(common('S2', 'u1'), { code: 'unreachable', message: 'connect ECONNREFUSED 10.0.3.1:22' }),
      transportFailureResult(common('S2', 'u2'), { code: 'timeout', message: 'ssh handshake with u2 timed out after 10000 ms' }),
    ];
    for (const r of results) await store.writeHostResult(r);
    await aggregateSweep(store, 'S2');
    html = join(store.sweepDir('S2'), FLEET_REPORT_HTML_FILE);
  });

  const visibleRunners = (page: Page) => page.locator('#runners tbody tr:visible');
  const column = (page: Page, i: number) => page.locator(`#runners tbody tr:visible td:nth-child(${i})`).allInnerTexts();

  it('shows counts, changes, grouped failures and runners not reached; filters and sorts the table', async () => {
    expect(statSync(html).size).toBeLessThan(60_000);
    copyFileSync(html, join(SHOTS, 'fleet_report.html'));
    const { page, requests, errors, close } = await open(html);
    try {
      expect(await page.locator('#counts').innerText()).toMatch(/3\s*ok[\s\S]*3\s*tls[\s\S]*2\s*unreachable/);
      const changes = await page.locator('#changes').innerText();
      expect(changes).toContain('Changes since sweep S1');
      expect(changes).toMatch(/New failure: t1 ok → tls/);
      expect(changes).toMatch(/Recovered: p2 tls → ok/);
      const group = page.locator('#failures .group').first();
      expect(await group.innerText()).toMatch(/tls\s+3 runners[\s\S]*Next step: have the proxy team exempt[\s\S]*t1 t2 t3/);
      // Runners by finding: largest group first, each id with its label and next step (an unknown id without).
      const findings = page.locator('#findings .group');
      expect(await findings.count()).toBe(4);
      expect(await findings.first().innerText()).toMatch(/^preset-issuer-unexpected:587 provider preset: certificate from another issuer than the provider's: 2 runners\s+Next step: The connection is decrypted on the way[^\n]*\s+t1 t2$/);
      expect(await findings.nth(1).innerText()).toMatch(/^made-up-finding:25: 1 runner\s+p1$/);
      expect(await page.locator('#findings').innerText()).toMatch(/tls-version-mismatch:587 TLS: server allows only versions this runtime does not offer: 1 runner\s+Next step: Enable TLS 1\.2[^\n]*\s+t1/);
      const unreached = await page.locator('#unreachable').innerText();
      for (const h of ['u1', 'u2']) expect(unreached).toMatch(new RegExp(`^${h}$`, 'm'));
      expect(await page.locator('#failures').innerText()).toContain('S: 599 <script>alert(1)</script><img src="http://<ip>:9/beacon.png">');
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('#timings svg rect').count()).toBeGreaterThan(0);

      expect(await visibleRunners(page).count()).toBe(10);
      expect(await page.locator('#shown').innerText()).toBe('10 of 10 runners shown');
      await page.locator('#q').fill('lyon');
      expect(await visibleRunners(page).count()).toBe(4);
      await page.locator('#cls').selectOption('tls');
      expect(await column(page, 1)).toEqual(['t1', 't2', 't3']);
      await page.locator('#q').fill('');
      expect(await visibleRunners(page).count()).toBe(3);
      await page.locator('#cls').selectOption('');
      // Sort by median attempt time: numbers, not text ("1.1 s" after "900 ms"); the unreached last.
      await page.locator('#runners th', { hasText: 'median attempt' }).locator('button').click();
      expect(await column(page, 1)).toEqual(['w1', 'p3', 'p1', 'p2', 't1', 't3', 'a1', 't2', 'u1', 'u2']);
      await page.locator('#runners th', { hasText: 'median attempt' }).locator('button').click();
      expect(await column(page, 1)).toEqual(['u1', 'u2', 't2', 'a1', 't3', 't1', 'p2', 'p1', 'p3', 'w1']);
      await page.locator('#runners th', { hasText: 'runner' }).first().locator('button').click();
      expect(await column(page, 1)).toEqual([...names].sort());
      await page.locator('#cls').selectOption('unreachable');
      await page.screenshot({ path: join(SHOTS, 'fleet-filtered.png'), fullPage: true });
      await page.locator('#cls').selectOption('');
      await page.screenshot({ path: join(SHOTS, 'fleet.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await close();
    }
  });

  it('reads the same with JavaScript off: the whole table, no dead filter box', async () => {
    const { page, errors, close } = await open(html, false);
    try {
      expect(await page.locator('#headline').innerText()).toContain('3 of 8 probed runners can send');
      expect(await visibleRunners(page).count()).toBe(10);
      expect(await page.locator('#filter').isVisible()).toBe(false);
      await page.screenshot({ path: join(SHOTS, 'fleet-nojs.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});

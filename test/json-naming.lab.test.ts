// One naming convention for every JSON the project writes: snake_case keys, durations with at
// most two decimals. Walked over the real files of a probe run, a diagnose and a --local fleet
// sweep against the lab (and their --json / --jsonl answers, `sweeps --json`, `history --json`).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../lab/ports.js';
import { filesUnder, runCli, runFolder, tempDir } from './helpers.js';
import { fleet, fleetEnv, startRunners, type FleetEnv, type Runners } from './fleet/harness.js';
import { longDurations, nonSnakeKeys } from './json-keys.js';

const lab = inject('lab');
const jsonFiles = (dir: string) => filesUnder(dir).filter((f) => f.endsWith('.json') && !f.startsWith('raw/'));
const jsonlValues = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);

/** Every offence of `value`, named by where it came from: [] when it follows the convention. */
function offences(where: string, value: unknown): string[] {
  return [...nonSnakeKeys(value).map((k) => `${where}: key ${k}`), ...longDurations(value).map((d) => `${where}: duration ${d}`)];
}

function folderOffences(folder: string): string[] {
  return jsonFiles(folder).flatMap((f) => offences(f, JSON.parse(readFileSync(join(folder, f), 'utf8'))));
}

describe('JSON naming: payload runs', () => {
  it('a probe run: every JSON file, --json and --jsonl snake_case, durations at 2 decimals', async () => {
    const out = tempDir('naming-probe-');
    const jsonl = join(out, 'attempts.jsonl');
    const r = await runCli(['probe', '--out', out, '--resolver', lab.dns.spec, '--ca', lab.caFile, '--port', `${lab.gmail.starttlsPort}:starttls`, '--port', `${lab.gmail.implicitPort}:implicit`, '--json', '--jsonl', jsonl]);
    expect(r.code, r.stderr).toBe(0);
    const folder = runFolder(out);
    expect(jsonFiles(folder)).toEqual(expect.arrayContaining(['probe_summary.json', 'dns_resolution.json', 'env_snapshot.json']));
    // The walk can fail: the run's durations are real measurements, not round numbers.
    const summary = JSON.parse(readFileSync(join(folder, 'probe_summary.json'), 'utf8')) as { attempts: Array<{ duration_ms: number }> };
    expect(summary.attempts.length).toBeGreaterThan(0);
    expect(folderOffences(folder)).toEqual([]);
    expect(offences('--json', JSON.parse(r.stdout))).toEqual([]);
    const lines = jsonlValues(readFileSync(jsonl, 'utf8'));
    expect(lines.length).toBe(summary.attempts.length);
    expect(lines.flatMap((l, i) => offences(`--jsonl line ${i + 1}`, l))).toEqual([]);
  });

  it('a diagnose: the manifest and every collector file too', async () => {
    const out = tempDir('naming-diag-');
    const r = await runCli(['diagnose', '--out', out, '--resolver', lab.dns.spec, '--ca', lab.caFile, '--port', `${lab.gmail.starttlsPort}:starttls`, '--no-ntp']);
    expect(r.code, r.stderr).toBe(0);
    const folder = runFolder(out);
    expect(jsonFiles(folder)).toEqual(expect.arrayContaining(['manifest.json', 'probe_summary.json', 'network_snapshot.json', 'dns_snapshot.json', 'clock.json']));
    expect(folderOffences(folder)).toEqual([]);
  });
});

describe('JSON naming: a --local fleet sweep', () => {
  let dir: string;
  let runners: Runners;
  let f: FleetEnv;
  const LOCAL = ['--redis', 'redis://127.0.0.1:1'];

  beforeAll(async () => {
    dir = tempDir('naming-fleet-');
    runners = await startRunners(dir, 1, 60);
    const down = '127.0.1.69';
    const downPort = await freePort([down]);
    const [a] = runners.sshd;
    const inv = {
      version: 1,
      defaults: { os: 'linux', transport: 'ssh', user: 'root', auth: { key: runners.key.privateKeyPath }, ssh: { knownHosts: runners.knownHosts }, probe: { server: '127.0.0.1', ports: [`${lab.postfix.starttlsPort}:starttls`], flags: { ca: [lab.caFile], 'ehlo-name': 'probe.lab.test' } } },
      hosts: [
        { name: 'good', address: a!.address, port: a!.port, tags: ['good'], probe: { aa: { activity: 'Send invoices', runId: 'run-7' } } },
        { name: 'refused', address: a!.address, port: a!.port, tags: ['bad'], probe: { server: lab.faults.host, ports: [`${lab.faults.ports.auth}:starttls`], smtpAuth: { user: 'good@lab.test', passwordEnv: 'FLEET_SMTP_PASSWORD' } } },
        { name: 'down', address: down, port: downPort },
      ],
    };
    const file = join(dir, 'inventory.json');
    writeFileSync(file, JSON.stringify(inv));
    f = fleetEnv(dir, file);
  }, 60_000);

  afterAll(async () => {
    await runners?.stop();
  });

  it('the store (sweep.json, host_result.json, fleet_summary.json), --json, --jsonl, sweeps --json and history --json', async () => {
    const jsonl = join(dir, 'runners.jsonl');
    for (let i = 0; i < 2; i++) {
      const r = await fleet(f, ['sweep', '--local', '--json', '--jsonl', jsonl, ...LOCAL]);
      expect(r.stderr).toBe('');
      expect(offences(`sweep ${i + 1} --json`, JSON.parse(r.stdout))).toEqual([]);
    }
    const files = jsonFiles(f.store);
    expect(files.filter((x) => x.endsWith('host_result.json'))).toHaveLength(6);
    expect(files.filter((x) => x.endsWith('fleet_summary.json'))).toHaveLength(2);
    expect(folderOffences(f.store)).toEqual([]);
    const summary = JSON.parse(readFileSync(join(f.store, files.find((x) => x.endsWith('fleet_summary.json'))!), 'utf8')) as { schema_version: number; changes: unknown };
    expect(summary.schema_version).toBe(2);
    expect(jsonlValues(readFileSync(jsonl, 'utf8')).flatMap((l, i) => offences(`--jsonl line ${i + 1}`, l))).toEqual([]);
    for (const args of [['sweeps', '--json'], ['history', '--json'], ['history', 'good', '--json']]) {
      const r = await fleet(f, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(offences(args.join(' '), JSON.parse(r.stdout))).toEqual([]);
    }
  }, 180_000);
});

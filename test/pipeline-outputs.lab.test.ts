// --junit and --jsonl as a pipeline runs them: `smtp-probe probe` against the lab (two healthy
// Gmail-like addresses and one that resets), and a `smtp-fleet sweep --local` over a real sshd
// runner and a runner that is down. The JUnit files go through xmllint against the XSD in
// test/fixtures, the lines through their zod schemas, fleet_metrics.prom through promtool.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../lab/ports.js';
import { AttemptLineSchema } from '../payload/schema/attempt-line.js';
import { ProbeSummarySchema } from '../payload/schema/summary.js';
import { RunnerLineSchema } from '../store/fleet-schema.js';
import { ROOT, readJson, runCli, runFolder, tempDir } from './helpers.js';
import { fleet, fleetEnv, startRunners, summaryOf, type Runners } from './fleet/harness.js';

const lab = inject('lab');
const XSD = join(ROOT, 'test/fixtures/junit.xsd');

function validates(file: string): void {
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  expect(r.stderr, r.stderr).toMatch(/validates$/m);
  expect(r.status).toBe(0);
}
const xpath = (file: string, expr: string) => execFileSync('xmllint', ['--xpath', `string(${expr})`, file], { encoding: 'utf8' }).replace(/\n$/, '');

describe('smtp-probe probe --junit --jsonl against the lab', () => {
  it('one testcase and one line per address, port and attempt; the resetting address fails, the healthy ones pass', async () => {
    const out = tempDir();
    const junit = join(out, 'smtp-probe.xml');
    const r = await runCli(['probe', '--out', out, '--resolver', lab.dnsFlaky.spec, '--port', `${lab.gmail.starttlsPort}:starttls`, '--attempts', '2', '--ca', lab.caFile, '--junit', junit, '--jsonl', '-']);
    const summary = ProbeSummarySchema.parse(readJson(join(runFolder(out), 'probe_summary.json')));
    expect(summary.attempts).toHaveLength(6);
    expect(r.code).toBe(summary.verdict.exit_code);
    validates(junit);
    expect(xpath(junit, 'count(//testcase)')).toBe('6');
    const failing = summary.attempts.filter((a) => a.classification.class !== 'ok');
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.every((a) => a.ip === lab.gmail.resetting)).toBe(true);
    expect(xpath(junit, '/testsuites/@failures')).toBe(String(failing.length));
    for (const a of summary.attempts) {
      const tc = `//testcase[@name='${a.ip}:${a.port}/starttls attempt ${a.round}']`;
      expect(xpath(junit, `${tc}/@classname`)).toBe(`smtp-probe.smtp.gmail.com.${a.port}`);
      expect(Number(xpath(junit, `${tc}/@time`))).toBeCloseTo(a.duration_ms / 1000, 2);
      if (a.classification.class === 'ok') expect(xpath(junit, `count(${tc}/failure)`)).toBe('0');
      else {
        expect(xpath(junit, `${tc}/failure/@type`)).toBe(a.classification.class);
        expect(xpath(junit, `${tc}/failure/@message`)).toBe(a.classification.evidence);
        expect(xpath(junit, `${tc}/failure`)).toContain(`next step: ${a.classification.next_step}`);
      }
    }
    // `--jsonl -`: stdout holds the lines and nothing else.
    const lines = r.stdout.trimEnd().split('\n').map((l) => AttemptLineSchema.parse(JSON.parse(l)));
    expect(lines.map((l) => [l.attempt_id, l.address, l.class])).toEqual(summary.attempts.map((a) => [a.id, a.ip, a.classification.class]));
    expect(lines.filter((l) => l.ok).every((l) => l.tls_verified === true && l.tls_protocol !== null)).toBe(true);
  });

  it.each([
    ['a --junit folder that does not exist', ['--junit', '/nonexistent/dir/j.xml'], /^smtp-probe: error: cannot write --junit "\/nonexistent\/dir\/j\.xml": ENOENT$/],
    ['--jsonl - with --json', ['--jsonl', '-', '--json'], /--jsonl - and --json both want stdout/],
  ])('%s: one line, exit 2, nothing probed', async (_what, args, message) => {
    const out = tempDir();
    const r = await runCli(['probe', '--host', '127.0.0.1', '--port', '1', '--out', out, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('smtp-fleet sweep --junit --jsonl over a real runner and a down one', () => {
  let runners: Runners;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('fleet-outputs-');
    runners = await startRunners(dir, 1, 47);
  }, 60_000);
  afterAll(async () => {
    await runners?.stop();
  });

  it('the probed runner is a passing testcase, the down one an <error>; fleet_metrics.prom passes promtool', async () => {
    const [s] = runners.sshd;
    const downPort = await freePort(['127.0.1.48']);
    const inv = join(dir, 'inventory.json');
    writeFileSync(
      inv,
      JSON.stringify({
        version: 1,
        defaults: { os: 'linux', transport: 'ssh', user: 'root', auth: { key: runners.key.privateKeyPath }, ssh: { knownHosts: runners.knownHosts }, probe: { server: '127.0.0.1', ports: [`${lab.postfix.starttlsPort}:starttls`], flags: { ca: [lab.caFile] } } },
        groups: { paris: { hosts: ['good'] } },
        hosts: [
          { name: 'good', address: s!.address, port: s!.port },
          { name: 'down', address: '127.0.1.48', port: downPort },
        ],
      }),
    );
    const f = fleetEnv(dir, inv, 'redis://127.0.0.1:1');
    const junit = join(dir, 'fleet.xml');
    const jsonl = join(dir, 'fleet.jsonl');
    const r = await fleet(f, ['sweep', '--local', '--json', '--attempts', '1', '--junit', junit, '--jsonl', jsonl]);
    expect(r.code, r.stderr).toBe(4);
    const summary = summaryOf(r);
    expect(summary.counts).toMatchObject({ probed: 1, ok: 1, unreachable: 1 });

    validates(junit);
    expect(xpath(junit, 'count(//testcase)')).toBe('2');
    expect(xpath(junit, '/testsuites/@failures')).toBe('0');
    expect(xpath(junit, '/testsuites/@errors')).toBe('1');
    expect(xpath(junit, "//testcase[@name='good']/@classname")).toBe('smtp-fleet.paris');
    expect(xpath(junit, "count(//testcase[@name='good']/failure | //testcase[@name='good']/error)")).toBe('0');
    expect(xpath(junit, "//testcase[@name='down']/error/@type")).toBe('unreachable');
    expect(xpath(junit, "//testcase[@name='down']/error/@message")).toBe(summary.hosts.find((h) => h.name === 'down')!.detail);
    expect(xpath(junit, '/testsuites/testsuite/@timestamp')).toBe(summary.sweep.created.slice(0, 19));

    const lines = readFileSync(jsonl, 'utf8').trimEnd().split('\n').map((l) => RunnerLineSchema.parse(JSON.parse(l)));
    expect(lines.map((l) => [l.host, l.status, l.class, l.reached])).toEqual([['good', 'probed', 'ok', true], ['down', 'unreachable', 'unreachable', false]]);

    const prom = join(f.store, 'sweeps', summary.sweep.id, 'fleet_metrics.prom');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: readFileSync(prom), encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
    const text = readFileSync(prom, 'utf8');
    expect(text).toContain('smtp_fleet_runners{class="ok"} 1');
    expect(text).toContain('smtp_fleet_runners_not_reached{status="unreachable"} 1');
    expect(text).toContain('smtp_fleet_success_ratio 1');
    expect(text).toMatch(/^smtp_fleet_attempt_duration_seconds_count 1$/m);
  }, 120_000);
});

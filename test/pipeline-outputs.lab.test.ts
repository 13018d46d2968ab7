// The pipeline outputs read by real readers: JUnit XML by libxml2's xmllint against the XSD in
// test/fixtures (then read back by XPath), fleet_metrics.prom by promtool, Prometheus' own
// checker. First the writers on hostile input (no lab needed, but these start processes, which
// the unit project does not), then `smtp-probe probe --junit --jsonl -` against the lab (two
// healthy Gmail-like addresses and one that resets) and a `smtp-fleet sweep --local` over a
// real sshd runner and a runner that is down.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../lab/ports.js';
import { AttemptLineSchema } from '../payload/schema/attempt-line.js';
import { ProbeSummarySchema } from '../payload/schema/summary.js';
import { RunnerLineSchema } from '../store/fleet-schema.js';
import { probeJunit } from '../payload/report/probe-outputs.js';
import { xmlSafe } from '../payload/report/xml.js';
import { aggregate } from '../store/aggregate.js';
import { attemptDurationsMs, renderFleetMetrics } from '../store/fleet-metrics.js';
import { fleetJunit } from '../store/fleet-outputs.js';
import { ROOT, readJson, runCli, runFolder, tempDir } from './helpers.js';
import { fleet, fleetEnv, startRunners, summaryOf, type Runners } from './fleet/harness.js';
import { HOSTILE, fleetSummary, meta, results, summary } from './pipeline-fixtures.js';

const lab = inject('lab');
const XSD = join(ROOT, 'test/fixtures/junit.xsd');

function validates(file: string): void {
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  expect(r.stderr, r.stderr).toMatch(/validates$/m);
  expect(r.status).toBe(0);
}
const xpath = (file: string, expr: string) => execFileSync('xmllint', ['--xpath', `string(${expr})`, file], { encoding: 'utf8' }).replace(/\n$/, '');

function saved(xml: string): string {
  const file = join(tempDir('junit-'), 'junit.xml');
  writeFileSync(file, xml);
  return file;
}

function promtool(text: string | Buffer): { status: number | null; out: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('the writers on hostile input, checked by xmllint and promtool', () => {
  it('probe JUnit: valid against the XSD, one testcase per attempt, the hostile evidence read back intact', () => {
    const s = summary();
    const file = saved(probeJunit(s, 'runner-01'));
    validates(file);
    expect(xpath(file, 'count(//testcase)')).toBe(String(s.attempts.length));
    expect(xpath(file, '/testsuites/testsuite/@tests')).toBe('4');
    expect(xpath(file, '/testsuites/testsuite/@failures')).toBe('3');
    expect(xpath(file, '/testsuites/testsuite/@hostname')).toBe('runner-01');
    expect(xpath(file, '/testsuites/testsuite/@timestamp')).toBe(s.run.started_at.slice(0, 19));
    const first = '//testcase[1]';
    expect(xpath(file, `${first}/@classname`)).toBe('smtp-probe.smtp.example.test.1');
    expect(xpath(file, `${first}/@name`)).toBe('192.0.2.10:1/starttls attempt 1');
    expect(xpath(file, `${first}/@time`)).toBe((s.attempts[0]!.duration_ms / 1000).toFixed(3));
    expect(xpath(file, `${first}/failure/@type`)).toBe('unknown');
    expect(xpath(file, `${first}/failure/@message`)).toBe(xmlSafe(HOSTILE));
    expect(xpath(file, `${first}/failure`)).toContain(`next step: ${s.attempts[0]!.classification.next_step}`);
    expect(xpath(file, 'count(//testcase[2]/failure)')).toBe('0');
    expect(xpath(file, '//testcase[3]/@name')).toBe('192.0.2.10:1/starttls attempt 2');
  });

  it('probe JUnit of a run that resolved no address: one failing testcase, still valid', () => {
    const s = summary();
    s.attempts = [];
    Object.assign(s.verdict, { class: 'dns', hint_id: 'dns-nxdomain', evidence: 'NXDOMAIN smtp.example.test' });
    const file = saved(probeJunit(s, 'runner-01'));
    validates(file);
    expect(xpath(file, '//testcase/@classname')).toBe('smtp-probe.smtp.example.test.dns');
    expect(xpath(file, '//testcase/failure/@type')).toBe('dns');
  });

  it('the same evidence unescaped is what breaks a reader: xmllint refuses it', () => {
    const file = saved(`<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="0" failures="0" errors="0"><testsuite name="x" tests="0" failures="0" errors="0" skipped="0" time="0" timestamp="2026-01-01T00:00:00" hostname="h">\x1b</testsuite></testsuites>\n`);
    expect(spawnSync('xmllint', ['--noout', '--schema', XSD, file]).status).not.toBe(0);
  });

  it('fleet JUnit: one testcase per runner; an SMTP failure is <failure>, a runner not reached is <error>', () => {
    const file = saved(fleetJunit(fleetSummary(), results, 'controller-1'));
    validates(file);
    expect(xpath(file, 'count(//testcase)')).toBe('4');
    expect(xpath(file, '/testsuites/@failures')).toBe('1');
    expect(xpath(file, '/testsuites/@errors')).toBe('1');
    expect(xpath(file, '/testsuites/testsuite/@time')).toBe('120.000');
    expect(xpath(file, "//testcase[@name='p2']/@classname")).toBe('smtp-fleet.paris');
    expect(xpath(file, "//testcase[@name='p2']/failure/@type")).toBe('tls');
    expect(xpath(file, "//testcase[@name='p2']/failure/@message")).toBe(xmlSafe(HOSTILE));
    expect(xpath(file, "//testcase[@name='p2']/failure")).toContain('next step: fix tls');
    expect(xpath(file, "//testcase[@name='u1']/error/@type")).toBe('unreachable');
    expect(xpath(file, "//testcase[@name='u1']/error/@message")).toContain('ECONNREFUSED');
    expect(xpath(file, "count(//testcase[@name='u1']/failure)")).toBe('0');
    expect(xpath(file, "//testcase[@name='p1']/@time")).toBe('2.500');
  });

  it('fleet_metrics.prom passes promtool check metrics: a sweep, hostile label values, an empty sweep', () => {
    expect(promtool(renderFleetMetrics(fleetSummary(), attemptDurationsMs(fleetSummary(), results)))).toEqual({ status: 0, out: '' });
    const s = fleetSummary();
    s.by_group = [{ ...s.by_group[0]!, name: 'evil"} 1\nsmtp_fleet_fake 9 \\' }];
    expect(promtool(renderFleetMetrics(s, attemptDurationsMs(s, results)))).toEqual({ status: 0, out: '' });
    expect(promtool(renderFleetMetrics(aggregate({ ...meta, hosts: [] }, [], [], null), []))).toEqual({ status: 0, out: '' });
    // promtool does read: an unescaped quote in a label value is refused.
    expect(promtool('# TYPE x gauge\nx{a="b"c"} 1\n').status).not.toBe(0);
  });
});

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
    expect(promtool(readFileSync(prom))).toEqual({ status: 0, out: '' });

    // After the fact (a sweep run with --detach): `report` writes the same files from the store.
    const again = join(dir, 'again.xml');
    const rep = await fleet(f, ['report', summary.sweep.id, '--junit', again, '--jsonl', '-']);
    expect(rep.code, rep.stderr).toBe(4);
    validates(again);
    expect(xpath(again, "//testcase[@name='down']/error/@type")).toBe('unreachable');
    expect(rep.stdout).toBe(readFileSync(jsonl, 'utf8'));
    const text = readFileSync(prom, 'utf8');
    expect(text).toContain('smtp_fleet_runners{class="ok"} 1');
    expect(text).toContain('smtp_fleet_runners_not_reached{status="unreachable"} 1');
    expect(text).toContain('smtp_fleet_success_ratio 1');
    expect(text).toMatch(/^smtp_fleet_attempt_duration_seconds_count 1$/m);
  }, 120_000);
});

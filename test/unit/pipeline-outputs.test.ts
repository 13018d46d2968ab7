// The files pipelines and monitors read: JUnit XML (checked by libxml2's xmllint against the
// XSD in test/fixtures, then read back with XPath), JSON lines (parsed back through their zod
// schema) and the fleet's Prometheus metrics (checked by promtool, Prometheus' own checker).
// The evidence is a hostile server's: control characters, markup, a lone surrogate.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../inventory/load.js';
import { EXIT_CODES } from '../../payload/classify/classes.js';
import { jsonLines } from '../../payload/report/jsonl.js';
import { checkOutputPath, writeOutputFile } from '../../payload/report/output-file.js';
import { attemptLines, probeJunit } from '../../payload/report/probe-outputs.js';
import { xmlAttr, xmlSafe, xmlText } from '../../payload/report/xml.js';
import { AttemptLineSchema } from '../../payload/schema/attempt-line.js';
import { ProbeSummarySchema, type ProbeSummary } from '../../payload/schema/summary.js';
import { UsageError } from '../../payload/util/errors.js';
import { aggregate } from '../../store/aggregate.js';
import { escapeHelp, escapeLabelValue, renderFleetMetrics } from '../../store/fleet-metrics.js';
import { fleetJunit, runnerLines } from '../../store/fleet-outputs.js';
import { HostResultSchema, RunnerLineSchema, transportFailureResult, type HostResult, type SweepMeta } from '../../store/fleet-schema.js';
import { aggregateSweep } from '../../store/report.js';
import { FLEET_METRICS_FILE, Store } from '../../store/store.js';
import { ROOT, tempDir } from '../helpers.js';

const XSD = join(ROOT, 'test/fixtures/junit.xsd');
const HOSTILE = `220 \x00\x1b[31mEVIL\x1b[0m <script>&amp; "quoted" 'single' ]]> \uFFFE \uD800 \u2028 \u{1F600}\r\n2nd line`;

/** xmllint --schema: exit 0 and "validates", or the test fails with libxml2's words. */
function validate(xml: string): void {
  const file = join(tempDir('junit-'), 'junit.xml');
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  expect(r.stderr, r.stderr).toMatch(/validates$/m);
  expect(r.status).toBe(0);
}

/** One XPath string value, as libxml2 parses the file. */
function xpath(xml: string, expr: string): string {
  const file = join(tempDir('junit-'), 'junit.xml');
  writeFileSync(file, xml);
  return execFileSync('xmllint', ['--xpath', `string(${expr})`, file], { encoding: 'utf8' }).replace(/\n$/, '');
}

function promtool(text: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

function summary(): ProbeSummary {
  const s = ProbeSummarySchema.parse(JSON.parse(readFileSync(join(ROOT, 'test/fixtures/probe-summary-refused.json'), 'utf8')));
  s.attempts[0]!.classification.evidence = HOSTILE;
  s.attempts[0]!.classification.class = 'unknown';
  const ok = s.attempts[1]!;
  ok.classification = { class: 'ok', hint_id: 'ok', summary: 'the full path works', evidence: 'NOOP 250', next_step: 'nothing to fix' };
  ok.failed_stage = null;
  return s;
}

describe('XML escaping', () => {
  it('writes characters XML 1.0 forbids as visible escapes and keeps the rest', () => {
    expect(xmlSafe(HOSTILE)).toBe(`220 \\x00\\x1B[31mEVIL\\x1B[0m <script>&amp; "quoted" 'single' ]]> \\uFFFE \\uD800 \u2028 \u{1F600}\r\n2nd line`);
    expect(xmlText('a<b>&c\r')).toBe('a&lt;b&gt;&amp;c&#13;');
    expect(xmlAttr('"x"\t\n')).toBe('&quot;x&quot;&#9;&#10;');
  });
});

describe('smtp-probe --junit and --jsonl writers', () => {
  it('JUnit: valid against the XSD, one testcase per attempt, the hostile evidence read back intact', () => {
    const s = summary();
    const xml = probeJunit(s, 'runner-01');
    validate(xml);
    expect(xpath(xml, 'count(//testcase)')).toBe(String(s.attempts.length));
    expect(xpath(xml, '/testsuites/testsuite/@tests')).toBe('4');
    expect(xpath(xml, '/testsuites/testsuite/@failures')).toBe('3');
    expect(xpath(xml, '/testsuites/testsuite/@hostname')).toBe('runner-01');
    expect(xpath(xml, '/testsuites/testsuite/@timestamp')).toBe(s.run.started_at.slice(0, 19));
    const first = '//testcase[1]';
    expect(xpath(xml, `${first}/@classname`)).toBe('smtp-probe.smtp.example.test.1');
    expect(xpath(xml, `${first}/@name`)).toBe('192.0.2.10:1/starttls attempt 1');
    expect(xpath(xml, `${first}/@time`)).toBe((s.attempts[0]!.duration_ms / 1000).toFixed(3));
    expect(xpath(xml, `${first}/failure/@type`)).toBe('unknown');
    expect(xpath(xml, `${first}/failure/@message`)).toBe(xmlSafe(HOSTILE));
    expect(xpath(xml, `${first}/failure`)).toContain(`next step: ${s.attempts[0]!.classification.next_step}`);
    expect(xpath(xml, 'count(//testcase[2]/failure)')).toBe('0');
    expect(xpath(xml, '//testcase[3]/@name')).toBe('192.0.2.10:1/starttls attempt 2');
  });

  it('JUnit and JSON lines of a run that resolved no address: one failing test, one line', () => {
    const s = summary();
    s.attempts = [];
    Object.assign(s.verdict, { class: 'dns', hint_id: 'dns-nxdomain', evidence: 'NXDOMAIN smtp.example.test' });
    const xml = probeJunit(s, 'runner-01');
    validate(xml);
    expect(xpath(xml, '//testcase/@classname')).toBe('smtp-probe.smtp.example.test.dns');
    expect(xpath(xml, '//testcase/failure/@type')).toBe('dns');
    const lines = attemptLines(s, 'runner-01');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ address: null, port: null, class: 'dns', failed_stage: 'dns', ok: false });
  });

  it('JSON lines: one per attempt, each parsed back through its schema, the evidence byte for byte', () => {
    const s = summary();
    const text = jsonLines(attemptLines(s, 'runner-01'));
    expect(text).not.toContain('\u2028');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(s.attempts.length);
    const parsed = lines.map((l) => AttemptLineSchema.parse(JSON.parse(l)));
    expect(parsed[0]).toMatchObject({ schema: 'smtp-probe/attempt', schema_version: 1, attempt_id: '001', address: '192.0.2.10', port: 1, mode: 'starttls', class: 'unknown', ok: false });
    expect(parsed[0]!.evidence).toBe(HOSTILE);
    expect(parsed[1]).toMatchObject({ class: 'ok', ok: true, failed_stage: null });
  });

  it('output paths: checked before the run, written whole (no temporary file left)', () => {
    const dir = tempDir('outputs-');
    expect(() => checkOutputPath('--junit', join(dir, 'missing', 'j.xml'))).toThrow(/cannot write --junit ".*missing\/j\.xml": ENOENT/);
    expect(() => checkOutputPath('--junit', dir)).toThrow(/EISDIR/);
    expect(() => checkOutputPath('--junit', '-')).toThrow(UsageError);
    expect(() => checkOutputPath('--jsonl', '-', true)).not.toThrow();
    writeOutputFile('--junit', join(dir, 'j.xml'), 'one');
    writeOutputFile('--junit', join(dir, 'j.xml'), 'two');
    expect(readdirSync(dir)).toEqual(['j.xml']);
    expect(readFileSync(join(dir, 'j.xml'), 'utf8')).toBe('two');
  });
});

// ---- fleet ----

const inv = parseInventory(
  `version: 1
defaults: { os: linux, transport: ssh, user: bot, auth: { agent: true } }
groups:
  paris: { tags: [paris] }
hosts:
  - { name: p1, address: 10.0.0.1, tags: [paris] }
  - { name: p2, address: 10.0.0.2, tags: [paris] }
  - { name: t1, address: 10.0.1.1 }
  - { name: u1, address: 10.0.3.1 }
`,
  'fleet.yml',
);
const SWEEP = '20261122-020000-abcd';
const meta: SweepMeta = {
  schema: 'smtp-fleet/sweep',
  schema_version: 1,
  id: SWEEP,
  created: '2026-11-22T02:00:00.000Z',
  kind: 'sweep',
  selection: { hosts: [], tags: [], groups: [], limit: null },
  hosts: inv.hosts.map((h) => h.name),
  targets: inv.hosts,
  options: { authTest: false, authMaxPerAccount: null, inventory: 'fleet.yml', concurrency: null, payloadVersion: null },
};
const common = (host: string, finishedAt = '2026-11-22T02:01:30.000Z') => ({ sweepId: SWEEP, host, transport: 'ssh' as const, jobId: null, jobAttempts: 1, startedAt: '2026-11-22T02:00:01.000Z', finishedAt, durationMs: 2500 });
function probed(host: string, cls: 'ok' | 'tls', evidence: string, totalsMs: number[]): HostResult {
  return HostResultSchema.parse({
    schema: 'smtp-fleet/host-result',
    schema_version: 1,
    ...common(host),
    status: 'probed',
    verdict: { class: cls, exitCode: EXIT_CODES[cls], partial: false, hintId: cls === 'ok' ? 'ok' : 'tls-untrusted', summary: `summary of ${cls}`, evidence, nextStep: `fix ${cls}` },
    attempts: { ok: cls === 'ok' ? totalsMs.length : 0, total: totalsMs.length, totalsMs },
    server: 'smtp.gmail.com',
    ports: [{ port: 587, mode: 'starttls' }],
    egressIps: [],
    payloadVersion: '0.1.0',
    zip: { path: `sweeps/${SWEEP}/hosts/${host}/result.zip`, sha256: 'a'.repeat(64), bytes: 10 },
    transportStats: { uploadedBytes: 0, cacheHit: true },
  });
}
const results: HostResult[] = [
  probed('p1', 'ok', 'NOOP 250', [100, 200, 300, 400]),
  probed('p2', 'tls', HOSTILE, [1500, 2500]),
  probed('t1', 'ok', 'NOOP 250', [50]),
  transportFailureResult(common('u1', '2026-11-22T02:02:00.000Z'), { code: 'unreachable', message: 'connect ECONNREFUSED 10.0.3.1:22' }),
];
const fleetSummary = () => aggregate(meta, results, inv.hosts, null, new Date('2026-11-22T02:03:00.000Z'));

describe('smtp-fleet --junit and --jsonl writers', () => {
  it('JUnit: one testcase per runner; an SMTP failure is <failure>, a runner not reached is <error>', () => {
    const xml = fleetJunit(fleetSummary(), results, 'controller-1');
    validate(xml);
    expect(xpath(xml, 'count(//testcase)')).toBe('4');
    expect(xpath(xml, '/testsuites/@failures')).toBe('1');
    expect(xpath(xml, '/testsuites/@errors')).toBe('1');
    expect(xpath(xml, '/testsuites/testsuite/@time')).toBe('120.000');
    expect(xpath(xml, "//testcase[@name='p2']/@classname")).toBe('smtp-fleet.paris');
    expect(xpath(xml, "//testcase[@name='p2']/failure/@type")).toBe('tls');
    expect(xpath(xml, "//testcase[@name='p2']/failure/@message")).toBe(xmlSafe(HOSTILE));
    expect(xpath(xml, "//testcase[@name='p2']/failure")).toContain('next step: fix tls');
    expect(xpath(xml, "//testcase[@name='u1']/error/@type")).toBe('unreachable');
    expect(xpath(xml, "//testcase[@name='u1']/error/@message")).toContain('ECONNREFUSED');
    expect(xpath(xml, "count(//testcase[@name='u1']/failure)")).toBe('0');
    expect(xpath(xml, "//testcase[@name='p1']/@time")).toBe('2.500');
  });

  it('JSON lines: one per runner, parsed back through their schema', () => {
    const lines = jsonLines(runnerLines(fleetSummary(), results)).trimEnd().split('\n').map((l) => RunnerLineSchema.parse(JSON.parse(l)));
    expect(lines.map((l) => [l.host, l.class, l.reached])).toEqual([['p1', 'ok', true], ['p2', 'tls', true], ['t1', 'ok', true], ['u1', 'unreachable', false]]);
    expect(lines[1]).toMatchObject({ evidence: HOSTILE, next_step: 'fix tls', attempts_total: 2, job_duration_ms: 2500, schema: 'smtp-fleet/runner', schema_version: 1 });
    expect(lines[3]!.next_step).toMatch(/up and that the worker reaches it/);
  });
});

describe('fleet_metrics.prom', () => {
  it('passes promtool check metrics, with the figures of the sweep', () => {
    const text = renderFleetMetrics(fleetSummary(), results);
    const r = promtool(text);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
    const value = (series: string) => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1));
    expect(value('smtp_fleet_runners{class="ok"}')).toBe(2);
    expect(value('smtp_fleet_runners{class="tls"}')).toBe(1);
    expect(value('smtp_fleet_runners{class="dns"}')).toBe(0);
    expect(value('smtp_fleet_runners_not_reached{status="unreachable"}')).toBe(1);
    expect(value('smtp_fleet_success_ratio')).toBeCloseTo(2 / 3);
    expect(value('smtp_fleet_sweep_duration_seconds')).toBe(120);
    expect(value('smtp_fleet_sweep_timestamp_seconds')).toBe(Date.parse(meta.created) / 1000);
    // Nearest rank over 100 200 300 400 1500 2500 50 ms.
    expect(value('smtp_fleet_attempt_duration_seconds{quantile="0.5"}')).toBe(0.3);
    expect(value('smtp_fleet_attempt_duration_seconds{quantile="0.9"}')).toBe(2.5);
    expect(value('smtp_fleet_attempt_duration_seconds_count')).toBe(7);
    expect(value('smtp_fleet_attempt_duration_seconds_sum')).toBeCloseTo(5.05);
    expect(text).toMatch(/^# TYPE smtp_fleet_attempt_duration_seconds summary$/m);
    for (const name of text.matchAll(/^# TYPE (\S+) /gm)) expect(text).toContain(`# HELP ${name[1]} `);
  });

  it('escapes label values and HELP text as the exposition format says; promtool reads the result', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(escapeHelp('a\\b\nc"')).toBe('a\\\\b\\nc"');
    const s = fleetSummary();
    s.byGroup = [{ ...s.byGroup[0]!, name: 'evil"} 1\nsmtp_fleet_fake 9 \\' }];
    const text = renderFleetMetrics(s, results);
    expect(promtool(text)).toEqual({ status: 0, out: '' });
    expect(text).not.toMatch(/^smtp_fleet_fake/m);
    expect(text).toContain('smtp_fleet_group_success_ratio{group="evil\\"} 1\\nsmtp_fleet_fake 9 \\\\"} 0.5');
  });

  it('an empty sweep still passes (NaN quantiles, no ratio samples)', () => {
    const empty = aggregate({ ...meta, hosts: [] }, [], [], null);
    expect(promtool(renderFleetMetrics(empty, []))).toEqual({ status: 0, out: '' });
  });

  it('is written next to fleet_summary.json by every aggregation, with no temporary file left', async () => {
    const store = await Store.open(tempDir('store-'));
    await store.createSweep(meta);
    for (const r of results.filter((x) => x.status !== 'probed')) await store.writeHostResult(r);
    await aggregateSweep(store, SWEEP);
    const files = readdirSync(store.sweepDir(SWEEP)).sort();
    expect(files).toEqual(['fleet_metrics.prom', 'fleet_report.md', 'fleet_summary.json', 'hosts', 'sweep.json']);
    const text = readFileSync(join(store.sweepDir(SWEEP), FLEET_METRICS_FILE), 'utf8');
    expect(promtool(text).status).toBe(0);
    expect(text).toContain('smtp_fleet_runners_not_reached{status="unreachable"} 1');
  });
});

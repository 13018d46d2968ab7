// The writers of the files pipelines and monitors read, in process: XML escaping, JSON lines
// parsed back through their zod schemas, the Prometheus figures and label escaping, and the
// atomic writes. The real readers (xmllint against the XSD, promtool) check the same outputs
// in test/pipeline-outputs.lab.test.ts: this project starts no process.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonLines } from '../../payload/report/jsonl.js';
import { checkOutputPath, writeOutputFile } from '../../payload/report/output-file.js';
import { attemptLines, probeJunit } from '../../payload/report/probe-outputs.js';
import { xmlAttr, xmlSafe, xmlText } from '../../payload/report/xml.js';
import { AttemptLineSchema } from '../../payload/schema/attempt-line.js';
import { UsageError } from '../../payload/util/errors.js';
import { aggregate } from '../../store/aggregate.js';
import { escapeHelp, escapeLabelValue, attemptDurationsMs, renderFleetMetrics } from '../../store/fleet-metrics.js';
import { fleetJunit, runnerLines } from '../../store/fleet-outputs.js';
import { RunnerLineSchema } from '../../store/fleet-schema.js';
import { aggregateSweep } from '../../store/report.js';
import { FLEET_METRICS_FILE, Store } from '../../store/store.js';
import { tempDir } from '../helpers.js';
import { HOSTILE, SWEEP, fleetSummary, meta, results, summary } from '../pipeline-fixtures.js';

/** Characters XML 1.0 forbids (its Char production, complemented). */
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

describe('XML escaping', () => {
  it('writes characters XML 1.0 forbids as visible escapes and keeps the rest', () => {
    expect(xmlSafe(HOSTILE)).toBe(`220 \\x00\\x1B[31mEVIL\\x1B[0m <script>&amp; "quoted" 'single' ]]> \\uFFFE \\uD800 \u2028 \u{1F600}\r\n2nd line`);
    expect(xmlText('a<b>&c\r')).toBe('a&lt;b&gt;&amp;c&#13;');
    expect(xmlAttr('"x"\t\n')).toBe('&quot;x&quot;&#9;&#10;');
  });

  it('no JUnit file carries a forbidden character or the raw markup of the evidence', () => {
    for (const xml of [probeJunit(summary(), 'runner-01'), fleetJunit(fleetSummary(), results, 'controller-1')]) {
      expect(xml).not.toMatch(NOT_XML);
      expect(xml).not.toContain('<script>');
      expect(xml).toContain('&lt;script&gt;&amp;amp;');
    }
  });
});

describe('smtp-probe --jsonl lines', () => {
  it('one per attempt, each parsed back through its schema, the evidence byte for byte', () => {
    const s = summary();
    const text = jsonLines(attemptLines(s, 'runner-01'));
    expect(text).not.toContain('\u2028');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(s.attempts.length);
    const parsed = lines.map((l) => AttemptLineSchema.parse(JSON.parse(l)));
    expect(parsed[0]).toMatchObject({ schema: 'smtp-probe/attempt', schema_version: 1, attempt_id: '001', address: '192.0.2.10', port: 1, mode: 'starttls', class: 'unknown', ok: false, machine: 'runner-01' });
    expect(parsed[0]!.evidence).toBe(HOSTILE);
    expect(parsed[1]).toMatchObject({ class: 'ok', ok: true, failed_stage: null });
  });

  it('a run that resolved no address: one line, address null', () => {
    const s = summary();
    s.attempts = [];
    Object.assign(s.verdict, { class: 'dns', hint_id: 'dns-nxdomain', evidence: 'NXDOMAIN smtp.example.test' });
    const lines = attemptLines(s, 'runner-01');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ address: null, port: null, class: 'dns', failed_stage: 'dns', ok: false });
  });
});

describe('--junit / --jsonl paths', () => {
  it('are checked before the run and written whole (no temporary file left)', () => {
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

describe('smtp-fleet --jsonl lines', () => {
  it('one per runner, parsed back through their schema', () => {
    const lines = jsonLines(runnerLines(fleetSummary(), results)).trimEnd().split('\n').map((l) => RunnerLineSchema.parse(JSON.parse(l)));
    expect(lines.map((l) => [l.host, l.class, l.reached])).toEqual([['p1', 'ok', true], ['p2', 'tls', true], ['t1', 'ok', true], ['u1', 'unreachable', false]]);
    expect(lines[1]).toMatchObject({ evidence: HOSTILE, next_step: 'fix tls', attempts_total: 2, job_duration_ms: 2500, schema: 'smtp-fleet/runner', schema_version: 1 });
    expect(lines[3]!.next_step).toMatch(/up and that the worker reaches it/);
  });
});

describe('fleet_metrics.prom', () => {
  const value = (text: string, series: string) => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1));

  it('carries the figures of the sweep, each family with HELP and TYPE', () => {
    const text = renderFleetMetrics(fleetSummary(), attemptDurationsMs(fleetSummary(), results));
    expect(value(text, 'smtp_fleet_runners{class="ok"}')).toBe(2);
    expect(value(text, 'smtp_fleet_runners{class="tls"}')).toBe(1);
    expect(value(text, 'smtp_fleet_runners{class="dns"}')).toBe(0);
    expect(value(text, 'smtp_fleet_runners_not_reached{status="unreachable"}')).toBe(1);
    expect(value(text, 'smtp_fleet_success_ratio')).toBeCloseTo(2 / 3);
    expect(value(text, 'smtp_fleet_sweep_duration_seconds')).toBe(120);
    expect(value(text, 'smtp_fleet_sweep_timestamp_seconds')).toBe(Date.parse(meta.created) / 1000);
    // Nearest rank over 100 200 300 400 1500 2500 50 ms.
    expect(value(text, 'smtp_fleet_attempt_duration_seconds{quantile="0.5"}')).toBe(0.3);
    expect(value(text, 'smtp_fleet_attempt_duration_seconds{quantile="0.9"}')).toBe(2.5);
    expect(value(text, 'smtp_fleet_attempt_duration_seconds{quantile="0.99"}')).toBe(2.5);
    expect(value(text, 'smtp_fleet_attempt_duration_seconds_count')).toBe(7);
    expect(value(text, 'smtp_fleet_attempt_duration_seconds_sum')).toBeCloseTo(5.05);
    expect(text).toMatch(/^# TYPE smtp_fleet_attempt_duration_seconds summary$/m);
    for (const name of text.matchAll(/^# TYPE (\S+) /gm)) expect(text).toContain(`# HELP ${name[1]} `);
    // The textfile collector refuses samples with timestamps: every sample line is "series value".
    for (const l of text.split('\n').filter((x) => x && !x.startsWith('#'))) expect(l).toMatch(/^[a-z_]+(\{.*\})? [^ ]+$/);
  });

  it('escapes label values and HELP text as the exposition format says', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(escapeHelp('a\\b\nc"')).toBe('a\\\\b\\nc"');
    const s = fleetSummary();
    s.by_group = [{ ...s.by_group[0]!, name: 'evil"} 1\nsmtp_fleet_fake 9 \\' }];
    const text = renderFleetMetrics(s, attemptDurationsMs(s, results));
    expect(text).not.toMatch(/^smtp_fleet_fake/m);
    expect(text).toContain('smtp_fleet_group_success_ratio{group="evil\\"} 1\\nsmtp_fleet_fake 9 \\\\"} 0.5');
  });

  it('an empty sweep: NaN quantiles, count 0, no ratio samples', () => {
    const text = renderFleetMetrics(aggregate({ ...meta, hosts: [] }, [], [], null), []);
    expect(text).toContain('smtp_fleet_attempt_duration_seconds{quantile="0.5"} NaN');
    expect(text).toContain('smtp_fleet_attempt_duration_seconds_count 0');
    expect(text).not.toMatch(/^smtp_fleet_success_ratio /m);
  });

  it('is written next to fleet_summary.json by every aggregation, with no temporary file left', async () => {
    const store = await Store.open(tempDir('store-'));
    await store.createSweep(meta);
    for (const r of results.filter((x) => x.status !== 'probed')) await store.writeHostResult(r);
    await aggregateSweep(store, SWEEP);
    expect(readdirSync(store.sweepDir(SWEEP)).sort()).toEqual(['fleet_metrics.prom', 'fleet_report.html', 'fleet_report.md', 'fleet_summary.json', 'hosts', 'sweep.json', 'targets.jsonl']);
    expect(readFileSync(join(store.sweepDir(SWEEP), FLEET_METRICS_FILE), 'utf8')).toContain('smtp_fleet_runners_not_reached{status="unreachable"} 1');
  });
});

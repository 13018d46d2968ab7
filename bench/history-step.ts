// One step of the history bench in a process of its own, so each figure comes with that
// step's own peak RSS: `node history-step.js STEP STORE [ARG] [RUNS]`, one JSON line out
// ({ ms, rssMb, ... }; ms is the median of RUNS where a step repeats).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historySection } from '../store/fleet-report.js';
import { HistoryIndex } from '../store/history-index.js';
import { HISTORY_RULES, hostHistory, reportHistory } from '../store/history.js';
import { median } from './measure.js';

const DAY = 86_400_000;
const [step, dir, arg = '', runsText = '1'] = process.argv.slice(2) as [string, string, string?, string?];
const runs = Number(runsText);

function repeat(f: () => Record<string, unknown> | void): { ms: number; extra: Record<string, unknown> } {
  const xs: number[] = [];
  let extra: Record<string, unknown> = {};
  for (let k = 0; k < runs; k++) {
    const s = performance.now();
    extra = f() ?? extra;
    xs.push(performance.now() - s);
  }
  return { ms: median(xs), extra };
}

const sweepNames = () => readdirSync(join(dir, 'sweeps')).sort();

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

const steps: Record<string, () => { ms: number; extra: Record<string, unknown> }> = {
  // The index from nothing: every file of every sweep read, checked and written.
  build: () =>
    repeat(() => {
      HistoryIndex.remove(dir);
      const ix = HistoryIndex.open(dir);
      const s = ix.sync();
      ix.close();
      return { indexed: s.indexed };
    }),
  // The reference: every host_result.json read and JSON.parse'd, nothing checked or kept.
  scan: () =>
    repeat(() => {
      let files = 0;
      for (const n of sweepNames())
        for (const h of readdirSync(join(dir, 'sweeps', n, 'hosts'))) {
          readJson(join(dir, 'sweeps', n, 'hosts', h, 'host_result.json'));
          files++;
        }
      return { files };
    }),
  // The nightly case: one sweep more than the index holds.
  sync: () =>
    repeat(() => {
      const ix = HistoryIndex.open(dir);
      const s = ix.sync();
      ix.close();
      return { indexed: s.indexed };
    }),
  // `history HOST` in process: open, staleness check of every sweep, one runner's history.
  host: () => {
    const syncMs: number[] = [];
    const queryMs: number[] = [];
    const r = repeat(() => {
      const ix = HistoryIndex.open(dir);
      const a = performance.now();
      if (ix.sync().indexed !== 0) throw new Error('the index went stale between runs');
      const b = performance.now();
      const h = hostHistory(ix, arg, Date.now() - 3650 * DAY);
      queryMs.push(performance.now() - b);
      syncMs.push(b - a);
      ix.close();
      if (!h?.entries.length) throw new Error(`no history of ${arg}`);
      return { entries: h.entries.length };
    });
    return { ms: r.ms, extra: { ...r.extra, syncMs: median(syncMs), queryMs: median(queryMs) } };
  },
  // The reference: that runner's host_result.json of every sweep, read and parsed.
  hostFiles: () =>
    repeat(() => {
      let found = 0;
      for (const n of sweepNames()) {
        try {
          readJson(join(dir, 'sweeps', n, 'hosts', arg, 'host_result.json'));
          found++;
        } catch {
          /* not in that sweep */
        }
      }
      return { found };
    }),
  // The report's history section as of sweep `arg`: open, staleness check, queries, markdown.
  report: () => {
    let text = '';
    const r = repeat(() => {
      const ix = HistoryIndex.open(dir);
      ix.sync();
      const h = reportHistory(ix, arg);
      ix.close();
      if (!h) throw new Error(`the index does not hold ${arg}`);
      text = historySection(h).join('\n');
      return { newFailures: h.newFailures.length, recovered: h.recovered.length, flapping: h.flapping.length, longStanding: h.longStanding.length, newSignatures: h.newSignatures.length };
    });
    writeFileSync(`${dir}.history-section.md`, text);
    return r;
  },
  // The reference: the files of the report's window (its sweeps, every host), read and parsed.
  windowFiles: () =>
    repeat(() => {
      const names = sweepNames();
      const at = names.indexOf(arg);
      let files = 0;
      for (const n of names.slice(Math.max(0, at + 1 - HISTORY_RULES.reportWindowDays), at + 1))
        for (const h of readdirSync(join(dir, 'sweeps', n, 'hosts'))) {
          readJson(join(dir, 'sweeps', n, 'hosts', h, 'host_result.json'));
          files++;
        }
      return { files };
    }),
};

const f = steps[step];
if (!f) throw new Error(`unknown step ${step}`);
const cpu0 = process.cpuUsage();
const { ms, extra } = f();
const cpu = process.cpuUsage(cpu0);
// CPU time beside wall time: on a shared machine the wall time is mostly waiting for a core.
process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000 / runs, rssMb: process.resourceUsage().maxRSS / 1024, ...extra }) + '\n');

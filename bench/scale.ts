// Scale figures (issue 16 part 3): the fleet report of 1,000 and 10,000 host results made by
// the real `smtp-fleet report` (time to the report, controller peak RSS, report sizes), each
// the second of two nightly sweeps so that "changed since" reads the first one's summary.
// Sweeps past one rack are bench/sim.ts. BENCH_SCALE_N sets the large store's size.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFleet } from './lab-fleet.js';
import { scaleHostName, scaleResult, writeScaleSweep } from '../lab/scale-store.js';
import { Store } from '../store/store.js';
import type { Row } from './measure.js';

const MB = 1024 * 1024;

interface Aggregated {
  ms: number;
  rssMb: number;
  mdBytes: number;
  htmlBytes: number;
  jsonBytes: number;
}

/**
 * `smtp-fleet report` of the second of two nightly sweeps of n runners (the first one reported,
 * so "changed since" reads its summary; 1% of the runners changed): the fastest time and the largest peak RSS of `runs` runs.
 */
async function reportOf(n: number, runs = 2): Promise<Aggregated> {
  // BENCH_SCALE_STORE=DIR keeps the stores (made there when missing) for another run.
  const kept = process.env.BENCH_SCALE_STORE;
  const dir = kept ? join(kept, String(n)) : mkdtempSync(join(tmpdir(), 'smtp-fleet-bench-scale-'));
  const pad = String(n).padStart(5, '0');
  const [prev, id] = [`20261130-020000-${pad}`, `20261201-020000-${pad}`];
  try {
    const t0 = performance.now();
    if (!kept || !existsSync(join(dir, 'sweeps', id, 'sweep.json'))) {
      await writeScaleSweep(dir, prev, n, '2026-11-30T02:00:00.000Z');
      const r = await runFleet(['--store', dir, 'report', prev], { ...process.env });
      if (r.code !== 0 && r.code !== 3 && r.code !== 4) throw new Error(`bench: smtp-fleet report exit ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
      await writeScaleSweep(dir, id, n);
      await changeSome(dir, id, n);
    }
    console.error(`bench: store of 2 x ${n} host results written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const all: Aggregated[] = [];
    for (let k = 0; k < runs; k++) {
      const r = await runFleet(['--store', dir, 'report', id], { ...process.env });
      if (r.code !== 0 && r.code !== 3 && r.code !== 4) throw new Error(`bench: smtp-fleet report exit ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
      const size = (f: string) => statSync(join(dir, 'sweeps', id, f)).size;
      const a = { ms: r.ms, rssMb: r.rssMb, mdBytes: size('fleet_report.md'), htmlBytes: size('fleet_report.html'), jsonBytes: size('fleet_summary.json') };
      all.push(a);
    }
    // The fastest run's time; the largest peak RSS of the runs (a lucky GC is not a figure).
    const fastest = all.reduce((x, y) => (y.ms < x.ms ? y : x));
    return { ...fastest, rssMb: Math.max(...all.map((a) => a.rssMb)) };
  } finally {
    if (!kept) rmSync(dir, { recursive: true, force: true });
  }
}

/** One runner in a hundred gets another result in the second sweep (a timeout where it was ok, and so on). */
async function changeSome(dir: string, id: string, n: number): Promise<void> {
  const store = await Store.open(dir);
  for (let i = 0; i < n; i += 100) await store.writeHostResult({ ...scaleResult(id, i + 7, '2026-12-01T02:00:00.000Z'), host: scaleHostName(i) });
}

export async function aggregationFigures(): Promise<Row[]> {
  const n = Number(process.env.BENCH_SCALE_N ?? 10_000);
  const small = await reportOf(1_000);
  const large = await reportOf(n);
  const ratio = large.rssMb / small.rssMb;
  // Time and memory side by side with their targets, in one line to copy into docs/bench.md.
  console.error(
    `bench: scale: report of ${n}: ${(large.ms / 1000).toFixed(1)} s (1,000: ${(small.ms / 1000).toFixed(1)} s; target < 5 s: ${large.ms < 5_000 ? 'met' : 'missed'}), ` +
      `peak RSS ${large.rssMb.toFixed(0)} MB (1,000: ${small.rssMb.toFixed(0)} MB, ${ratio.toFixed(2)}x; target <= 1.25x: ${ratio <= 1.25 ? 'met' : 'missed'})`,
  );
  return [
    { metric: `scale: smtp-fleet report of ${n} host results (whole process)`, value: large.ms, unit: 'ms', reference: { name: '1,000 host results', value: small.ms }, target: { text: '< 5 s', ok: large.ms < 5_000 } },
    { metric: `scale: controller peak RSS, report of ${n}`, value: large.rssMb, unit: 'MB', reference: { name: '1,000 host results', value: small.rssMb }, target: { text: `within 1.25x of 1,000 (${ratio.toFixed(2)}x)`, ok: ratio <= 1.25 } },
    { metric: `scale: fleet_report.md of ${n}`, value: large.mdBytes / 1024, unit: 'KB', reference: { name: '1,000 host results', value: small.mdBytes / 1024 }, target: { text: '< 100 KB (groups in full, runner table capped)', ok: large.mdBytes < 100 * 1024 } },
    { metric: `scale: fleet_report.html of ${n} (every runner, filterable)`, value: large.htmlBytes / MB, unit: 'MB', reference: { name: '1,000 host results', value: small.htmlBytes / MB } },
    { metric: `scale: fleet_summary.json of ${n}`, value: large.jsonBytes / MB, unit: 'MB', reference: { name: '1,000 host results', value: small.jsonBytes / MB } },
  ];
}

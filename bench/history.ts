// History figures (issue 15): a store of a year of nightly sweeps of 1,000 runners, made in
// a temporary folder directly in the store's format, then the history index built from
// scratch, `history HOST` (open, staleness check of every sweep, query; target < 100 ms) and
// the fleet report's history section (target < 2 s). BENCH_HISTORY_SWEEPS and
// BENCH_HISTORY_RUNNERS change the size, BENCH_HISTORY_STORE keeps the store in a folder of one's own.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVIDENCE, nightly, writeSweep, type PlannedResult } from '../lab/history-store.js';
import { HISTORY_INDEX_FILE, HistoryIndex } from '../store/history-index.js';
import { hostHistory, reportHistory } from '../store/history.js';
import { median, timeRun, type Row } from './measure.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FLEET = join(ROOT, 'dist/controller/cli.js');
const SWEEPS = Number(process.env.BENCH_HISTORY_SWEEPS ?? 365);
const RUNNERS = Number(process.env.BENCH_HISTORY_RUNNERS ?? 1000);
const START = '2025-12-01T02:00:00.000Z';

/** A deterministic draw in [0, 1) per (runner, night, salt). */
function draw(i: number, day: number, salt: number): number {
  let x = (i * 2654435761 + day * 40503 + salt * 2246822519) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x45d9f3b) >>> 0;
  x ^= x >>> 16;
  return x / 2 ** 32;
}

/**
 * One night of the fleet: 3% of runners with a failure that never goes away, 5% flapping
 * (tls one night in two or so), an outage of a tenth of the fleet every 40 nights, a few
 * runners not reached, and a proxy whose refusal text changes every few weeks (new signatures).
 */
function night(day: number): PlannedResult[] {
  const out: PlannedResult[] = [];
  for (let i = 0; i < RUNNERS; i++) {
    const host = `rpa-${String(i).padStart(4, '0')}`;
    let r: PlannedResult;
    if (i % 33 === 0) r = { host, outcome: 'auth', evidence: EVIDENCE.auth(day) };
    else if (i % 20 === 1 && draw(i, day, 1) < 0.5) r = { host, outcome: 'tls', evidence: EVIDENCE.tls(day + i) };
    else if (day % 40 === 7 && i % 10 === 2) r = { host, outcome: 'connect', evidence: EVIDENCE.connect(i) };
    else if (draw(i, day, 2) < 0.01) r = { host, outcome: 'unreachable', evidence: EVIDENCE.unreachable(i) };
    else if (draw(i, day, 3) < 0.005) r = { host, outcome: 'proxy', evidence: `proxy http://proxy-${Math.floor(day / 21)}.corp.example:3128: CONNECT smtp.gmail.com:587: HTTP/1.1 403 Forbidden` };
    else r = { host, outcome: 'ok', evidence: EVIDENCE.ok(i + day) };
    out.push(r);
  }
  return out;
}

export async function historyFigures(): Promise<Row[]> {
  // BENCH_HISTORY_STORE=DIR keeps the store (made there when empty) for another run.
  const kept = process.env.BENCH_HISTORY_STORE;
  const dir = kept ?? mkdtempSync(join(tmpdir(), 'smtp-probe-bench-history-'));
  try {
    const t0 = performance.now();
    if (!kept || !existsSync(join(dir, 'sweeps'))) {
      for (let d = 0; d < SWEEPS; d++) {
        const { id, created } = nightly(START, d);
        writeSweep(dir, id, created, night(d));
      }
    }
    HistoryIndex.remove(dir);
    const genMs = performance.now() - t0;
    console.error(`bench: history store of ${SWEEPS} sweeps x ${RUNNERS} runners made in ${(genMs / 1000).toFixed(1)} s`);

    const b0 = performance.now();
    const ix = HistoryIndex.open(dir);
    const stats = ix.sync();
    ix.close();
    const buildMs = performance.now() - b0;
    // Said as soon as known: removing a store of this size takes minutes on a busy disk.
    console.error(`bench: history index built from scratch in ${(buildMs / 1000).toFixed(1)} s (target < 60 s)`);
    if (stats.indexed !== SWEEPS) throw new Error(`bench: the index read ${stats.indexed} sweeps, not ${SWEEPS}`);
    const mb = statSync(join(dir, HISTORY_INDEX_FILE)).size / 1024 / 1024;

    const host = 'rpa-0021'; // a flapping runner
    const hostMs: number[] = [];
    for (let k = 0; k < 11; k++) {
      const s = performance.now();
      const h = HistoryIndex.open(dir);
      if (h.sync().indexed !== 0) throw new Error('bench: the index went stale between runs');
      const hh = hostHistory(h, host, Date.parse(nightly(START, SWEEPS - 30).created));
      h.close();
      if (!hh || hh.entries.length === 0) throw new Error('bench: no history for the bench host');
      hostMs.push(performance.now() - s);
    }
    const cliRuns: number[] = [];
    for (let k = 0; k < 5; k++) cliRuns.push(await timeRun(process.execPath, [FLEET, '--store', dir, 'history', host]));
    const cliMs = median(cliRuns);

    console.error(`bench: history HOST ${median(hostMs).toFixed(1)} ms in process (target < 100 ms), ${cliMs.toFixed(0)} ms as a whole CLI run`);
    const latest = nightly(START, SWEEPS - 1).id;
    const reportMs: number[] = [];
    let listed = 0;
    for (let k = 0; k < 5; k++) {
      const s = performance.now();
      const h = HistoryIndex.open(dir);
      h.sync();
      const rh = reportHistory(h, latest)!;
      h.close();
      listed = rh.flapping.length + rh.longStanding.length;
      reportMs.push(performance.now() - s);
    }
    console.error(`bench: report history section ${median(reportMs).toFixed(0)} ms (target < 2 s); index ${mb.toFixed(1)} MB`);
    const size = `${SWEEPS} sweeps x ${RUNNERS} runners`;
    return [
      { metric: `history: store made in the store's format (${size})`, value: genMs / 1000, unit: 's' },
      { metric: `history: index built from scratch (${size})`, value: buildMs / 1000, unit: 's', target: { text: '< 60 s', ok: buildMs < 60_000 } },
      { metric: `history: index file size (${size})`, value: mb, unit: 'MB' },
      { metric: 'history HOST: open, staleness check, query (in process)', value: median(hostMs), unit: 'ms', target: { text: '< 100 ms', ok: median(hostMs) < 100 } },
      { metric: 'history HOST: whole `smtp-fleet history HOST` run', value: cliMs, unit: 'ms' },
      { metric: `report history section: sync check and build (${listed} flapping/long-standing)`, value: median(reportMs), unit: 'ms', target: { text: '< 2 s', ok: median(reportMs) < 2000 } },
    ];
  } finally {
    if (!kept) rmSync(dir, { recursive: true, force: true });
  }
}

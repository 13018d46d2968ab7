// History figures (issue 15): a store of a year of nightly sweeps of 1,000 runners
// (bench/history-fleet.ts), made in the store's format in a folder of the system's temporary
// directory and kept there for the next run (keyed by the generator's version and the size).
// Measured, each step in a process of its own for its peak RSS, next to a reference of the
// same run: the index built from the files (cold) against reading and parsing every file;
// the nightly case, one sweep more, against that cold build; `history HOST` in process and as
// a whole CLI run against reading that runner's files; the report's history section against
// reading the files of its 30-day window. BENCH_HISTORY_SWEEPS and BENCH_HISTORY_RUNNERS
// change the size, BENCH_HISTORY_STORE the folder.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nightly, writeSweep } from '../lab/history-store.js';
import { HISTORY_INDEX_FILE } from '../store/history-index.js';
import { GENERATOR_VERSION, fleetNight, profiles, type FleetPlan } from './history-fleet.js';
import { median, type Row } from './measure.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FLEET = join(ROOT, 'dist/controller/cli.js');
const STEP = fileURLToPath(new URL('./history-step.js', import.meta.url));
const SWEEPS = Number(process.env.BENCH_HISTORY_SWEEPS ?? 365);
const RUNNERS = Number(process.env.BENCH_HISTORY_RUNNERS ?? 1000);
const START = '2025-12-01T02:00:00.000Z';
const RUNS = 11;
/** A runner that failed for weeks and recovered in the last nights: a long, varied history. */
const HOST_PICK = (p: FleetPlan) => p.runners > 105 ? 'rpa-0105' : 'rpa-0001';

interface StepOut {
  ms: number;
  rssMb: number;
  [k: string]: unknown;
}

function step(name: string, dir: string, arg = '', runs = 1): StepOut {
  const out = execFileSync(process.execPath, [STEP, name, dir, arg, String(runs)], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  return JSON.parse(out.toString()) as StepOut;
}

/** A whole process under GNU time: wall time and peak RSS. */
function timed(cmd: string, args: string[]): { ms: number; rssMb: number } {
  const file = join(tmpdir(), `smtp-probe-bench-time-${process.pid}`);
  const t0 = process.hrtime.bigint();
  execFileSync('/usr/bin/time', ['-f', '%M', '-o', file, cmd, ...args], { stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rssMb = Number(readFileSync(file, 'utf8').trim().split('\n').at(-1)) / 1024;
  rmSync(file, { force: true });
  return { ms, rssMb };
}

function medianRun(cmd: string, args: string[]): { ms: number; rssMb: number } {
  timed(cmd, args); // warm the page cache
  const xs = Array.from({ length: RUNS }, () => timed(cmd, args));
  return { ms: median(xs.map((x) => x.ms)), rssMb: Math.max(...xs.map((x) => x.rssMb)) };
}

/** The store of `plan.nights` nights, made once and kept; a half-made one is made again. */
export function ensureStore(plan: FleetPlan): { dir: string; made: number | null } {
  const dir = process.env.BENCH_HISTORY_STORE ?? join(tmpdir(), `smtp-probe-bench-history-g${GENERATOR_VERSION}-${plan.nights}x${plan.runners}`);
  const done = join(dir, '.bench-complete');
  // The nightly step's extra sweep, left behind by an interrupted run.
  rmSync(join(dir, 'sweeps', nightly(START, plan.nights).id), { recursive: true, force: true });
  if (existsSync(done)) return { dir, made: null };
  rmSync(dir, { recursive: true, force: true });
  const t0 = performance.now();
  const all = profiles({ ...plan, nights: plan.nights + 1 });
  for (let d = 0; d < plan.nights; d++) {
    const { id, created } = nightly(START, d);
    writeSweep(dir, id, created, fleetNight({ ...plan, nights: plan.nights + 1 }, all, d));
  }
  writeFileSync(done, `generator ${GENERATOR_VERSION}\n`);
  return { dir, made: performance.now() - t0 };
}

const target = (ms: number, limit: number, text: string) => ({ text, ok: ms < limit });

export async function historyFigures(): Promise<Row[]> {
  const plan: FleetPlan = { runners: RUNNERS, nights: SWEEPS, seed: 15 };
  const size = `${SWEEPS} sweeps x ${RUNNERS} runners`;
  const { dir, made } = ensureStore(plan);
  console.error(made === null ? `bench: history store kept from an earlier run: ${dir}` : `bench: history store of ${size} made in ${(made / 1000).toFixed(1)} s: ${dir}`);

  const scan = step('scan', dir);
  const build = step('build', dir);
  const cpu = (x: StepOut) => `${(Number(x.cpuMs) / 1000).toFixed(1)} s CPU`;
  console.error(`bench: history index built from the files in ${(build.ms / 1000).toFixed(1)} s, ${cpu(build)} (reading and parsing them: ${(scan.ms / 1000).toFixed(1)} s, ${cpu(scan)}); load average ${loadavg()[0]!.toFixed(1)}`);
  if (build.indexed !== SWEEPS) throw new Error(`bench: the index read ${String(build.indexed)} sweeps, not ${SWEEPS}`);
  const mb = statSync(join(dir, HISTORY_INDEX_FILE)).size / 1024 / 1024;

  // The nightly case: last night's sweep lands, the report's sync reads it alone.
  const extended = { ...plan, nights: SWEEPS + 1 };
  const last = nightly(START, SWEEPS);
  writeSweep(dir, last.id, last.created, fleetNight(extended, profiles(extended), SWEEPS));
  try {
    const inc = step('sync', dir);
    if (inc.indexed !== 1) throw new Error(`bench: the nightly sync read ${String(inc.indexed)} sweeps, not 1`);
    console.error(`bench: nightly sync of one sweep more: ${inc.ms.toFixed(0)} ms, ${Number(inc.cpuMs).toFixed(0)} ms CPU`);

    const host = HOST_PICK(plan);
    const inProcess = step('host', dir, host, RUNS);
    const hostFiles = step('hostFiles', dir, host, RUNS);
    const cli = medianRun(process.execPath, [FLEET, '--store', dir, 'history', host]);
    const bare = medianRun(process.execPath, ['-e', '0']);
    console.error(
      `bench: history ${host}: ${inProcess.ms.toFixed(1)} ms in process (staleness check ${Number(inProcess.syncMs).toFixed(1)} ms, query ${Number(inProcess.queryMs).toFixed(1)} ms; ${Number(inProcess.cpuMs).toFixed(1)} ms CPU), ${cli.ms.toFixed(0)} ms as a CLI run (node -e 0: ${bare.ms.toFixed(0)} ms); load average ${loadavg()[0]!.toFixed(1)}`,
    );

    const report = step('report', dir, last.id, 5);
    const window = step('windowFiles', dir, last.id);
    console.error(`bench: report history section ${report.ms.toFixed(0)} ms (${Number(report.cpuMs).toFixed(0)} ms CPU): ${JSON.stringify({ ...report, ms: undefined, cpuMs: undefined, rssMb: undefined })}; the section as written: ${dir}.history-section.md`);

    const mem = (what: string, s: { rssMb: number }, ref?: { name: string; value: number }): Row => ({ metric: `${what}: peak RSS`, value: s.rssMb, unit: 'MB', ...(ref ? { reference: ref } : {}) });
    return [
      ...(made === null ? [] : [{ metric: `history: store made in the store's format (${size})`, value: made / 1000, unit: 's' }]),
      { metric: `history: index built from the files, cold (${size})`, value: build.ms / 1000, unit: 's', reference: { name: 'read + JSON.parse every file', value: scan.ms / 1000 } },
      mem('history: index build', build, { name: 'read + parse every file', value: scan.rssMb }),
      { metric: `history: index file size (${size})`, value: mb, unit: 'MB' },
      { metric: 'history: nightly update, one sweep more (incremental sync)', value: inc.ms / 1000, unit: 's', reference: { name: 'cold build', value: build.ms / 1000 }, target: { text: '< 5 s', ok: inc.ms < 5000 } },
      mem('history: nightly update', inc),
      { metric: 'history HOST: in process (open, staleness check, query)', value: inProcess.ms, unit: 'ms', reference: { name: "read + parse the runner's files", value: hostFiles.ms }, target: target(inProcess.ms, 100, '< 100 ms') },
      { metric: 'history HOST: whole `smtp-fleet history HOST` process', value: cli.ms, unit: 'ms', reference: { name: 'node -e 0', value: bare.ms } },
      mem('history HOST: whole CLI process', cli, { name: 'node -e 0', value: bare.rssMb }),
      { metric: `report history section: sync, queries, markdown (latest of ${SWEEPS + 1} sweeps)`, value: report.ms, unit: 'ms', reference: { name: `read + parse the 30-day window's files`, value: window.ms }, target: target(report.ms, 2000, '< 2 s') },
      mem('report history section', report, { name: 'read + parse the window', value: window.rssMb }),
    ];
  } finally {
    rmSync(join(dir, 'sweeps', last.id), { recursive: true, force: true });
  }
}

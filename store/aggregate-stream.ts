// The fleet summary of a large sweep without holding every host result: host_result.json files
// are read in batches, and each is cut down at once to its row (SummaryBuilder). What stays per
// host is a row's worth; the summary itself lists every host, so that much is the floor. The
// summary is made by the same builder aggregate() uses, so both ways give the same result.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HostNameSchema } from '../inventory/schema.js';
import { errorCode } from '../payload/util/errors.js';
import { collectGarbage } from './collect-garbage.js';
import { SummaryBuilder, type ReportTarget } from './aggregate.js';
import type { FleetSummary, HostResult, SweepHead } from './fleet-schema.js';
import type { Store } from './store.js';
import type { PreviousOutcomes } from './fleet-outcomes.js';

/** host_result.json files read between two turns of the event loop. */
const BATCH = 200;
/** Results read between two full garbage collections (a sweep smaller than this has none). */
export const COLLECT_EVERY = 2_000;

/**
 * Calls `each` with every host result of a sweep (in no set order). The files are read
 * synchronously, BATCH at a time, giving the event loop a turn between batches (a worker's
 * aggregate job keeps renewing its lock): with the page cache warm, as right after a sweep,
 * that is a third of the time of overlapped async reads (16 at once: 1.1 s against 0.37 s for
 * 10,000 files), which pay four thread-pool round trips per file.
 */
export async function forEachHostResult(store: Store, sweepId: string, each: (r: HostResult, folder: string) => void): Promise<void> {
  let names: string[];
  try {
    names = await readdir(join(store.sweepDir(sweepId), 'hosts'));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return;
    throw err;
  }
  for (let i = 0; i < names.length; i += BATCH) {
    for (const n of names.slice(i, i + BATCH)) {
      if (!HostNameSchema.safeParse(n).success) continue;
      const r = store.readHostResultNow(sweepId, n);
      if (r) each(r, n);
    }
    if ((i + BATCH) % COLLECT_EVERY === 0) collectGarbage();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * What the report keeps of a resolved host, its strings and lists shared with the runners
 * before it where they are equal (40 sites and two OSes, not 10,000 copies of each).
 */
export function reportTargets(): { add(h: ReportTarget): void; list: ReportTarget[] } {
  const shared = new Map<string, unknown>();
  const one = <T>(v: T): T => {
    const key = typeof v === 'string' ? `s${v}` : `j${JSON.stringify(v)}`;
    const got = shared.get(key);
    if (got !== undefined) return got as T;
    shared.set(key, v);
    return v;
  };
  const list: ReportTarget[] = [];
  return {
    list,
    add(h) {
      const { activity, run_id, host } = h.probe.aa;
      list.push({ name: h.name, address: h.address, os: one(h.os), transport: one(h.transport), tags: one(h.tags), groups: one(h.groups), probe: { aa: one({ activity, run_id, host }) } });
    },
  };
}

/**
 * The sweep's summary and every SMTP attempt's duration (the metrics' histogram), read from
 * the store one host result at a time, each cut down to its row as it is read: equal to
 * aggregate(meta, store.readHostResults(id), targets, ...). `also` sees each result as it is
 * read, with the folder it was read from (the report makes the history index's rows there).
 */
export async function aggregateFromStore(
  store: Store,
  meta: SweepHead,
  targets: readonly ReportTarget[],
  previous: PreviousOutcomes | null,
  now = new Date(),
  also?: (r: HostResult, folder: string) => void,
): Promise<{ summary: FleetSummary; attemptDurationsMs: number[] }> {
  const b = new SummaryBuilder(meta, targets);
  await forEachHostResult(store, meta.id, (r, folder) => {
    b.add(r);
    also?.(r, folder);
  });
  return { summary: b.finish(previous, now), attemptDurationsMs: b.attemptDurationsMs() };
}

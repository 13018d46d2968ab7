// The fleet summary of a large sweep without holding every host result: host_result.json files
// are read in batches, and each is cut down at once to what the summary and the metrics read.
// What stays per host is a row's worth; the summary itself lists every host, so that much is
// the floor. The summary is made by aggregate() itself, so both ways give the same result.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HostNameSchema } from '../inventory/schema.js';
import { errorCode } from '../payload/util/errors.js';
import { aggregate } from './aggregate.js';
import type { FleetSummary, HostResult, SweepMeta } from './fleet-schema.js';
import type { Store } from './store.js';

/** host_result.json files read between two turns of the event loop. */
const BATCH = 200;

/**
 * A host result with only what aggregate() and the metrics read: the verdict's summary, the
 * ports, egress addresses, payload version, ZIP digest and transport figures are dropped.
 * Kept: status, times, the verdict's class, hint, exit code, evidence and next step, attempt
 * counts and durations, findings, the ZIP's path, error codes, messages and stages.
 */
export function slimHostResult(r: HostResult): HostResult {
  if (r.status !== 'probed') return r;
  return {
    ...r,
    verdict: { ...r.verdict, summary: '' },
    server: '',
    ports: [],
    egress_ips: [],
    payload_version: '',
    zip: { path: r.zip.path, sha256: '', bytes: 0 },
    transport_stats: { uploaded_bytes: 0, cache_hit: false },
  } as HostResult;
}

/**
 * Calls `each` with every host result of a sweep (in no set order). The files are read
 * synchronously, BATCH at a time, giving the event loop a turn between batches (a worker's
 * aggregate job keeps renewing its lock): with the page cache warm, as right after a sweep,
 * that is a third of the time of overlapped async reads (16 at once: 1.1 s against 0.37 s for
 * 10,000 files), which pay four thread-pool round trips per file.
 */
export async function forEachHostResult(store: Store, sweepId: string, each: (r: HostResult) => void): Promise<void> {
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
      if (r) each(r);
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * The sweep's summary and the slim results it was made from (the latest per host), read from
 * the store one host at a time: equal to aggregate(meta, store.readHostResults(id), ...).
 */
export async function aggregateFromStore(
  store: Store,
  meta: SweepMeta,
  previous: FleetSummary | null,
  now = new Date(),
): Promise<{ summary: FleetSummary; results: HostResult[] }> {
  const latest = new Map<string, HostResult>();
  await forEachHostResult(store, meta.id, (r) => {
    if (r.sweep_id !== meta.id) return;
    const prior = latest.get(r.host);
    if (!prior || prior.finished_at <= r.finished_at) latest.set(r.host, slimHostResult(r));
  });
  // Sorted by host name, as Store.readHostResults returns them.
  const results = [...latest.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  return { summary: aggregate(meta, results, meta.targets, previous, now), results };
}

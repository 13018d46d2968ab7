// A sweep's fleet reports (fleet_report.md and .html), made from what the store holds (never from job return values),
// so a re-probe or a late result simply makes it again.
import { COLLECT_EVERY, aggregateFromStore, reportTargets } from './aggregate-stream.js';
import { collectGarbage } from './collect-garbage.js';
import { renderFleetHtmlChunks } from './fleet-html.js';
import { renderFleetMetrics } from './fleet-metrics.js';
import { renderFleetReport } from './fleet-report.js';
import type { ReportHistory } from './history.js';
import type { Store } from './store.js';
import { ReportTargetLineSchema, type FleetSummary, type HostResult } from './fleet-schema.js';
import { indexedResult, sweepStamp, type IndexedResult } from './indexed-result.js';
import type { KnownSweep } from './known-sweep.js';
import { errorMessage } from '../payload/util/errors.js';

export async function aggregateSweep(store: Store, sweepId: string): Promise<string> {
  return (await reportSweep(store, sweepId)).reportPath;
}

/**
 * Aggregates and writes the reports, giving back what it wrote: the summary as checked by its
 * schema (durations not yet rounded: every JSON writer rounds them) and the markdown, so a
 * caller does not read them back.
 * The sweep is read once here and handed down; its targets (megabytes for 10,000 runners) are
 * streamed and cut down to what the report shows.
 */
export async function reportSweep(store: Store, sweepId: string): Promise<{ reportPath: string; summary: FleetSummary; markdown: string }> {
  const { summary, metrics, known } = await summarise(store, sweepId);
  // What the summary was made from is garbage now; a big sweep's is collected before the
  // index and the outputs add theirs (see collect-garbage.ts).
  const big = summary.hosts.length >= COLLECT_EVERY;
  if (big) collectGarbage();
  const history = await withHistory(store, sweepId, known);
  if (big) collectGarbage();
  try {
    const markdown = renderFleetReport(summary, history.section);
    const written = await store.writeFleetReport(sweepId, summary, markdown, { html: renderFleetHtmlChunks(summary), metrics });
    return { reportPath: written.reportPath, summary: written.summary, markdown };
  } finally {
    history.done();
  }
}

/**
 * The summary, the metrics and the sweep as the history index takes it, in a function of their
 * own so that what they were made from (the resolved targets, the previous sweep's outcomes)
 * is garbage before the reports are rendered.
 */
async function summarise(store: Store, sweepId: string): Promise<{ summary: FleetSummary; metrics: string; known: KnownSweep }> {
  const targets = reportTargets();
  const meta = await store.readSweepHead(sweepId, (t) => targets.add(t), ReportTargetLineSchema);
  const addresses = new Map(targets.list.map((h) => [h.name, h.address]));
  const previous = await store.previousOutcomes(sweepId, meta);
  // The history index's rows are made here, from the results read for the summary, rather than
  // by the index reading every file again; the stamp first, so a result written meanwhile is
  // re-read by the next sync. A result in another host's folder is not indexed (nor re-read).
  const stamp = sweepStamp(store.root, sweepId);
  const rows: IndexedResult[] = [];
  const index = (r: HostResult, folder: string) => {
    if (r.sweep_id === sweepId && r.host === folder) rows.push(indexedResult(r, addresses.get(folder)));
  };
  // Host results are read in batches, each cut down to its row as it is read.
  const { summary, attemptDurationsMs } = await aggregateFromStore(store, meta, targets.list, previous?.summary ?? null, new Date(), index);
  return { summary, metrics: renderFleetMetrics(summary, attemptDurationsMs), known: { id: meta.id, created: meta.created, addresses, results: { stamp, rows } } };
}

/**
 * The report's history section from the index (synced first). The index is a cache with a
 * native module: whatever goes wrong with it becomes a line in the report, never a lost report.
 */
async function withHistory(store: Store, sweepId: string, known: KnownSweep): Promise<{ section: ReportHistory | { error: string } | null; done: () => void }> {
  let close = () => {};
  try {
    const { HistoryIndex } = await import('./history-index.js');
    const { reportHistory } = await import('./history.js');
    const ix = HistoryIndex.open(store.root);
    close = () => ix.close();
    await ix.syncYielding({ known });
    const section = reportHistory(ix, sweepId);
    return {
      section,
      done: () => {
        try {
          // The report just written touched the sweep's folder: not a reason to read it again.
          ix.restamp(sweepId);
        } finally {
          ix.close();
        }
      },
    };
  } catch (err) {
    close();
    return { section: { error: errorMessage(err) }, done: () => {} };
  }
}

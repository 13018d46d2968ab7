// A sweep's fleet reports (fleet_report.md and .html), made from what the store holds (never from job return values),
// so a re-probe or a late result simply makes it again.
import { aggregateFromStore, reportTargets } from './aggregate-stream.js';
import { renderFleetHtmlChunks } from './fleet-html.js';
import { renderFleetMetrics } from './fleet-metrics.js';
import { renderFleetReport } from './fleet-report.js';
import type { ReportHistory } from './history.js';
import type { Store } from './store.js';
import { ReportTargetLineSchema, type FleetSummary } from './fleet-schema.js';
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
  const history = await withHistory(store, sweepId, known);
  try {
    const markdown = renderFleetReport(summary, history.section);
    const written = await store.writeFleetReport(sweepId, summary, markdown, { html: renderFleetHtmlChunks(summary), metrics });
    return { reportPath: written.reportPath, summary: written.summary, markdown };
  } finally {
    history.done();
  }
}

/**
 * The summary and the metrics, in a function of their own so that what they were made from
 * (the resolved targets, the host results, the previous sweep's summary: each a row per
 * runner) is garbage before the reports are rendered.
 */
async function summarise(store: Store, sweepId: string): Promise<{ summary: FleetSummary; metrics: string; known: KnownSweep }> {
  const targets = reportTargets();
  const meta = await store.readSweepHead(sweepId, (t) => targets.add(t), ReportTargetLineSchema);
  const known = { id: meta.id, created: meta.created, addresses: new Map(targets.list.map((h) => [h.name, h.address])) };
  const previous = await store.previousOutcomes(sweepId, meta);
  // Host results are read in batches and kept cut down: a sweep of 10,000 runners.
  const { summary, attemptDurationsMs } = await aggregateFromStore(store, meta, targets.list, previous?.summary ?? null);
  return { summary, metrics: renderFleetMetrics(summary, attemptDurationsMs), known };
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

// A sweep's fleet reports (fleet_report.md and .html), made from what the store holds (never from job return values),
// so a re-probe or a late result simply makes it again.
import { aggregateFromStore } from './aggregate-stream.js';
import { renderFleetHtml } from './fleet-html.js';
import { renderFleetMetrics } from './fleet-metrics.js';
import { renderFleetReport } from './fleet-report.js';
import type { ReportHistory } from './history.js';
import type { Store } from './store.js';
import { errorMessage } from '../payload/util/errors.js';

export async function aggregateSweep(store: Store, sweepId: string): Promise<string> {
  const meta = await store.readSweep(sweepId);
  const previous = await store.previousSweep(sweepId);
  // Host results are read a few at a time and kept cut down: a sweep of 10,000 runners.
  const { summary, results } = await aggregateFromStore(store, meta, previous?.summary ?? null);
  const history = await withHistory(store, sweepId);
  try {
    return (await store.writeFleetReport(sweepId, summary, renderFleetReport(summary, history.section), {
      html: renderFleetHtml(summary),
      metrics: renderFleetMetrics(summary, results),
    })).reportPath;
  } finally {
    history.done();
  }
}

/**
 * The report's history section from the index (synced first). The index is a cache with a
 * native module: whatever goes wrong with it becomes a line in the report, never a lost report.
 */
async function withHistory(store: Store, sweepId: string): Promise<{ section: ReportHistory | { error: string } | null; done: () => void }> {
  let close = () => {};
  try {
    const { HistoryIndex } = await import('./history-index.js');
    const { reportHistory } = await import('./history.js');
    const ix = HistoryIndex.open(store.root);
    close = () => ix.close();
    await ix.syncYielding();
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

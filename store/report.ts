// A sweep's fleet reports (fleet_report.md and .html), made from what the store holds (never from job return values),
// so a re-probe or a late result simply makes it again.
import { aggregate } from './aggregate.js';
import { renderFleetHtml } from './fleet-html.js';
import { renderFleetMetrics } from './fleet-metrics.js';
import { renderFleetReport } from './fleet-report.js';
import type { Store } from './store.js';

export async function aggregateSweep(store: Store, sweepId: string): Promise<string> {
  const meta = await store.readSweep(sweepId);
  const results = await store.readHostResults(sweepId);
  const previous = await store.previousSweep(sweepId);
  const summary = aggregate(meta, results, meta.targets, previous?.summary ?? null);
  const { reportPath } = await store.writeFleetReport(sweepId, summary, renderFleetReport(summary), {
    html: renderFleetHtml(summary),
    metrics: renderFleetMetrics(summary, results),
  });
  return reportPath;
}

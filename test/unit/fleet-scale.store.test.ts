// A large sweep's report: the summary made from host results read a few at a time and cut
// down is the one made from all of them in memory, and the markdown runner table stays short
// (not ok first, the rest counted) while the groups and the HTML keep every runner.
import { describe, expect, it } from 'vitest';
import { aggregate } from '../../store/aggregate.js';
import { aggregateFromStore, reportTargets } from '../../store/aggregate-stream.js';
import { renderFleetHtml } from '../../store/fleet-html.js';
import { attemptDurationsMs, renderFleetMetrics } from '../../store/fleet-metrics.js';
import { MAX_RUNNER_ROWS, cappedRunners, renderFleetReport } from '../../store/fleet-report.js';
import { Store } from '../../store/store.js';
import { scaleResult, writeScaleSweep } from '../../lab/scale-store.js';
import { tempDir } from '../helpers.js';

const NOW = new Date('2026-12-02T03:00:00.000Z');

async function storeOf(n: number): Promise<{ store: Store; prevId: string; id: string }> {
  const dir = tempDir('fleet-scale-');
  await writeScaleSweep(dir, 'S1', n, '2026-12-01T02:00:00.000Z');
  await writeScaleSweep(dir, 'S2', n, '2026-12-02T02:00:00.000Z');
  const store = await Store.open(dir);
  // S2 differs from S1 on a few runners, so "changed since" has entries.
  for (const i of [2, 4, 6]) await store.writeHostResult({ ...scaleResult('S2', 7, '2026-12-02T02:00:00.000Z'), host: `rpa-${String(i).padStart(5, '0')}` });
  const prev = aggregate(await store.readSweep('S1'), await store.readHostResults('S1'), (await store.readSweep('S1')).targets, null, NOW);
  await store.writeFleetReport('S1', prev, renderFleetReport(prev));
  return { store, prevId: 'S1', id: 'S2' };
}

describe('fleet report at scale', () => {
  it('the streamed aggregate (targets and the previous outcomes streamed, results a few files at a time, each cut down to its row) equals the in-memory one, metrics too', async () => {
    const { store, prevId, id } = await storeOf(260);
    const meta = await store.readSweep(id);
    const previous = await store.readFleetSummary(prevId);
    const full = await store.readHostResults(id);
    const before = aggregate(meta, full, meta.targets, previous, NOW);
    const targets = reportTargets();
    const head = await store.readSweepHead(id, (t) => targets.add(t));
    expect(targets.list.map((t) => t.name)).toEqual(meta.hosts);
    // Shared, not copied: one groups list per site.
    expect(new Set(targets.list.map((t) => t.groups)).size).toBe(40);
    // The previous sweep as the report reads it: its runners' outcomes, streamed.
    const outcomes = await store.readFleetOutcomes(prevId);
    const { summary, attemptDurationsMs: durations } = await aggregateFromStore(store, head, targets.list, outcomes, NOW);
    expect(summary).toEqual(before);
    // The sweep has every kind of row the summary groups, so the comparison covers them.
    expect(before.counts.unreachable).toBeGreaterThan(0);
    expect(before.counts.failed).toBeGreaterThan(0);
    expect(before.failure_groups.length).toBeGreaterThanOrEqual(2);
    expect(before.finding_groups?.length).toBe(1);
    expect(before.changes?.changed.length).toBe(3);
    expect(durations.length).toBe(3 * before.counts.probed);
    expect(renderFleetMetrics(summary, durations)).toBe(renderFleetMetrics(before, attemptDurationsMs(before, full)));
  });

  it('caps the markdown runner table: not ok first, the rest counted; groups and the HTML keep every runner', async () => {
    const { store, id } = await storeOf(MAX_RUNNER_ROWS + 60);
    const meta = await store.readSweep(id);
    const { summary } = await aggregateFromStore(store, meta, meta.targets, null, NOW);
    const md = renderFleetReport(summary);
    const table = md.slice(md.indexOf('## Runners\n'));
    const rows = table.split('\n').filter((l) => l.startsWith('| `rpa-'));
    expect(rows).toHaveLength(MAX_RUNNER_ROWS);
    const notOk = summary.hosts.filter((h) => h.outcome !== 'ok');
    // Every runner that is not ok is listed, before any ok one.
    expect(rows.slice(0, notOk.length).every((l) => !l.includes('| ok |'))).toBe(true);
    expect(rows.slice(notOk.length).every((l) => l.includes('| ok |'))).toBe(true);
    expect(table).toContain(`... and 60 more (60 ok, 0 not ok)`);
    expect(md).toContain('fleet_report.html');
    // The groups are in full: each failure group's count is the number of its runners.
    const auth = summary.failure_groups.find((g) => g.outcome === 'auth')!;
    expect(md).toContain(`**${auth.hosts.length} runners: auth**`);
    const html = renderFleetHtml(summary);
    expect(html.match(/<tr data-outcome=/g)).toHaveLength(summary.hosts.length);
    // At or below the cap the table is the whole fleet in inventory order, as before.
    const few = { ...summary, hosts: summary.hosts.slice(0, MAX_RUNNER_ROWS) };
    const fewRows = renderFleetReport(few).split('\n').filter((l) => l.startsWith('| `rpa-'));
    expect(fewRows.map((l) => l.slice(3, 12))).toEqual(few.hosts.map((h) => h.name));
  });

  it('lists timed-out runners one per line while few, then one line per stage with the runners counted', async () => {
    const { store, id } = await storeOf(30);
    const meta = await store.readSweep(id);
    const { summary } = await aggregateFromStore(store, meta, meta.targets, null, NOW);
    const hosts = summary.hosts.map((h) => h.name);
    const few = renderFleetReport({ ...summary, timed_out: hosts.slice(0, 3).map((host) => ({ host, stage: 'run' as const })) });
    expect(few).toContain('- `rpa-00000`: at run');
    const many = renderFleetReport({ ...summary, timed_out: hosts.map((host, i) => ({ host, stage: i < 25 ? ('run' as const) : ('queued' as const) })) });
    expect(many).toContain('- at run: 25 runners: `rpa-00000`, ');
    expect(many).toContain('... (5 more)');
    expect(many).toContain('- at queued: 5 runners: ');
  });

  it('cappedRunners takes not ok ones first and counts what is left', () => {
    const hosts = ['ok', 'tls', 'ok', 'auth', 'ok'].map((outcome, i) => ({ outcome, i }));
    expect(cappedRunners(hosts, 3)).toEqual({ shown: [hosts[1], hosts[3], hosts[0]], notOk: 2, okLeft: 2 });
    expect(cappedRunners(hosts, 1)).toEqual({ shown: [hosts[1]], notOk: 2, okLeft: 3 });
  });

  it("the report hands the history index the rows it read: the same index as one built from the files, and a result written after it is read at the next sync", async () => {
    const { HistoryIndex, HISTORY_INDEX_FILE } = await import('../../store/history-index.js');
    const { reportSweep } = await import('../../store/report.js');
    const { rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { store, id } = await storeOf(120);
    await reportSweep(store, id);
    const read = (): unknown[] => {
      const ix = HistoryIndex.open(store.root);
      try {
        ix.sync();
        return ix.sweepRows(id);
      } finally {
        ix.close();
      }
    };
    const fromReport = read();
    expect(fromReport).toHaveLength(120);
    rmSync(join(store.root, HISTORY_INDEX_FILE), { force: true });
    expect(read()).toEqual(fromReport);
    await reportSweep(store, id);
    // A result that lands after a report: the folder's stamp changed, so the next sync reads it.
    await store.writeHostResult({ ...scaleResult(id, 7, '2026-12-02T02:00:00.000Z'), host: 'rpa-00000', finished_at: '2026-12-02T03:00:00.000Z' });
    const after = read() as Array<{ host: string; outcome: string }>;
    expect(after.find((r) => r.host === 'rpa-00000')?.outcome).toBe('unreachable');
  });
});

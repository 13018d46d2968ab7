// The default deadline's formula, timed-out hosts in the fleet view, the late-result rule, and
// summaries written before --deadline existed still read.
import { describe, expect, it } from 'vitest';
import { DEADLINE_CAP_MS, DEADLINE_FLOOR_MS, PUSH_ALLOWANCE_MS, defaultDeadlineMs } from '../../queue/deadline.js';
import { aggregate } from '../../store/aggregate.js';
import { renderFleetReport } from '../../store/fleet-report.js';
import { runnerLines } from '../../store/fleet-outputs.js';
import { FleetSummarySchema, SweepMetaSchema, timedOutResult, type SweepMeta } from '../../store/fleet-schema.js';
import { Store } from '../../store/store.js';
import { tempDir } from '../helpers.js';

describe('defaultDeadlineMs', () => {
  it('is waves of hosts x (command timeout + push allowance) x min(attempts, 2)', () => {
    // 20 hosts at 8 at once: 3 waves; 3 min + 1 min per job; 4 attempts count as 2.
    expect(defaultDeadlineMs({ hosts: 20, concurrency: 8, commandTimeoutMs: 180_000, attempts: 4 })).toBe(3 * (180_000 + PUSH_ALLOWANCE_MS) * 2);
    expect(defaultDeadlineMs({ hosts: 16, concurrency: 8, commandTimeoutMs: 180_000, attempts: 1 })).toBe(2 * 240_000);
  });
  it('has a floor and a cap', () => {
    expect(defaultDeadlineMs({ hosts: 1, concurrency: 8, commandTimeoutMs: 1000, attempts: 1 })).toBe(DEADLINE_FLOOR_MS);
    expect(defaultDeadlineMs({ hosts: 0, concurrency: 8, commandTimeoutMs: 1000, attempts: 1 })).toBe(DEADLINE_FLOOR_MS);
    expect(defaultDeadlineMs({ hosts: 10_000, concurrency: 2, commandTimeoutMs: 180_000, attempts: 4 })).toBe(DEADLINE_CAP_MS);
  });
});

const meta: SweepMeta = SweepMetaSchema.parse({ schema: 'smtp-fleet/sweep', schema_version: 3, id: 's1', created: '2026-12-02T02:00:00.000Z', kind: 'scheduled', selection: { hosts: [], tags: [], groups: [], limit: null }, hosts: ['a', 'b'], options: { auth_test: false, deadline: '2026-12-02T02:10:00.000Z' } });
const common = (host: string, started_at = '2026-12-02T02:00:00.000Z') => ({ sweep_id: 's1', host, transport: 'ssh' as const, job_id: `s1.${host}`, job_attempts: 1, started_at, finished_at: '2026-12-02T02:10:00.000Z', duration_ms: 600_000 });

describe('timed-out hosts', () => {
  it('are counted apart, with their stage, in the summary, the report and the runner lines', () => {
    const s = aggregate(meta, [timedOutResult(common('a'), 'run', meta.options.deadline!)], []);
    expect(s.counts).toMatchObject({ timed_out: 1, pending: 1, unreachable: 0, failed: 0 });
    expect(s.timed_out).toEqual([{ host: 'a', stage: 'run' }]);
    expect(s.deadline).toBe(meta.options.deadline);
    expect(renderFleetReport(s)).toMatch(/## Timed out[\s\S]*`a`: at run/);
    expect(runnerLines(s, [])[0]).toMatchObject({ host: 'a', status: 'timed-out', stage: 'run', reached: false });
  });

  it('a result of a job started before the deadline does not replace the timed-out one; a later re-probe does', async () => {
    const store = await Store.open(tempDir('deadline-store-'));
    await store.createSweep(meta);
    await store.writeHostResult(timedOutResult(common('a'), 'push', meta.options.deadline!));
    const failed = { schema: 'smtp-fleet/host-result', schema_version: 2, status: 'failed', code: 'internal', message: 'x', exit_code: null } as const;
    expect(await store.writeHostResult({ ...failed, ...common('a') })).toBe(false);
    expect((await store.readHostResult('s1', 'a'))?.status).toBe('timed-out');
    expect(await store.writeHostResult({ ...failed, ...common('a', '2026-12-02T03:00:00.000Z'), finished_at: '2026-12-02T03:00:01.000Z' })).toBe(true);
    expect((await store.readHostResult('s1', 'a'))?.status).toBe('failed');
  });
});

describe('a fleet summary written before --deadline', () => {
  it('reads, with no host timed out', () => {
    const now = aggregate(meta, [], []);
    // What an older smtp-fleet wrote: no timed_out counts, list, deadline or row stage.
    const old = JSON.parse(JSON.stringify(now)) as Record<string, unknown> & { counts: Record<string, unknown>; hosts: Array<Record<string, unknown>> };
    delete old.counts.timed_out;
    delete old.timed_out;
    delete old.deadline;
    for (const h of old.hosts) delete h.stage;
    const s = FleetSummarySchema.parse(old);
    expect(s.counts.timed_out).toBe(0);
    expect(s.timed_out).toEqual([]);
    expect(s.deadline).toBeNull();
    expect(s.hosts[0]!.stage).toBeNull();
  });
});

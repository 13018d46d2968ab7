// The store's bookkeeping: sweeps listed newest first, one result per host however often it
// is written, atomic files, the previous sweep for "changed since", schema-checked reads.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aggregate } from '../../store/aggregate.js';
import { transportFailureResult, type SweepMetaInput } from '../../store/fleet-schema.js';
import { renderFleetReport } from '../../store/fleet-report.js';
import { Store, StoreError, newSweepId } from '../../store/store.js';
import { filesUnder, tempDir } from '../helpers.js';

const sweep = (id: string, created: string, hosts = ['r1', 'r2']): SweepMetaInput => ({
  schema: 'smtp-fleet/sweep',
  schema_version: 2,
  id,
  created,
  kind: 'sweep',
  selection: { tags: ['prod'] },
  hosts,
  options: { auth_test: true, auth_max_per_account: 3 },
});
const common = (sweep_id: string, host: string, finished_at = '2026-11-22T02:00:05.000Z') => ({
  sweep_id,
  host,
  transport: 'ssh' as const,
  job_id: `${sweep_id}:${host}`,
  job_attempts: 1,
  started_at: '2026-11-22T02:00:00.000Z',
  finished_at,
  duration_ms: 5000,
});

describe('store: sweeps and host results', () => {
  it('creates sweeps with defaults filled in, refuses a reused id, lists newest first', async () => {
    const store = await Store.open(join(tempDir('fleet-store-'), 'nested', 'store'));
    const a = await store.createSweep(sweep('20261120-020000-aaaa', '2026-11-20T02:00:00.000Z'));
    expect(a.selection).toEqual({ hosts: [], tags: ['prod'], groups: [], limit: null });
    expect(a.options).toMatchObject({ auth_test: true, auth_max_per_account: 3, inventory: null });
    await store.createSweep(sweep('20261122-020000-cccc', '2026-11-22T02:00:00.000Z'));
    await store.createSweep(sweep('20261121-020000-bbbb', '2026-11-21T02:00:00.000Z'));
    await expect(store.createSweep(sweep('20261120-020000-aaaa', '2026-11-20T02:00:00.000Z'))).rejects.toThrow(new StoreError('sweep 20261120-020000-aaaa already exists in the store'));
    // A stray folder without sweep.json is not a sweep.
    writeFileSync(join(store.root, 'sweeps', 'README'), 'x');
    expect((await store.listSweeps()).map((s) => s.id)).toEqual(['20261122-020000-cccc', '20261121-020000-bbbb', '20261120-020000-aaaa']);
    expect(await store.readSweep('20261121-020000-bbbb')).toMatchObject({ kind: 'sweep', hosts: ['r1', 'r2'] });
    expect(newSweepId(new Date('2026-11-22T05:06:07Z'))).toMatch(/^20261122-050607-[0-9a-f]{4}$/);
  });

  it('keeps one result per host: a second write replaces the first, atomically', async () => {
    const store = await Store.open(tempDir('fleet-store-'));
    const id = 'S1';
    await store.createSweep(sweep(id, '2026-11-22T02:00:00.000Z'));
    const first = transportFailureResult(common(id, 'r1', '2026-11-22T02:00:01.000Z'), { code: 'timeout', message: 'connect timed out' });
    const second = transportFailureResult(common(id, 'r1', '2026-11-22T02:00:09.000Z'), { code: 'auth', message: 'publickey refused' });
    await store.writeHostResult(first);
    await store.writeHostResult(first);
    await store.writeHostResult(second);
    expect(await store.readHostResults(id)).toEqual([second]);
    expect(second).toMatchObject({ status: 'failed', code: 'auth' });
    expect(first).toMatchObject({ status: 'unreachable', code: 'timeout' });
    // Concurrent writers (a stalled job and its rerun) leave one valid file and no temp files.
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.writeHostResult({ ...second, duration_ms: i })));
    expect(readdirSync(store.hostDir(id, 'r1'))).toEqual(['host_result.json']);
    expect((await store.readHostResult(id, 'r1'))!.status).toBe('failed');
    expect(await store.readHostResult(id, 'r2')).toBeNull();
  });

  it('refuses results that do not match their schema or whose sweep is unknown', async () => {
    const store = await Store.open(tempDir('fleet-store-'));
    await store.createSweep(sweep('S1', '2026-11-22T02:00:00.000Z'));
    const r = transportFailureResult(common('S1', 'r1'), { code: 'reset', message: 'x' });
    await expect(store.writeHostResult({ ...r, sweep_id: 'S9' })).rejects.toThrow(/no sweep S9 in the store/);
    await expect(store.writeHostResult({ ...r, host: '../../etc' })).rejects.toThrow(/invalid host name/);
    await expect(store.writeHostResult({ ...r, status: 'weird' } as never)).rejects.toThrow();
    // A corrupted file on disk is reported, naming it.
    mkdirSync(store.hostDir('S1', 'r1'), { recursive: true });
    writeFileSync(join(store.hostDir('S1', 'r1'), 'host_result.json'), '{"schema":"smtp-fleet/host-result"}');
    await expect(store.readHostResult('S1', 'r1')).rejects.toThrow(/host_result\.json does not match its schema: /);
  });

  it('writes the report pair and finds the previous sweep that has one', async () => {
    const store = await Store.open(tempDir('fleet-store-'));
    const s1 = await store.createSweep(sweep('S1', '2026-11-20T02:00:00.000Z'));
    await store.createSweep(sweep('S2', '2026-11-21T02:00:00.000Z')); // never reported
    const s3 = await store.createSweep(sweep('S3', '2026-11-22T02:00:00.000Z'));
    expect(await store.previousSweep('S3')).toBeNull();

    await store.writeHostResult(transportFailureResult(common('S1', 'r1'), { code: 'unreachable', message: 'no route' }));
    const sum1 = aggregate(s1, await store.readHostResults('S1'), []);
    const { summaryPath, reportPath } = await store.writeFleetReport('S1', sum1, renderFleetReport(sum1));
    expect(existsSync(summaryPath) && existsSync(reportPath)).toBe(true);
    await expect(store.writeFleetReport('S3', sum1, '')).rejects.toThrow(/cannot be written to sweep S3/);

    const prev = await store.previousSweep('S3');
    expect(prev?.meta.id).toBe('S1');
    expect(prev?.summary).toEqual(sum1);
    expect(await store.previousSweep('S1')).toBeNull();

    const sum3 = aggregate(s3, [], [], prev!.summary);
    expect(sum3.pending).toEqual(['r1', 'r2']);
    expect(sum3.changes).toMatchObject({ previous_sweep_id: 'S1', new_failures: [], recovered: [], new_hosts: [], missing_hosts: [] });
    expect(filesUnder(join(store.root, 'sweeps', 'S1'))).toEqual(['fleet_report.md', 'fleet_summary.json', 'hosts/r1/host_result.json', 'sweep.json']);
  });
});

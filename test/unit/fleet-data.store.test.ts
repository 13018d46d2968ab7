// The store's bookkeeping: sweeps listed newest first, one result per host however often it
// is written, atomic files, the previous sweep for "changed since", schema-checked reads.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { aggregate } from '../../store/aggregate.js';
import { transportFailureResult, type SweepMetaInput } from '../../store/fleet-schema.js';
import { renderFleetReport } from '../../store/fleet-report.js';
import { Store, StoreError, newSweepId } from '../../store/store.js';
import { filesUnder, tempDir } from '../helpers.js';

const sweep = (id: string, created: string, hosts = ['r1', 'r2']): SweepMetaInput => ({
  schema: 'smtp-fleet/sweep',
  schema_version: 3,
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
    expect(filesUnder(join(store.root, 'sweeps', 'S1'))).toEqual(['fleet_report.md', 'fleet_summary.json', 'hosts/r1/host_result.json', 'sweep.json', 'targets.jsonl']);
  });
});

describe('store: finding sweeps without reading every sweep.json', () => {
  const T = (d: number, s = 0) => `2026-11-${String(d).padStart(2, '0')}T02:00:${String(s).padStart(2, '0')}.000Z`;
  const idAt = (d: number, s = 0, tail = 'aaaa') => `202611${String(d).padStart(2, '0')}-0200${String(s).padStart(2, '0')}-${tail}`;

  async function reported(store: Store, id: string, created: string): Promise<void> {
    const m = await store.createSweep(sweep(id, created));
    const s = aggregate(m, [], []);
    await store.writeFleetReport(id, s, renderFleetReport(s));
  }

  it('previousSweep reads only the candidates it needs: newest id first, stopping at the first with a summary', async () => {
    const store = await Store.open(tempDir('fleet-store-'));
    await reported(store, idAt(18), T(18));
    await reported(store, idAt(20), T(20));
    await store.createSweep(sweep(idAt(21), T(21))); // no summary: not read
    await reported(store, idAt(23), T(23)); // after the current one: not read
    const current = await store.createSweep(sweep(idAt(22), T(22)));
    const read = vi.spyOn(store as unknown as { readSweepIfValid(n: string): Promise<unknown> }, 'readSweepIfValid');
    const prev = await store.previousSweep(current.id, current);
    expect(prev?.meta.id).toBe(idAt(20));
    expect(read.mock.calls.map(([n]) => n)).toEqual([idAt(20)]);
    // The same answer as the whole list gives (what previousSweep did before).
    const older = (await store.listSweeps()).filter((m) => m.created < current.created);
    expect(older[0]!.id).toBe(idAt(21));
    expect(older[1]!.id).toBe(prev!.meta.id);
  });

  it('keeps the order by created: same second, ids that carry no time, the latest sweep', async () => {
    const store = await Store.open(tempDir('fleet-store-'));
    await reported(store, idAt(20, 5, 'bbbb'), T(20, 5));
    await reported(store, idAt(20, 5, 'aaaa'), '2026-11-20T02:00:05.900Z'); // same second, created later
    await reported(store, 'imported-1', T(19)); // no time in its id: always read
    const current = await store.createSweep(sweep(idAt(20, 6), T(20, 6)));
    expect((await store.previousSweep(current.id))?.meta.id).toBe(idAt(20, 5, 'aaaa'));
    const cur2 = await store.createSweep(sweep('imported-2', T(20)));
    expect((await store.previousSweep(cur2.id))?.meta.id).toBe('imported-1');
    await reported(store, 'imported-3', T(25));
    expect((await store.latestSweep())?.id).toBe('imported-3');
    expect((await store.latestSweep())?.id).toBe((await store.listSweeps())[0]!.id);
    expect(await (await Store.open(tempDir('fleet-store-'))).latestSweep()).toBeNull();
  });

  it('the write path checks that the sweep exists, without parsing its sweep.json', async () => {
    const store = await Store.open(tempDir('fleet-store-'));
    await store.createSweep(sweep('S1', '2026-11-22T02:00:00.000Z'));
    const r = transportFailureResult(common('S1', 'r1'), { code: 'reset', message: 'x' });
    const read = vi.spyOn(store, 'readSweep');
    expect(await store.writeHostResult(r)).toBe(true);
    expect(read).not.toHaveBeenCalled();
    await expect(store.writeHostResult({ ...r, sweep_id: 'S9' })).rejects.toThrow(new StoreError(`no sweep S9 in the store ${store.root}`));
    await expect(store.acceptZip('S9', 'r1', join(store.root, 'absent.zip'))).rejects.toThrow(/no sweep S9 in the store/);
    // A folder without its sweep.json is no sweep either.
    mkdirSync(join(store.root, 'sweeps', 'S8'));
    await expect(store.writeHostResult({ ...r, sweep_id: 'S8' })).rejects.toThrow(/no sweep S8 in the store/);
    expect(existsSync(join(store.root, 'sweeps', 'S8', 'hosts'))).toBe(false);
  });
});

describe('store: a sweep is sweep.json and its targets.jsonl', () => {
  it('reads back what was written, streams the targets, and names a bad line or target by where it is', async () => {
    const { scaleTargets } = await import('../../lab/scale-store.js');
    const store = await Store.open(tempDir('fleet-store-'));
    const m = await store.createSweep({ ...sweep('S1', '2026-11-22T02:00:00.000Z', ['rpa-00000', 'rpa-00001', 'rpa-00002']), targets: scaleTargets(3) });
    const file = join(store.sweepDir('S1'), 'sweep.json');
    const lines = join(store.sweepDir('S1'), 'targets.jsonl');
    const raw = () => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    // sweep.json holds no targets: listing sweeps does not read 10,000 hosts.
    expect(raw().targets).toBeUndefined();
    expect(raw().schema_version).toBe(3);
    expect(readFileSync(lines, 'utf8').trimEnd().split('\n')).toHaveLength(3);
    expect(await store.readSweep('S1')).toEqual(m);
    const seen: string[] = [];
    const { targets: _t, ...head } = m;
    expect(await store.readSweepHead('S1', (t) => void seen.push(t.name))).toEqual(head);
    expect(seen).toEqual(m.hosts);
    expect(await store.listSweeps()).toEqual([head]);
    // The history index's synchronous read: the runners' addresses from targets.jsonl.
    const { knownSweepAt } = await import('../../store/known-sweep.js');
    expect(knownSweepAt(store.sweepDir('S1'), 'S1')).toEqual({ id: 'S1', created: m.created, addresses: new Map(m.targets.map((t) => [t.name, t.address])) });
    expect(knownSweepAt(store.sweepDir('S1'), 'S2')).toBeNull();

    const good = readFileSync(lines, 'utf8');
    const [l1, l2, l3] = good.trimEnd().split('\n') as [string, string, string];
    writeFileSync(lines, `${l1}\n${JSON.stringify({ ...JSON.parse(l2), port: 'ssh' })}\n${l3}\n`);
    await expect(store.readSweep('S1')).rejects.toThrow(/targets\.jsonl line 2 does not match its schema: port: /);
    writeFileSync(lines, `${l1}\n{"name":\n`);
    await expect(store.readSweep('S1')).rejects.toThrow(/targets\.jsonl line 2 is not valid JSON$/);
    expect(knownSweepAt(store.sweepDir('S1'), 'S1')).toBeNull();
    rmSync(lines);
    await expect(store.readSweep('S1')).rejects.toThrow(/targets\.jsonl is missing/);
    // The head alone does not need the targets.
    expect(await store.readSweepHead('S1')).toEqual(head);
  });

  it('reads a version-2 sweep.json (targets inline) as a whole parse would, a bad target named by its path', async () => {
    const { scaleTargets } = await import('../../lab/scale-store.js');
    const { StoredSweepMeta, parseStoredSweepMeta } = await import('../../store/fleet-migrate.js');
    const store = await Store.open(tempDir('fleet-store-'));
    const m = await store.createSweep({ ...sweep('S1', '2026-11-22T02:00:00.000Z', ['rpa-00000', 'rpa-00001', 'rpa-00002']), targets: scaleTargets(3) });
    const file = join(store.sweepDir('S1'), 'sweep.json');
    rmSync(join(store.sweepDir('S1'), 'targets.jsonl'));
    const { schema_version: _v, ...rest } = m;
    const v2 = () => structuredClone({ ...rest, schema_version: 2, targets: m.targets }) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify(v2()));
    const whole = StoredSweepMeta.safeParse(v2());
    expect(whole.success && whole.data).toEqual(m);
    expect(parseStoredSweepMeta(v2())).toEqual(whole);
    expect(await store.readSweep('S1')).toEqual(m);
    const bad = v2();
    (bad.targets as Array<Record<string, unknown>>)[1]!.port = 'ssh';
    writeFileSync(file, JSON.stringify(bad));
    await expect(store.readSweep('S1')).rejects.toThrow(/sweep\.json does not match its schema: targets\.1\.port: /);
    // The rest of the file is checked first, as a whole parse reports it first.
    writeFileSync(file, JSON.stringify({ ...bad, kind: 'weird' }));
    await expect(store.readSweep('S1')).rejects.toThrow(/does not match its schema: kind: /);
  });
});

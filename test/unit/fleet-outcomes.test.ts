// "Changed since" reads the previous sweep's fleet_summary.json as a stream, keeping each
// runner's name and outcome: it must give what the whole read gives, and say what is wrong
// with a bad file in one line rather than compare with half of it.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aggregate } from '../../store/aggregate.js';
import { readFleetOutcomes } from '../../store/fleet-outcomes.js';
import { renderFleetReport } from '../../store/fleet-report.js';
import { Store } from '../../store/store.js';
import { writeScaleSweep } from '../../lab/scale-store.js';
import { tempDir } from '../helpers.js';

async function reported(n: number): Promise<{ store: Store; file: string }> {
  const store = await Store.open(tempDir('fleet-outcomes-'));
  await writeScaleSweep(store.root, 'S1', n);
  const meta = await store.readSweep('S1');
  const s = aggregate(meta, await store.readHostResults('S1'), meta.targets);
  await store.writeFleetReport('S1', s, renderFleetReport(s));
  return { store, file: join(store.sweepDir('S1'), 'fleet_summary.json') };
}

describe('previous outcomes, streamed', () => {
  it('are what the whole read gives: the sweep and every runner in order, nothing else kept', async () => {
    const { store, file } = await reported(120);
    const whole = (await store.readFleetSummary('S1'))!;
    const r = await readFleetOutcomes(file);
    expect(r).toEqual({ ok: true, value: { sweep: { id: 'S1', created: whole.sweep.created }, hosts: whole.hosts.map((h) => ({ name: h.name, outcome: h.outcome })) } });
    expect(new Set(whole.hosts.map((h) => h.outcome)).size).toBeGreaterThan(2);
    expect(await store.readFleetOutcomes('S1')).toEqual(r.ok && r.value);
  });

  it('names a bad row, a cut-short or broken file and a bad head; absent is null', async () => {
    const { store, file } = await reported(3);
    const text = readFileSync(file, 'utf8');
    const data = JSON.parse(text) as { hosts: Array<Record<string, unknown>>; sweep: Record<string, unknown> };
    writeFileSync(file, JSON.stringify({ ...data, hosts: data.hosts.map((h, i) => (i === 1 ? { ...h, outcome: 7 } : h)) }));
    expect(await readFleetOutcomes(file)).toEqual({ ok: false, reason: expect.stringMatching(/^hosts\.1\.outcome: /) });
    await expect(store.readFleetOutcomes('S1')).rejects.toThrow(/fleet_summary\.json does not match its schema: hosts\.1\.outcome: /);
    writeFileSync(file, text.slice(0, text.length / 2));
    expect(await readFleetOutcomes(file)).toEqual({ ok: false, reason: 'not valid JSON' });
    writeFileSync(file, text.replace('"hosts": [', '"hosts": [,'));
    expect(await readFleetOutcomes(file)).toEqual({ ok: false, reason: 'not valid JSON' });
    writeFileSync(file, JSON.stringify({ ...data, sweep: { ...data.sweep, id: 5 } }));
    expect(await readFleetOutcomes(file)).toEqual({ ok: false, reason: expect.stringMatching(/^sweep\.id: /) });
    writeFileSync(file, JSON.stringify({ ...data, schema_version: 9 }));
    expect(await readFleetOutcomes(file)).toEqual({ ok: false, reason: 'other-version' });
    rmSync(file);
    expect(await readFleetOutcomes(file)).toEqual({ ok: false, reason: 'missing' });
    expect(await store.readFleetOutcomes('S1')).toBeNull();
  });
});

// ZIPs coming back from runners are untrusted: hostile ones are refused with a reason and
// leave nothing behind, real ones from the probe (run against the loopback lab) pass.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ZipRejectedError, validateResultZip, type ZipRejectKind } from '../store/zip-check.js';
import { aggregate } from '../store/aggregate.js';
import { probedResult } from '../store/fleet-schema.js';
import { renderFleetReport } from '../store/fleet-report.js';
import { Store, newSweepId } from '../store/store.js';
import { parseInventory } from '../inventory/load.js';
import { ProbeSummarySchema } from '../payload/schema/summary.js';
import { writeZip } from '../payload/report/zip.js';
import { buildZip, hostileCorpus, unixMode, type HostileCase, type RawEntry } from './fleet-data-zips.js';
import { filesUnder, runCli, tempDir, unzip } from './helpers.js';

const lab = inject('lab');
let work: string;
let okZip: string;
let refusedZip: string;
let summaryJson: string;
let writerZip: Buffer;

/** Runs the real probe with --zip-to and returns the ZIP path. */
async function realProbe(name: string, args: string[]): Promise<string> {
  const out = join(work, `out-${name}`);
  const zipTo = join(work, `${name}.zip`);
  const r = await runCli(['probe', '--quiet', '--out', out, '--zip-to', zipTo, '--ehlo-name', 'fleet.lab.test', ...args]);
  expect(r.stderr).toBe('');
  expect(existsSync(zipTo)).toBe(true);
  return zipTo;
}

beforeAll(async () => {
  work = tempDir('fleet-zip-');
  [okZip, refusedZip] = await Promise.all([
    realProbe('ok', ['--host', '127.0.0.1', '--port', `${lab.postfix.starttlsPort}:starttls`, '--ca', lab.caFile]),
    realProbe('refused', ['--host', '127.0.0.1', '--port', `${lab.closedPort}`, '--timeout', '2s']),
  ]);
  summaryJson = (await unzip(okZip)).get('probe_summary.json')!.toString('utf8');
  // What the payload's own writer (the same code on Linux and Windows runners) produces.
  const written = join(work, 'writer.zip');
  writeZip(written, [{ name: 'probe_summary.json', data: Buffer.from(summaryJson) }, { name: 'tls/chain.txt', data: Buffer.from('chain') }, { name: 'transcripts/a 1.txt', data: Buffer.alloc(100_000, 'a') }]);
  writerZip = readFileSync(written);
});

let n = 0;
function zipFile(entries: RawEntry[], opts?: { declaredCount?: number }): string {
  const p = join(work, `crafted-${++n}.zip`);
  writeFileSync(p, buildZip(entries, opts));
  return p;
}
const summary = (): RawEntry => ({ name: 'probe_summary.json', data: summaryJson });

async function rejection(path: string, limits?: Parameters<typeof validateResultZip>[1]): Promise<{ kind: ZipRejectKind; message: string }> {
  try {
    await validateResultZip(path, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(ZipRejectedError);
    expect((err as ZipRejectedError).code).toBe('zip-rejected');
    expect((err as Error).message).not.toMatch(/\n/);
    return { kind: (err as ZipRejectedError).kind, message: (err as Error).message };
  }
  throw new Error('expected the ZIP to be rejected');
}

/** Names Debian's Info-ZIP unzip lists for a ZIP (none when it cannot read it). */
function unzipNames(path: string): string[] {
  const r = spawnSync('unzip', ['-l', path], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  const lines = r.stdout.split('\n');
  const first = lines.findIndex((l) => /^-{9}/.test(l));
  if (first < 0) return [];
  const names: string[] = [];
  for (const l of lines.slice(first + 1)) {
    if (/^-{9}/.test(l)) break;
    const m = /^\s*\d+\s+\S+\s+\S+\s{3}(.*)$/.exec(l);
    if (m) names.push(m[1]!);
  }
  return names;
}

/** ZIPs that must pass: the real probe's, and crafted ones that are unusual but sound. */
function validZips(): Buffer[] {
  const s = { name: 'probe_summary.json', data: summaryJson };
  return [
    readFileSync(okZip),
    readFileSync(refusedZip),
    writerZip,
    buildZip([s, { name: 'tls/', data: '', method: 0, externalAttrs: unixMode(0o040755) }, { name: 'tls/chain.txt', data: 'x' }]),
    buildZip([s, { name: 'report.md', data: '# report', dataDescriptor: {} }, { name: 'b.txt', data: 'b', dataDescriptor: { signature: false } }]),
    buildZip([s, { name: 'dos.txt', data: 'x', versionMadeBy: 20, externalAttrs: 0x20 }, { name: 'DOSDIR/', data: '', method: 0, versionMadeBy: 20, externalAttrs: 0x10 }]),
    buildZip([s, { name: 'caf\u00e9 r\u00e9sum\u00e9.txt', data: 'x' }], { comment: Buffer.from('made by hand') }),
  ];
}

describe('result ZIPs from the real probe', () => {
  it('accepts an ok run and a failing run, with hash, size and entries', async () => {
    const ok = await validateResultZip(okZip);
    expect(ok.summary.verdict.class).toBe('ok');
    expect(ok.bytes).toBe(statSync(okZip).size);
    expect(ok.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ok.entries.map((e) => e.name)).toEqual(expect.arrayContaining(['probe_summary.json', 'report.md', 'dns_resolution.json']));
    expect(ok.entries.find((e) => e.name === 'probe_summary.json')!.bytes).toBe(Buffer.byteLength(summaryJson));
    const refused = await validateResultZip(refusedZip);
    expect(refused.summary.verdict.class).toBe('connect');
    expect(refused.summary.verdict.exit_code).toBe(11);
    expect(ProbeSummarySchema.parse(refused.summary)).toEqual(refused.summary);
  });

  it('accepts a crafted ZIP with folders and the real summary (the checks are not blanket refusals)', async () => {
    const p = zipFile([summary(), { name: 'tls/', data: '', method: 0, externalAttrs: unixMode(0o040755) }, { name: 'tls/chain.txt', data: 'x' }]);
    const r = await validateResultZip(p);
    expect(r.entries.map((e) => e.name)).toEqual(['probe_summary.json', 'tls/chain.txt']);
  });
});

describe('hostile result ZIPs are rejected with the reason', () => {
  // Built lazily: the corpus embeds the real probe's summary, which beforeAll produces.
  let corpus: HostileCase[];
  const corpusCase = (i: number) => (corpus ??= hostileCorpus(summaryJson))[i]!;
  // Named at collection time, before the lab runs: from a stand-in summary with the keys the cases patch.
  const named = hostileCorpus(JSON.stringify({ sweep: { total: 0 }, verdict: {}, run: {} })).map((c) => c.what);
  const CORPUS_SIZE = named.length;

  it(`holds at least 60 hostile cases (${CORPUS_SIZE})`, () => {
    expect(CORPUS_SIZE).toBeGreaterThanOrEqual(60);
    expect(new Set(named).size).toBe(CORPUS_SIZE);
  });

  for (let i = 0; i < CORPUS_SIZE; i++) {
    it(`refuses ${named[i]}`, async () => {
      const c = corpusCase(i);
      const p = join(work, `corpus-${i}.zip`);
      writeFileSync(p, c.zip);
      const r = await rejection(p, c.limits);
      expect(r, r.message).toMatchObject({ kind: c.kind });
      expect(r.message).toMatch(c.reason);
    });
  }

  it('sees exactly the entries Info-ZIP unzip lists, or refuses the ZIP', async () => {
    const valid = validZips();
    let listed = 0;
    let refusedListed = 0;
    corpus ??= hostileCorpus(summaryJson);
    const all = [...corpus, ...valid.map((zip) => ({ zip, limits: undefined }))];
    for (const [i, { zip, limits }] of all.entries()) {
      const p = join(work, `cross-${i}.zip`);
      writeFileSync(p, zip);
      const names = unzipNames(p);
      const ours = await validateResultZip(p, limits).catch((e: unknown) => e as ZipRejectedError);
      if (ours instanceof ZipRejectedError) {
        if (names.length) {
          listed++;
          refusedListed++;
        }
        continue;
      }
      listed++;
      expect([...ours.entries.map((e) => e.name), ...ours.folders].sort(), `ZIP ${i}`).toEqual(names.sort());
    }
    // Unzip lists something for most of the corpus: the property is not vacuous.
    expect(refusedListed).toBeGreaterThan(corpus.length / 2);
    expect(listed - refusedListed).toBe(valid.length);
  });

  it('accepts ZIPs that are odd but sound: a data descriptor, an MS-DOS entry, an archive comment, folders, the payload\'s own writer', async () => {
    for (const [i, zip] of validZips().entries()) {
      const p = join(work, `valid-${i}.zip`);
      writeFileSync(p, zip);
      expect((await validateResultZip(p)).summary.verdict.class, `ZIP ${i}`).toMatch(/\w/);
    }
  });

  it('refuses a summary with a negative count before it can fail the host as internal', async () => {
    const wrong = JSON.parse(summaryJson);
    wrong.sweep.ok = -1;
    const r = await rejection(zipFile([{ name: 'probe_summary.json', data: JSON.stringify(wrong) }]));
    expect(r).toEqual({ kind: 'schema', message: expect.stringMatching(/^probe_summary\.json does not match its schema: sweep\.ok: /) });
  });

  it('refuses duplicate names, also when they differ only in case', async () => {
    expect(await rejection(zipFile([summary(), { name: 'a.txt', data: '1' }, { name: 'a.txt', data: '2' }]))).toEqual({ kind: 'duplicate', message: 'duplicate entry name "a.txt"' });
    expect((await rejection(zipFile([summary(), { name: 'A.txt', data: '1' }, { name: 'a.txt', data: '2' }]))).kind).toBe('duplicate');
  });

  it('refuses an oversize file before reading it', async () => {
    const big = zipFile([summary(), { name: 'pad.bin', data: Buffer.alloc(300_000, 1), method: 0 }]);
    expect(await rejection(big, { maxZipBytes: 100_000 })).toEqual({ kind: 'too-large', message: expect.stringMatching(/^the ZIP is \d+ bytes, above the 100000-byte cap$/) });
  });

  it('stops a zip bomb whose headers lie, counting while it inflates', async () => {
    // 64 MiB of zeros deflate to ~64 KiB; the headers claim 1 KiB.
    const bomb = zipFile([summary(), { name: 'innocent.txt', data: Buffer.alloc(64 * 1024 * 1024), declaredSize: 1024 }]);
    expect(statSync(bomb).size).toBeLessThan(200_000);
    const t0 = performance.now();
    const r = await rejection(bomb, { maxUncompressedBytes: 4 * 1024 * 1024 });
    expect(r.kind).toBe('bomb');
    expect(r.message).toMatch(/inflate past the 4194304-byte cap \(at "innocent\.txt", declared 1024 bytes\): zip bomb\?/);
    // Stopped near the cap rather than inflating all 64 MiB.
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('refuses an entry whose size differs from its header even under the cap', async () => {
    const r = await rejection(zipFile([summary(), { name: 'x.txt', data: 'x'.repeat(100), declaredSize: 10 }]));
    expect(r).toEqual({ kind: 'size-mismatch', message: 'entry "x.txt" inflates to 100 bytes but its header says 10' });
  });

  it('refuses too many entries, by the directory count and by actual entries', async () => {
    const many = Array.from({ length: 12 }, (_, i): RawEntry => ({ name: `f${i}.txt`, data: 'x', method: 0 }));
    expect(await rejection(zipFile([summary(), ...many]), { maxEntries: 10 })).toEqual({ kind: 'too-many-entries', message: 'the ZIP lists 13 entries, above the cap of 10' });
    const ok = await validateResultZip(zipFile([summary(), ...many]));
    expect(ok.entries).toHaveLength(13);
  });

  it('refuses a missing, oversize, malformed or schema-breaking probe_summary.json', async () => {
    expect(await rejection(zipFile([{ name: 'report.md', data: '# hi' }]))).toEqual({ kind: 'missing-summary', message: 'the ZIP has no probe_summary.json' });
    expect((await rejection(zipFile([summary()]), { maxJsonBytes: 1000 })).kind).toBe('too-large');
    const bad = await rejection(zipFile([{ name: 'probe_summary.json', data: '{"schema": "smtp-probe/probe-summary",' }]));
    expect(bad.kind).toBe('bad-json');
    expect(bad.message).toMatch(/^probe_summary\.json is not valid JSON: /);
    const wrong = JSON.parse(summaryJson);
    wrong.verdict.class = 'all-good';
    const schema = await rejection(zipFile([{ name: 'probe_summary.json', data: JSON.stringify(wrong) }]));
    expect(schema.kind).toBe('schema');
    expect(schema.message).toMatch(/^probe_summary\.json does not match its schema: verdict\.class: /);
    expect((await rejection(zipFile([{ name: 'probe_summary.json', data: '[]' }]))).message).toMatch(/does not match its schema: \(root\)/);
  });

  it('refuses files that are not ZIPs, and links where the ZIP should be', async () => {
    const junk = join(work, 'junk.zip');
    writeFileSync(junk, 'MZ this is not a zip at all');
    expect((await rejection(junk)).kind).toBe('malformed');
    const link = join(work, 'link.zip');
    symlinkSync(okZip, link);
    expect(await rejection(link)).toEqual({ kind: 'unreadable', message: 'cannot open the ZIP: ELOOP' });
  });

  it('leaks no file descriptors over many rejections', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const bad = zipFile([summary(), { name: '../x', data: 'x' }]);
    const junk = join(work, 'junk2.zip');
    writeFileSync(junk, 'not a zip');
    const bomb = zipFile([summary(), { name: 'b', data: Buffer.alloc(8 * 1024 * 1024), declaredSize: 1 }]);
    const before = fds();
    for (let i = 0; i < 20; i++) {
      await rejection(bad);
      await rejection(junk);
      await rejection(bomb, { maxUncompressedBytes: 1024 * 1024 });
      await validateResultZip(okZip);
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(fds()).toBeLessThanOrEqual(before + 2);
  });
});

describe('store: accepting ZIPs', () => {
  it('moves a valid ZIP into place and refuses hostile ones without writing anything outside the store', async () => {
    const base = tempDir('fleet-store-');
    const root = join(base, 'store');
    const outside = join(base, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep.txt'), 'untouched');
    const store = await Store.open(root);
    const id = newSweepId();
    await store.createSweep({ schema: 'smtp-fleet/sweep', schema_version: 3, id, created: new Date().toISOString(), kind: 'sweep', selection: {}, hosts: ['r1', 'r2'], options: {} });

    const incoming = (src: Buffer | string) => {
      const p = join(base, `incoming-${++n}.zip`);
      writeFileSync(p, src);
      return p;
    };
    const good = incoming(readFileSync(okZip));
    const { checked, zipPath } = await store.acceptZip(id, 'r1', good);
    expect(zipPath).toBe(`sweeps/${id}/hosts/r1/result.zip`);
    expect(checked.summary.verdict.class).toBe('ok');
    expect(existsSync(good)).toBe(false);
    expect(readFileSync(join(root, zipPath))).toEqual(readFileSync(okZip));

    // A re-probe replaces the ZIP.
    await store.acceptZip(id, 'r1', incoming(readFileSync(refusedZip)));
    expect(readFileSync(join(root, zipPath))).toEqual(readFileSync(refusedZip));

    const hostile = [
      buildZip([summary(), { name: '../../../outside/evil.txt', data: 'pwned' }]),
      buildZip([summary(), { name: '/tmp/evil.txt', data: 'pwned' }]),
      buildZip([summary(), { name: 'evil', data: '../../outside/keep.txt', externalAttrs: unixMode(0o120777) }]),
      buildZip([{ name: 'probe_summary.json', data: '{oops' }]),
      buildZip([summary(), { name: 'bomb', data: Buffer.alloc(8 * 1024 * 1024), declaredSize: 10 }]),
    ];
    for (const z of hostile) {
      const p = incoming(z);
      await expect(store.acceptZip(id, 'r2', p, { maxUncompressedBytes: 1024 * 1024 })).rejects.toBeInstanceOf(ZipRejectedError);
      expect(existsSync(p)).toBe(false);
    }
    // A link handed in as the ZIP is refused without reading or moving its target.
    const link = join(base, 'link.zip');
    symlinkSync(join(outside, 'keep.txt'), link);
    await expect(store.acceptZip(id, 'r2', link)).rejects.toThrow('the fetched ZIP is not a regular file');
    expect(lstatSync(join(outside, 'keep.txt')).isFile()).toBe(true);

    expect(filesUnder(outside)).toEqual(['keep.txt']);
    expect(readFileSync(join(outside, 'keep.txt'), 'utf8')).toBe('untouched');
    expect(readdirSync(base).sort()).toEqual(['outside', 'store']);
    expect(filesUnder(root)).toEqual([`sweeps/${id}/hosts/r1/result.zip`, `sweeps/${id}/sweep.json`, `sweeps/${id}/targets.jsonl`]);

    // A rejected re-probe leaves no stale ZIP behind for the host.
    await expect(store.acceptZip(id, 'r1', incoming(hostile[0]!))).rejects.toThrow(/climbs out/);
    expect(filesUnder(root)).toEqual([`sweeps/${id}/sweep.json`, `sweeps/${id}/targets.jsonl`]);
  });

  it('carries real probe ZIPs through the store into the fleet report', async () => {
    const store = await Store.open(tempDir('fleet-store-'));
    const inv = parseInventory(
      'version: 1\ndefaults: { os: linux, transport: ssh, user: bot, auth: { agent: true }, tags: [lab] }\nhosts:\n  - { name: good, address: 127.0.0.2 }\n  - { name: blocked, address: 127.0.0.3 }\n  - { name: bad, address: 127.0.0.4 }\n',
      'lab.yml',
    );
    const meta = await store.createSweep({ schema: 'smtp-fleet/sweep', schema_version: 3, id: 'LAB', created: new Date().toISOString(), kind: 'sweep', selection: {}, hosts: inv.hosts.map((h) => h.name), options: {} });
    const common = (host: string) => ({ sweep_id: 'LAB', host, transport: 'ssh' as const, job_id: `LAB:${host}`, job_attempts: 1, started_at: meta.created, finished_at: new Date().toISOString(), duration_ms: 900 });
    for (const [host, src] of [['good', okZip], ['blocked', refusedZip]] as const) {
      const tmp = join(store.root, `..`, `${host}.download`);
      writeFileSync(tmp, readFileSync(src));
      const { checked, zipPath } = await store.acceptZip('LAB', host, tmp);
      await store.writeHostResult(probedResult(common(host), checked, zipPath, { uploaded_bytes: 1024, cache_hit: false }));
    }
    const tmp = join(store.root, '..', 'bad.download');
    writeFileSync(tmp, buildZip([summary(), { name: '../../evil', data: 'x' }]));
    const err = await store.acceptZip('LAB', 'bad', tmp).catch((e: unknown) => e as ZipRejectedError);
    await store.writeHostResult({ schema: 'smtp-fleet/host-result', schema_version: 2, ...common('bad'), status: 'rejected', reason: (err as Error).message, zip_bytes: null, zip_sha256: null });

    const results = await store.readHostResults('LAB');
    const good = results.find((r) => r.host === 'good')!;
    expect(good).toMatchObject({ status: 'probed', verdict: { class: 'ok', exit_code: 0 }, attempts: { ok: 1, total: 1 }, payload_version: expect.any(String) });
    if (good.status === 'probed') expect(good.zip.sha256).toBe((await validateResultZip(join(store.root, good.zip.path))).sha256);
    const s = aggregate(meta, results, inv.hosts);
    expect(s.counts).toMatchObject({ selected: 3, probed: 2, ok: 1, smtp_failing: 1, rejected: 1, unreachable: 0 });
    expect(s.failure_groups).toEqual([{ outcome: 'connect', hint_id: 'connect-refused', evidence: expect.stringContaining('<ip>'), next_step: expect.stringMatching(/\S/), hosts: ['blocked'] }]);
    const md = renderFleetReport(s);
    expect(md).toContain('climbs out of its folder');
    expect(md).toMatch(/\| `good` \| `127\.0\.0\.2` \| linux \/ ssh \| ok \| 1\/1 \|/);
  });

  it('refuses host and sweep ids that would escape the store', async () => {
    const store = await Store.open(tempDir('fleet-store-'));
    expect(() => store.hostDir('s1', '../x')).toThrow(/invalid host name "\.\.\/x"/);
    expect(() => store.hostDir('../s1', 'r1')).toThrow(/invalid sweep id/);
    expect(() => store.sweepDir('..')).toThrow(/invalid sweep id/);
    expect(() => store.sweepDir('a/b')).toThrow(/invalid sweep id/);
    await expect(store.readSweep('nope')).rejects.toThrow(/no sweep nope in the store/);
  });
});

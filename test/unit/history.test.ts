// History across sweeps: the SQLite index over small stores made in the store's format, what
// it tells (streaks, first and last seen, flapping, new signatures, long-standing failures),
// that it follows the files (a new sweep, a re-probe, a deleted sweep, a corrupt or foreign
// index file), hostile host names, and the history section of fleet_report.md.
import Database from 'better-sqlite3';
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { historyCommand } from '../../controller/history-command.js';
import { hostHistoryText } from '../../controller/history-text.js';
import { EVIDENCE, nightly, writeSweep, type PlannedResult } from '../../lab/history-store.js';
import { transportFailureResult } from '../../store/fleet-schema.js';
import { HISTORY_INDEX_FILE, HistoryIndex, INDEX_VERSION } from '../../store/history-index.js';
import { FleetHistorySchema, HostHistorySchema } from '../../store/history-schema.js';
import { fleetHistory, hostHistory, reportHistory } from '../../store/history.js';
import { aggregateSweep } from '../../store/report.js';
import { renderFleetReport } from '../../store/fleet-report.js';
import { Store } from '../../store/store.js';
import { tempDir } from '../helpers.js';

const START = '2026-11-20T02:00:00.000Z';
const DAY = 86_400_000;
const t = (n: number) => Date.parse(START) + n * DAY;

/**
 * Ten nightly sweeps (days 0-9). r1: ok until day 5, then tls (the address differs each
 * night: one signature). r2: always ok. r3: ok and tls on alternate nights. r4: one connect
 * failure on day 3. r5: auth failing all along. r6: unreachable from day 8 on, a new signature.
 */
function plan(day: number): PlannedResult[] {
  const tls = { outcome: 'tls', evidence: EVIDENCE.tls(day) };
  const ok = { outcome: 'ok', evidence: EVIDENCE.ok(day) };
  return [
    { host: 'r1', ...(day >= 6 ? tls : ok) },
    { host: 'r2', ...ok },
    { host: 'r3', ...(day % 2 ? tls : ok) },
    { host: 'r4', ...(day === 3 ? { outcome: 'connect', evidence: EVIDENCE.connect(day) } : ok) },
    { host: 'r5', outcome: 'auth', evidence: EVIDENCE.auth(day) },
    { host: 'r6', ...(day >= 8 ? { outcome: 'unreachable', evidence: EVIDENCE.unreachable(day) } : ok) },
  ];
}

function makeStore(days = 10): string {
  const root = tempDir('history-');
  for (let d = 0; d < days; d++) {
    const { id, created } = nightly(START, d);
    writeSweep(root, id, created, plan(d));
  }
  return root;
}

const opened: HistoryIndex[] = [];
function indexOf(root: string): HistoryIndex {
  const ix = HistoryIndex.open(root);
  opened.push(ix);
  return ix;
}
afterEach(() => {
  for (const ix of opened.splice(0)) ix.close();
  vi.restoreAllMocks();
});

describe('history: one runner', () => {
  it('lists its outcome per sweep, the current streak and each signature first and last seen', () => {
    const root = makeStore();
    const ix = indexOf(root);
    expect(ix.sync()).toEqual({ indexed: 10, removed: 0, rebuilt: true });
    const h = hostHistory(ix, 'r1', t(-30))!;
    HostHistorySchema.parse(h);
    expect(h.entries.map((e) => e.outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'tls', 'tls', 'tls', 'tls']);
    expect(h.streak).toEqual({ state: 'failing', sweeps: 4, since: nightly(START, 6).created, sweep_id: nightly(START, 6).id, outcomes: ['tls'] });
    // Four nights, four addresses and times: one signature, masked.
    expect(h.signatures).toHaveLength(1);
    expect(h.signatures[0]).toMatchObject({ outcome: 'tls', first_seen: nightly(START, 6).created, last_seen: nightly(START, 9).created, sweeps: 4 });
    expect(h.signatures[0]!.signature).toMatch(/^tls: TLS <ip>:587 .*Fortinet_CA_SSL at <time>$/);
    expect(hostHistoryText(h)).toContain('now: failing for 4 sweeps since 2026-11-26 (tls)');

    expect(hostHistory(ix, 'r2', t(-30))!.streak).toMatchObject({ state: 'ok', sweeps: 10, since: START });
    // The window cuts the lines, not the streak or the first-seen date.
    const late = hostHistory(ix, 'r1', t(8))!;
    expect(late.entries.map((e) => e.sweep_id)).toEqual([nightly(START, 8).id, nightly(START, 9).id]);
    expect(late.streak!.sweeps).toBe(4);
    expect(late.signatures[0]!.first_seen).toBe(nightly(START, 6).created);
    expect(hostHistory(ix, 'nobody', t(-30))).toBeNull();
  });
});

describe('history: the fleet', () => {
  it('finds flapping runners, signatures new in the window and long-standing failures', () => {
    const ix = indexOf(makeStore());
    ix.sync();
    const f = fleetHistory(ix, t(-20));
    FleetHistorySchema.parse(f);
    expect(f).toMatchObject({ sweeps: 10, runners: 6 });
    // r3 changed 9 times; r4 (one failure, two changes) and r1 (one change) do not flap.
    expect(f.flapping).toEqual([{ host: 'r3', changes: 9, sweeps: 10, per_week: 2.2, current: 'tls' }]);
    // r5 has been failing since day 0: long-standing; r1 (3 days) is not yet.
    expect(f.long_standing.map((l) => [l.host, l.sweeps, l.days, l.outcome])).toEqual([['r5', 10, 9, 'auth']]);
    expect(f.long_standing[0]!.signature_first_seen).toBe(START);
    // A window of the last two nights: only r6's unreachable signature is new in it.
    const recent = fleetHistory(ix, t(7.5));
    expect(recent.new_signatures.map((s) => [s.outcome, s.first_seen, s.hosts, s.sweeps])).toEqual([['unreachable', nightly(START, 8).created, 1, 2]]);
    expect(recent.new_signatures[0]!.signature).toBe('unreachable: timeout: ssh handshake with <ip> timed out after <duration>');
    expect(recent.flapping).toEqual([]);
  });
});

describe('history index: a cache of the files', () => {
  it('reads only what changed: a new sweep, a re-probe, a deleted sweep', async () => {
    const root = makeStore(3);
    const ix = indexOf(root);
    expect(ix.sync().indexed).toBe(3);
    expect(ix.sync()).toEqual({ indexed: 0, removed: 0, rebuilt: false });
    // A new sweep.
    const n3 = nightly(START, 3);
    writeSweep(root, n3.id, n3.created, plan(3));
    expect(ix.sync()).toEqual({ indexed: 1, removed: 0, rebuilt: false });
    expect(hostHistory(ix, 'r4', 0)!.streak).toMatchObject({ state: 'failing', sweeps: 1 });
    // A re-probe replaces r4's result in that sweep through the store: its folder changes, hosts/ is touched.
    const store = await Store.open(root);
    await store.writeHostResult(
      transportFailureResult({ sweep_id: n3.id, host: 'r4', transport: 'ssh', job_id: null, job_attempts: 1, started_at: n3.created, finished_at: n3.created, duration_ms: 1 }, { code: 'timeout', message: 'ssh timed out' }),
    );
    expect(ix.sync().indexed).toBe(1);
    expect(hostHistory(ix, 'r4', 0)!.entries.at(-1)).toMatchObject({ outcome: 'unreachable', evidence: 'timeout: ssh timed out' });
    // A second process sees the same file.
    const other = indexOf(root);
    expect(other.sync()).toEqual({ indexed: 0, removed: 0, rebuilt: false });
    // A sweep deleted from the store leaves the index.
    rmSync(join(root, 'sweeps', n3.id), { recursive: true });
    expect(ix.sync()).toEqual({ indexed: 0, removed: 1, rebuilt: false });
    expect(hostHistory(ix, 'r4', 0)!.entries).toHaveLength(3);
  });

  it('an index kept up to date sweep by sweep equals one rebuilt from the files, state changes included', async () => {
    const root = makeStore(4);
    const ix = indexOf(root);
    ix.sync();
    // The nightly case, six times: a sweep more each night.
    for (let d = 4; d < 10; d++) {
      const { id, created } = nightly(START, d);
      writeSweep(root, id, created, plan(d));
      expect(ix.sync().indexed).toBe(1);
    }
    // A re-probe in the middle of the history changes r3's outcome there.
    const n5 = nightly(START, 5);
    await (await Store.open(root)).writeHostResult(
      transportFailureResult({ sweep_id: n5.id, host: 'r3', transport: 'ssh', job_id: null, job_attempts: 1, started_at: n5.created, finished_at: n5.created, duration_ms: 1 }, { code: 'timeout', message: 'ssh timed out' }),
    );
    expect(ix.sync().indexed).toBe(1);
    // A sweep deleted in the middle; one copied in later that was made between two others; one made at the same time as another.
    rmSync(join(root, 'sweeps', nightly(START, 2).id), { recursive: true });
    writeSweep(root, `${nightly(START, 6).id}b`, new Date(t(6.5)).toISOString(), [
      { host: 'r1', outcome: 'ok', evidence: EVIDENCE.ok(6) },
      { host: 'r3', outcome: 'rate-limit', evidence: EVIDENCE['rate-limit'](6) },
    ]);
    writeSweep(root, `${nightly(START, 8).id}a`, nightly(START, 8).created, [{ host: 'r4', outcome: 'tls', evidence: EVIDENCE.tls(8) }]);
    expect(ix.sync()).toEqual({ indexed: 2, removed: 1, rebuilt: false });

    const fresh = HistoryIndex.open(root, join(root, 'rebuilt.sqlite'));
    opened.push(fresh);
    expect(fresh.sync()).toMatchObject({ indexed: 11, rebuilt: true });
    const dump = (x: HistoryIndex) =>
      x.query<{ host: string; sweep: string; t: number; outcome: string; chg: number; prev_t: number | null }>(
        `SELECT h.name AS host, s.name AS sweep, r.t AS t, r.outcome AS outcome, r.failing AS failing, g.text AS signature, r.detail AS detail, r.chg AS chg, r.prev_t AS prev_t
         FROM results r JOIN hosts h ON h.id = r.host JOIN sweeps s ON s.id = r.sweep JOIN signatures g ON g.id = r.sig ORDER BY h.name, r.t, s.name`,
      );
    const rows = dump(ix);
    expect(rows).toEqual(dump(fresh));
    // And both say what the rows say: a change is an outcome unlike the host's result before.
    rows.forEach((r, i) => {
      const prev = rows[i - 1]?.host === r.host ? rows[i - 1] : undefined;
      expect([r.host, r.sweep, r.chg, r.prev_t]).toEqual([r.host, r.sweep, prev && prev.outcome !== r.outcome ? 1 : 0, prev?.t ?? null]);
    });
    expect(rows.filter((r) => r.host === 'r4').map((r) => r.outcome)).toEqual(['ok', 'ok', 'connect', 'ok', 'ok', 'ok', 'ok', 'ok', 'tls', 'ok']);
    expect(fleetHistory(ix, t(-20))).toEqual(fleetHistory(fresh, t(-20)));
    expect(fleetHistory(ix, t(-20)).flapping.map((f) => [f.host, f.changes])).toEqual([['r3', 8]]);
  });

  it('deletes and rebuilds a corrupt index file, and one of another version', () => {
    const root = makeStore(3);
    const file = join(root, HISTORY_INDEX_FILE);
    indexOf(root).sync();
    opened.pop()!.close();
    writeFileSync(file, 'this is not a database, just some bytes in its place'.repeat(100));
    const ix = indexOf(root);
    expect(ix.sync()).toEqual({ indexed: 3, removed: 0, rebuilt: true });
    expect(hostHistory(ix, 'r5', 0)!.entries).toHaveLength(3);
    ix.close();

    const db = new Database(file);
    db.pragma(`user_version = ${INDEX_VERSION + 1}`);
    db.close();
    const again = indexOf(root);
    expect(again.sync()).toEqual({ indexed: 3, removed: 0, rebuilt: true });
    again.close();

    // A file whose pages were damaged after the header: found on a read, rebuilt, the read answered.
    const bytes = readFileSync(file);
    bytes.fill(0x5a, 4096, bytes.length);
    writeFileSync(file, bytes);
    const damaged = indexOf(root);
    damaged.sync();
    expect(hostHistory(damaged, 'r5', 0)!.entries).toHaveLength(3);
  });

  it('--reindex deletes the file; a store the index cannot be written into gets one in memory', async () => {
    const root = makeStore(2);
    indexOf(root).sync();
    expect(existsSync(join(root, HISTORY_INDEX_FILE))).toBe(true);
    HistoryIndex.remove(root);
    expect(existsSync(join(root, HISTORY_INDEX_FILE))).toBe(false);
    mkdirSync(join(root, HISTORY_INDEX_FILE)); // a folder where the file should be
    const ix = HistoryIndex.open(root);
    opened.push(ix);
    expect(ix.isInMemory).toBe(true);
    expect(ix.sync().indexed).toBe(2);
  });
});

describe('history: hostile host names', () => {
  it('matches names exactly, skips folders that are not host names and results that lie about their host', () => {
    const root = tempDir('history-');
    const { id, created } = nightly(START, 0);
    writeSweep(root, id, created, [
      { host: 'a_b', outcome: 'ok', evidence: 'ok' },
      { host: 'aXb', outcome: 'tls', evidence: 'bad' },
      { host: 'a%b', outcome: 'tls', evidence: 'bad' },
    ]);
    // Folder names the store never makes, and a result naming another host than its folder.
    for (const bad of ["r'1", '..b', 'CON']) {
      mkdirSync(join(root, 'sweeps', id, 'hosts', bad), { recursive: true });
      writeFileSync(join(root, 'sweeps', id, 'hosts', bad, 'host_result.json'), readFileSync(join(root, 'sweeps', id, 'hosts', 'aXb', 'host_result.json')));
    }
    const lying = join(root, 'sweeps', id, 'hosts', 'liar');
    mkdirSync(lying);
    writeFileSync(join(lying, 'host_result.json'), readFileSync(join(root, 'sweeps', id, 'hosts', 'a_b', 'host_result.json')));
    const ix = indexOf(root);
    ix.sync();
    expect(hostHistory(ix, 'a_b', 0)!.entries.map((e) => e.outcome)).toEqual(['ok']);
    for (const h of ['a%b', "r'1", 'CON', 'liar', '%', '_']) expect(hostHistory(ix, h, 0)).toBeNull();
    expect(fleetHistory(ix, 0).runners).toBe(2);
  });

  it('the command refuses a host that is not a host name in one line, before touching the store', async () => {
    const root = tempDir('history-');
    const g = { store: join(root, 'store'), prefix: 'x', payload: '', inventory: '' };
    await expect(historyCommand(g, "r1' OR '1'='1", { since: '30d' })).rejects.toThrow(/^invalid host name "r1' OR '1'='1": must be 1-63 characters/);
    await expect(historyCommand(g, '../etc', { since: '30d' })).rejects.toThrow(/invalid host name/);
    await expect(historyCommand(g, 'r1', { since: 'yesterday' })).rejects.toThrow(/invalid --since "yesterday"/);
    expect(existsSync(g.store)).toBe(false);
    writeSweep(g.store, nightly(START, 0).id, START, plan(0));
    await expect(historyCommand(g, 'r9', { since: '3650d' })).rejects.toThrow(/no result of host r9 in the store/);
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    expect(await historyCommand(g, 'r5', { since: '2026-11-01', json: true })).toBe(0);
    expect(HostHistorySchema.parse(JSON.parse(out.join(''))).entries).toHaveLength(1);
  });
});

describe('history: the fleet report', () => {
  it('has a history section: new failures with first-seen dates, recovered, flapping, long-standing; bounded', async () => {
    const root = makeStore();
    // Day 10: r1 recovers, r2 fails with a signature never seen, and 14 new runners fail after an ok day 9.
    const extra = Array.from({ length: 14 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    const d9 = nightly(START, 9);
    writeSweep(root, `${d9.id}x`, new Date(Date.parse(d9.created) + 1000).toISOString(), extra.map((host) => ({ host, outcome: 'ok', evidence: 'ok' })));
    const d10 = nightly(START, 10);
    writeSweep(root, d10.id, d10.created, [
      ...plan(10).map((r) => (r.host === 'r1' ? { ...r, outcome: 'ok', evidence: EVIDENCE.ok(10) } : r.host === 'r2' ? { ...r, outcome: 'rate-limit', evidence: EVIDENCE['rate-limit'](10) } : r)),
      ...extra.map((host) => ({ host, outcome: 'tls', evidence: EVIDENCE.tls(3) })),
    ]);
    const store = await Store.open(root);
    const md = readFileSync(await aggregateSweep(store, d10.id), 'utf8');
    const section = md.slice(md.indexOf('## History'), md.indexOf('## SMTP failures'));
    expect(section).toContain('## History (last 30 days, 12 sweeps)');
    expect(section).toContain(`New failures since the previous sweep \`${d9.id}x\` (15):`);
    expect(section).toContain('- `r2` ok → **rate-limit**: `rate-limit: S: 421 4.7.0 Try again later, closing connection. (EHLO) 10sm1010.12 - gsmtp` (new to the fleet)');
    expect(section).toMatch(/- `n00` ok → \*\*tls\*\*: `tls: TLS <ip>:587 .*` \(first seen 2026-11-21\)/);
    expect(section).toContain('- ... and 5 more');
    expect(section).toContain('- `r1` tls → ok, after failing for 4 sweeps since 2026-11-26');
    expect(section).toContain('- `r3`: 10 changes in 11 sweeps');
    expect(section).toContain('- `r5`: failing for 11 sweeps since 2026-11-20 (10 days): `auth: S: 535 5.7.8');
    expect(section).toContain('Failure signatures new to the fleet in this sweep (1):');
    // Made again later, the report of an older sweep says what was true then.
    const old = reportHistory(indexOf(root), nightly(START, 5).id)!;
    expect(old.longStanding.map((l) => l.host)).toEqual([]);
    // The report's own write does not make the next reader re-read the sweep.
    const ix = indexOf(root);
    expect(ix.sync().indexed).toBe(0);
  });

  it('an index that cannot be written never stops the report', async () => {
    const root = makeStore(2);
    mkdirSync(join(root, HISTORY_INDEX_FILE)); // a folder where the file should be: an index in memory
    const md = readFileSync(await aggregateSweep(await Store.open(root), nightly(START, 1).id), 'utf8');
    expect(md).toContain('## History (last 30 days, 2 sweeps)');
    const summary = (await (await Store.open(root)).readFleetSummary(nightly(START, 1).id))!;
    expect(renderFleetReport(summary, { error: 'cannot load better-sqlite3' })).toContain('## History\n\nNot available: `cannot load better-sqlite3`\n');
  });
});

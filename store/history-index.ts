// The history index: every host result of every sweep in one SQLite file beside the store's
// sweeps/ folder, so "what did this runner do over the last year" is one indexed read rather
// than 365 folders of JSON. It is a cache: the files stay the truth. A sweep is re-read when
// its folder's or its hosts/ folder's modification time differs from the one recorded (every
// host result write touches hosts/, and every report write touches the sweep folder), a
// sweep gone from disk leaves the index, a file of another index version or one SQLite cannot
// read is deleted and built again, and a store the index cannot be written into gets one in
// memory. Each sweep is written in one transaction, so a reader never sees half of one.
import Database from 'better-sqlite3';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HostNameSchema } from '../inventory/schema.js';
import { errorCode } from '../payload/util/errors.js';
import { SweepIdSchema } from './fleet-schema.js';
import { knownSweepAt, type KnownSweep } from './known-sweep.js';
import { indexedResult, sweepStamp, type IndexedResult } from './indexed-result.js';
import { StoredHostResult } from './fleet-migrate.js';
import { HOST_RESULT_FILE } from './store.js';

export const HISTORY_INDEX_FILE = 'history-index.sqlite';
/** Bumped whenever the tables or what goes into them change: an older file is rebuilt. */
export const INDEX_VERSION = 2;

const SCHEMA = `
CREATE TABLE sweeps (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, valid INTEGER NOT NULL, created TEXT NOT NULL, t INTEGER NOT NULL, stamp TEXT NOT NULL);
CREATE TABLE hosts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE signatures (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE, outcome TEXT NOT NULL);
-- chg and prev_t are kept at index time: whether the outcome differs from the host's result
-- just before (in (t, sweep name) order), and that result's time, so flapping over any window
-- is one sum over the window's rows, without ordering each host's rows.
CREATE TABLE results (
  host INTEGER NOT NULL, t INTEGER NOT NULL, sweep INTEGER NOT NULL,
  outcome TEXT NOT NULL, failing INTEGER NOT NULL, sig INTEGER NOT NULL, detail TEXT NOT NULL,
  chg INTEGER NOT NULL DEFAULT 0, prev_t INTEGER,
  PRIMARY KEY (host, t, sweep)
) WITHOUT ROWID;
CREATE INDEX results_sweep ON results (sweep);
-- Covering: the window scans (flapping, runner counts) never visit the table.
CREATE INDEX results_t ON results (t, host, sweep, outcome, failing, chg, prev_t);
-- Covering for the signature queries (first seen, new signatures' runners and sweeps).
CREATE INDEX results_sig ON results (sig, t, host, sweep, failing);
`;

/** A row as the queries return it: the result with its sweep. */
export interface HistoryRow extends IndexedResult {
  sweepId: string;
  created: string;
  t: number;
}

export interface SyncOptions {
  /** A sweep the caller has already read (the report's own): its sweep.json is not read again. */
  known?: KnownSweep;
}

export interface SyncStats {
  /** Sweeps (re-)read from their files. */
  indexed: number;
  removed: number;
  /** The index file was missing, of another version or unreadable, and was made anew. */
  rebuilt: boolean;
}

function isCorrupt(err: unknown): boolean {
  const c = errorCode(err) ?? '';
  return c.startsWith('SQLITE_CORRUPT') || c === 'SQLITE_NOTADB';
}

function cannotWrite(err: unknown): boolean {
  const c = errorCode(err) ?? '';
  return c.startsWith('SQLITE_CANTOPEN') || c.startsWith('SQLITE_READONLY') || c.startsWith('SQLITE_PERM') || c === 'EACCES' || c === 'EROFS';
}

export class HistoryIndex {
  readonly file: string;
  private db!: Database.Database;
  /** The file was made anew at open (or after a corrupt read): the next sync reads every sweep. */
  private fresh = false;
  private inMemory = false;
  private hostIds = new Map<string, number>();
  private sigIds = new Map<string, number>();

  private constructor(
    readonly storeRoot: string,
    file?: string,
  ) {
    this.file = file ?? join(storeRoot, HISTORY_INDEX_FILE);
  }

  /** Opens the index of the store at `storeRoot`, making or remaking the file as needed; call sync() before reading. */
  static open(storeRoot: string, file?: string): HistoryIndex {
    const ix = new HistoryIndex(storeRoot, file);
    ix.connect();
    return ix;
  }

  /** Deletes a store's index file: the next open builds it from the files. */
  static remove(storeRoot: string, file?: string): void {
    new HistoryIndex(storeRoot, file).discard();
  }

  get isInMemory(): boolean {
    return this.inMemory;
  }

  private connect(): void {
    try {
      this.attach(this.file);
    } catch (err) {
      if (isCorrupt(err)) {
        this.discard();
        this.attach(this.file);
      } else if (cannotWrite(err)) {
        // A read-only store still answers, at the price of reading every sweep.
        this.attach(':memory:');
        this.inMemory = true;
      } else throw err;
    }
  }

  private attach(file: string): void {
    const db = new Database(file, { timeout: 10_000 });
    try {
      db.pragma('synchronous = NORMAL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== INDEX_VERSION) {
        const tables = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get() as number;
        if (version !== 0 || tables > 0) {
          // Another index version: nothing in it is worth migrating, the files are the truth.
          db.close();
          this.discard();
          this.attach(file);
          return;
        }
        db.exec(`BEGIN IMMEDIATE; ${SCHEMA} PRAGMA user_version = ${INDEX_VERSION}; COMMIT;`);
        this.fresh = true;
      }
      // Any read of the pages: a file that is not SQLite, or truncated, fails here.
      db.prepare('SELECT count(*) FROM sweeps').get();
    } catch (err) {
      if (db.open) db.close();
      // Two processes making the file at once: the loser finds the tables there.
      if (/table \w+ already exists/.test(String(err))) return this.attach(file);
      throw err;
    }
    this.db = db;
    this.changeQueries = undefined;
    this.idQueries = undefined;
    this.hostIds.clear();
    this.sigIds.clear();
  }

  /** Deletes the index file (and SQLite's side files). */
  private discard(): void {
    if (this.db?.open) this.db.close();
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(this.file + suffix, { force: true });
  }

  close(): void {
    if (this.db?.open) this.db.close();
  }

  /**
   * Runs `f`; when SQLite finds the file corrupt underway, deletes it, rebuilds it from the
   * store's files and runs `f` once more.
   */
  private recovering<T>(f: () => T): T {
    try {
      return f();
    } catch (err) {
      if (!isCorrupt(err) || this.inMemory) throw err;
      this.discard();
      this.attach(this.file);
      this.syncNow();
      return f();
    }
  }

  // ---- keeping up with the files ----

  /** Brings the index up to date with the store's files: stale sweeps re-read, vanished ones dropped. */
  sync(): SyncStats {
    return this.recovering(() => {
      const steps = this.syncSteps();
      for (;;) {
        const r = steps.next();
        if (r.done) return r.value;
      }
    });
  }

  /**
   * The same, giving the event loop a turn after each sweep read: a worker building the index
   * for the first time inside its aggregate job keeps renewing the job's lock meanwhile.
   */
  async syncYielding(opts: SyncOptions = {}): Promise<SyncStats> {
    try {
      return await this.drainYielding(opts);
    } catch (err) {
      if (!isCorrupt(err) || this.inMemory) throw err;
      this.discard();
      this.attach(this.file);
      return this.drainYielding(opts);
    }
  }

  private async drainYielding(opts: SyncOptions): Promise<SyncStats> {
    const steps = this.syncSteps(opts);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private syncNow(): SyncStats {
    const steps = this.syncSteps();
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /** Yields after each sweep it (re-)reads. */
  private *syncSteps(opts: SyncOptions = {}): Generator<void, SyncStats> {
    const rebuilt = this.fresh;
    this.fresh = false;
    const dir = join(this.storeRoot, 'sweeps');
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => SweepIdSchema.safeParse(n).success);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
      names = [];
    }
    const known = new Map(this.db.prepare('SELECT name, stamp FROM sweeps').raw().all() as Array<[string, string]>);
    let indexed = 0;
    for (const name of names.sort()) {
      const given = opts.known?.id === name ? opts.known : undefined;
      // Rows the caller read come with the stamp taken before it read them: a result written
      // since makes the folder's stamp differ from the one recorded, and the next sync re-reads.
      const stamp = given?.results?.stamp ?? this.stampOf(name);
      if (known.get(name) === stamp) continue;
      this.indexSweep(name, stamp, given);
      indexed++;
      yield;
    }
    const onDisk = new Set(names);
    const gone = [...known.keys()].filter((n) => !onDisk.has(n));
    for (const name of gone) this.removeSweep(name);
    return { indexed, removed: gone.length, rebuilt };
  }

  private stampOf(name: string): string {
    return sweepStamp(this.storeRoot, name);
  }

  /**
   * After the caller wrote a sweep's report (which touches its folder) right after a sync:
   * records the new folder time when hosts/ did not change since, so that write alone does not
   * make the next reader re-read the whole sweep.
   */
  restamp(sweepId: string): void {
    this.recovering(() => {
      const old = this.db.prepare('SELECT stamp FROM sweeps WHERE name = ?').pluck().get(sweepId) as string | undefined;
      const now = this.stampOf(sweepId);
      if (old && old !== now && old.split(':')[1] === now.split(':')[1]) this.db.prepare('UPDATE sweeps SET stamp = ? WHERE name = ?').run(now, sweepId);
    });
  }

  /** Reads one sweep's files (outside any transaction), then replaces its rows in one. */
  private indexSweep(name: string, stamp: string, known?: KnownSweep): void {
    const dir = join(this.storeRoot, 'sweeps', name);
    // No readable sweep.json: not a sweep (yet), recorded so it is not read again until it changes.
    const meta: KnownSweep | null = known ?? knownSweepAt(dir, name);
    const rows: IndexedResult[] = meta ? (known?.results ? [...known.results.rows].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0)) : this.readRows(dir, name, meta)) : [];
    const created = meta?.created ?? '';
    const t = meta ? Date.parse(created) : 0;
    this.db.transaction(() => {
      const oldId = this.db.prepare('SELECT id FROM sweeps WHERE name = ?').pluck().get(name) as number | undefined;
      const old = oldId === undefined ? [] : (this.db.prepare('SELECT host, t FROM results WHERE sweep = ?').raw().all(oldId) as Array<[number, number]>);
      this.db
        .prepare('INSERT INTO sweeps (name, valid, created, t, stamp) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET valid = excluded.valid, created = excluded.created, t = excluded.t, stamp = excluded.stamp')
        .run(name, meta ? 1 : 0, created, t, stamp);
      const id = oldId ?? (this.db.prepare('SELECT id FROM sweeps WHERE name = ?').pluck().get(name) as number);
      this.db.prepare('DELETE FROM results WHERE sweep = ?').run(id);
      const insert = this.db.prepare('INSERT INTO results (host, t, sweep, outcome, failing, sig, detail) VALUES (?, ?, ?, ?, ?, ?, ?)');
      const added: Array<[number, number]> = [];
      for (const r of rows) {
        const host = this.hostId(r.host);
        insert.run(host, t, id, r.outcome, r.failing ? 1 : 0, this.sigId(r.signature, r.outcome), r.detail);
        added.push([host, t]);
      }
      for (const [host, at] of [...old, ...added]) this.refreshChanges(host, at, name);
    })();
  }

  /** A sweep's host results as index rows, read from its files (sorted by host). */
  private readRows(dir: string, name: string, meta: KnownSweep): IndexedResult[] {
    const rows: IndexedResult[] = [];
    const addresses = meta.addresses;
    let hosts: string[] = [];
    try {
      hosts = readdirSync(join(dir, 'hosts'));
    } catch {
      /* a sweep whose hosts have not answered yet */
    }
    for (const host of hosts.sort()) {
      if (!HostNameSchema.safeParse(host).success) continue;
      let data: unknown;
      try {
        data = JSON.parse(readFileSync(join(dir, 'hosts', host, HOST_RESULT_FILE), 'utf8'));
      } catch {
        continue;
      }
      const r = StoredHostResult.safeParse(data);
      // A result claiming another sweep or host is not this folder's: the report refuses it too.
      if (!r.success || r.data.sweep_id !== name || r.data.host !== host) continue;
      rows.push(indexedResult(r.data, addresses.get(host)));
    }
    return rows;
  }

  private removeSweep(name: string): void {
    this.db.transaction(() => {
      const id = this.db.prepare('SELECT id FROM sweeps WHERE name = ?').pluck().get(name) as number | undefined;
      if (id === undefined) return;
      const old = this.db.prepare('SELECT host, t FROM results WHERE sweep = ?').raw().all(id) as Array<[number, number]>;
      this.db.prepare('DELETE FROM results WHERE sweep = ?').run(id);
      this.db.prepare('DELETE FROM sweeps WHERE id = ?').run(id);
      for (const [host, t] of old) this.refreshChanges(host, t, name);
    })();
  }

  /**
   * A host's result at (t, sweep name) was added, replaced or removed: its own chg/prev_t and
   * those of the host's next result are the only ones that can have changed.
   */
  private refreshChanges(host: number, t: number, name: string): void {
    const q = this.changeStatements();
    const here = q.at.get(host, t, name) as { sweep: number; outcome: string } | undefined;
    const before = ((q.sameTBefore.get(host, t, name) ?? q.earlier.get(host, host, t)) as { t: number; outcome: string } | undefined);
    if (here) q.update.run(before && before.outcome !== here.outcome ? 1 : 0, before?.t ?? null, host, t, here.sweep);
    const next = (q.sameTAfter.get(host, t, name) ?? q.later.get(host, host, t)) as { t: number; sweep: number; outcome: string } | undefined;
    if (!next) return;
    const prev = here ? { t, outcome: here.outcome } : before;
    q.update.run(prev && prev.outcome !== next.outcome ? 1 : 0, prev?.t ?? null, host, next.t, next.sweep);
  }

  private changeQueries?: Record<'at' | 'sameTBefore' | 'earlier' | 'sameTAfter' | 'later' | 'update', Database.Statement>;

  private changeStatements(): Record<'at' | 'sameTBefore' | 'earlier' | 'sameTAfter' | 'later' | 'update', Database.Statement> {
    // Ties in t are ordered by sweep name, not by sweep id: an index built in another order says
    // the same. Each is a seek on the primary key (host, t): the neighbour at the same time,
    // else the host's nearest time before or after and, among the sweeps there, the nearest name.
    const row = 'SELECT r.t AS t, r.sweep AS sweep, r.outcome AS outcome FROM results r JOIN sweeps s ON s.id = r.sweep WHERE r.host = ?';
    return (this.changeQueries ??= {
      at: this.db.prepare(`${row} AND r.t = ? AND s.name = ?`),
      sameTBefore: this.db.prepare(`${row} AND r.t = ? AND s.name < ? ORDER BY s.name DESC LIMIT 1`),
      earlier: this.db.prepare(`${row} AND r.t = (SELECT MAX(t) FROM results WHERE host = ? AND t < ?) ORDER BY s.name DESC LIMIT 1`),
      sameTAfter: this.db.prepare(`${row} AND r.t = ? AND s.name > ? ORDER BY s.name LIMIT 1`),
      later: this.db.prepare(`${row} AND r.t = (SELECT MIN(t) FROM results WHERE host = ? AND t > ?) ORDER BY s.name LIMIT 1`),
      update: this.db.prepare('UPDATE results SET chg = ?, prev_t = ? WHERE host = ? AND t = ? AND sweep = ?'),
    });
  }

  /** Interned names: looked up in the file once per process (another process may have added them). */
  private hostId(name: string): number {
    let id = this.hostIds.get(name);
    if (id === undefined) {
      const q = this.idStatements();
      q.addHost.run(name);
      id = q.host.get(name) as number;
      this.hostIds.set(name, id);
    }
    return id;
  }

  private sigId(text: string, outcome: string): number {
    let id = this.sigIds.get(text);
    if (id === undefined) {
      const q = this.idStatements();
      q.addSig.run(text, outcome);
      id = q.sig.get(text) as number;
      this.sigIds.set(text, id);
    }
    return id;
  }

  private idQueries?: Record<'addHost' | 'host' | 'addSig' | 'sig', Database.Statement>;

  /**
   * Prepared once per connection: a statement prepared per new host holds native memory until
   * the GC finalises it (indexing a sweep of 10,000 new runners was 45 MB of them).
   */
  private idStatements(): Record<'addHost' | 'host' | 'addSig' | 'sig', Database.Statement> {
    return (this.idQueries ??= {
      addHost: this.db.prepare('INSERT OR IGNORE INTO hosts (name) VALUES (?)'),
      host: this.db.prepare('SELECT id FROM hosts WHERE name = ?').pluck(),
      addSig: this.db.prepare('INSERT OR IGNORE INTO signatures (text, outcome) VALUES (?, ?)'),
      sig: this.db.prepare('SELECT id FROM signatures WHERE text = ?').pluck(),
    });
  }

  // ---- reading ----

  /** Runs a read query, rebuilding the file first if SQLite finds it corrupt. */
  query<T>(sql: string, params: Record<string, unknown> = {}): T[] {
    return this.recovering(() => this.db.prepare(sql).all(params) as T[]);
  }

  queryOne<T>(sql: string, params: Record<string, unknown> = {}): T | undefined {
    return this.recovering(() => this.db.prepare(sql).get(params) as T | undefined);
  }

  /** The sweeps the index holds (with a readable sweep.json), oldest first. */
  sweeps(untilT = Number.MAX_SAFE_INTEGER): Array<{ name: string; created: string; t: number }> {
    return this.query('SELECT name, created, t FROM sweeps WHERE valid = 1 AND t <= @untilT ORDER BY t, name', { untilT });
  }

  /** Every result of one host, oldest first. */
  hostRows(host: string, untilT = Number.MAX_SAFE_INTEGER): HistoryRow[] {
    return this.rows(
      `SELECT ${ROW_COLUMNS} ${ROW_JOINS} WHERE h.name = @host AND r.t <= @untilT ORDER BY r.t, s.name`,
      { host, untilT },
    );
  }

  /** The latest result of one host up to untilT. */
  latestRow(host: string, untilT: number): HistoryRow | undefined {
    return this.rows(`SELECT ${ROW_COLUMNS} ${ROW_JOINS} WHERE h.name = @host AND r.t <= @untilT ORDER BY r.t DESC, s.name DESC LIMIT 1`, { host, untilT })[0];
  }

  /** Every result of one sweep, by host name. */
  sweepRows(sweepId: string): HistoryRow[] {
    return this.rows(`SELECT ${ROW_COLUMNS} ${ROW_JOINS} WHERE s.name = @sweepId ORDER BY h.name`, { sweepId });
  }

  rows(sql: string, params: Record<string, unknown>): HistoryRow[] {
    return this.query<Omit<HistoryRow, 'failing'> & { failing: number }>(sql, params).map((r) => ({ ...r, failing: Boolean(r.failing) }));
  }
}

/** The columns of a HistoryRow and the joins they come from: results r, hosts h, sweeps s, signatures g. */
export const ROW_COLUMNS = 'h.name AS host, s.name AS sweepId, s.created AS created, r.t AS t, r.outcome AS outcome, r.failing AS failing, r.detail AS detail, g.text AS signature';
export const ROW_JOINS = 'FROM results r JOIN hosts h ON h.id = r.host JOIN sweeps s ON s.id = r.sweep JOIN signatures g ON g.id = r.sig';

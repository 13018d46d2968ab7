// The central store: a folder laid out by sweep and host.
//
//   <root>/sweeps/<sweepId>/sweep.json                      the sweep (SweepFileSchema)
//   <root>/sweeps/<sweepId>/targets.jsonl                   its resolved hosts, one per line
//   <root>/sweeps/<sweepId>/hosts/<host>/result.zip         the runner's ZIP, validated
//   <root>/sweeps/<sweepId>/hosts/<host>/host_result.json   HostResult (the commit point)
//   <root>/sweeps/<sweepId>/fleet_summary.json              FleetSummary
//   <root>/sweeps/<sweepId>/fleet_report.md
//   <root>/sweeps/<sweepId>/fleet_report.html               the same, as one offline page
//   <root>/sweeps/<sweepId>/fleet_metrics.prom               Prometheus text format
//
// Every write goes to a temporary name in the same folder and is renamed into place, so a
// reader sees the old file or the new one, never half of one; writing a host twice leaves
// one result (the last). Ids are checked before they become paths.
import { makeDirs } from '../payload/util/make-dirs.js';
import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { copyFile, lstat, mkdir, open, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { HostNameSchema } from '../inventory/schema.js';
import { errorCode } from '../payload/util/errors.js';
import {
  FleetSummarySchema,
  HostResultSchema,
  HostRowSchema,
  SweepIdSchema,
  SweepMetaSchema,
  TargetLineSchema,
  type FleetSummary,
  type HostResult,
  type SweepHead,
  type SweepMeta,
  type SweepMetaInput,
} from './fleet-schema.js';
import type { ResolvedHost } from '../inventory/schema.js';
import { StoredFleetSummary, StoredHostResult, parseStoredSweepFile } from './fleet-migrate.js';
import { readFleetOutcomes, type PreviousOutcomes } from './fleet-outcomes.js';
import { SWEEP_FILE, TARGETS_FILE, parseTargetLine, targetLines, type LineSchema } from './sweep-files.js';
import { ZipRejectedError, validateResultZip, type CheckedZip, type ZipLimits } from './zip-check.js';
import { SmtpProbeError } from '../payload/util/errors.js';
import { jsonText, jsonTextPieces } from '../payload/report/json-text.js';

export { SWEEP_FILE, TARGETS_FILE } from './sweep-files.js';
export const RESULT_ZIP = 'result.zip';
export const HOST_RESULT_FILE = 'host_result.json';
export const FLEET_SUMMARY_FILE = 'fleet_summary.json';
export const FLEET_REPORT_FILE = 'fleet_report.md';
export const FLEET_REPORT_HTML_FILE = 'fleet_report.html';
export const FLEET_METRICS_FILE = 'fleet_metrics.prom';

export class StoreError extends SmtpProbeError {
  override name = 'StoreError';
  constructor(message: string, options?: ErrorOptions) {
    super('store', message, 'usage', options);
  }
}

/** `20261122-050000-3fa2`: UTC, so ids from controllers in different zones sort together. */
export function newSweepId(now = new Date()): string {
  const iso = now.toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${randomBytes(2).toString('hex')}`;
}

export class Store {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Opens (creating if needed) a store folder. */
  static async open(root: string): Promise<Store> {
    const store = new Store(root);
    try {
      makeDirs(join(store.root, 'sweeps'));
    } catch (err) {
      throw new StoreError(`cannot use --store "${root}": ${errorCode(err) ?? 'not writable'}`);
    }
    return store;
  }

  sweepDir(sweepId: string): string {
    return this.inside('sweeps', checkId(sweepId, 'sweep id'));
  }

  hostDir(sweepId: string, host: string): string {
    return this.inside('sweeps', checkId(sweepId, 'sweep id'), 'hosts', checkHost(host));
  }

  // ---- sweeps ----

  /** Writes a new sweep's sweep.json; refuses an id already used. */
  async createSweep(meta: SweepMetaInput): Promise<SweepMeta> {
    const m = SweepMetaSchema.parse(meta);
    const dir = this.sweepDir(m.id);
    await mkdir(join(this.root, 'sweeps'), { recursive: true });
    try {
      await mkdir(dir);
    } catch (err) {
      if (errorCode(err) === 'EEXIST') throw new StoreError(`sweep ${m.id} already exists in the store`);
      throw err;
    }
    await writeSweepFiles(dir, m);
    return m;
  }

  /** Replaces an existing sweep's files (e.g. a re-probe adds a host to its list). */
  async updateSweep(meta: SweepMetaInput): Promise<SweepMeta> {
    const m = SweepMetaSchema.parse(meta);
    await this.assertSweep(m.id);
    await writeSweepFiles(this.sweepDir(m.id), m);
    return m;
  }

  /** The whole sweep, its targets included (a re-probe's jobs are made from them). */
  async readSweep(sweepId: string): Promise<SweepMeta> {
    const targets: ResolvedHost[] = [];
    const head = await this.readSweepHead(sweepId, (t) => void targets.push(t));
    return { ...head, targets };
  }

  /**
   * The sweep without its targets, which are handed to `eachTarget` one at a time as they are
   * read (streamed from targets.jsonl) when it is given, each checked by `lineSchema` (a caller
   * that reads a few fields checks those): a report of 10,000 runners keeps what it reads of
   * each, not 10,000 resolved hosts.
   */
  async readSweepHead<T = ResolvedHost>(sweepId: string, eachTarget?: (t: T) => void, lineSchema: LineSchema<T> = TargetLineSchema as LineSchema<T>): Promise<SweepHead> {
    const file = join(this.sweepDir(sweepId), SWEEP_FILE);
    const data = await readJsonFile(file);
    if (data === null) throw new StoreError(`no sweep ${sweepId} in the store ${this.root}`);
    const { head, targets } = parseOrThrow({ safeParse: parseStoredSweepFile }, data, file);
    if (eachTarget) {
      if (targets) targets.forEach((t, i) => eachTarget(parseOrThrow(lineSchema, t, `${file} targets.${i}`)));
      else await eachTargetLine(join(this.sweepDir(sweepId), TARGETS_FILE), lineSchema, eachTarget);
    }
    return head;
  }

  /**
   * Refuses an id the store has no sweep of, without reading sweep.json: the write path calls
   * this once per host, and a sweep of 10,000 runners has a sweep.json of megabytes.
   */
  async assertSweep(sweepId: string): Promise<void> {
    const st = await stat(join(this.sweepDir(sweepId), SWEEP_FILE)).catch(() => null);
    if (!st?.isFile()) throw new StoreError(`no sweep ${sweepId} in the store ${this.root}`);
  }

  /** Every sweep, newest first. Folders without a readable sweep.json are skipped. */
  async listSweeps(): Promise<SweepHead[]> {
    const metas: SweepHead[] = [];
    for (const n of await this.sweepNames()) {
      const m = await this.readSweepIfValid(n);
      if (m) metas.push(m);
    }
    return metas.sort(listOrder);
  }

  /** The newest sweep (as listSweeps() orders them), reading as few sweep.json files as it can. */
  async latestSweep(): Promise<SweepHead | null> {
    return (await this.newestSweep(async (meta) => meta))?.meta ?? null;
  }

  /**
   * The newest sweep created before this one that has a fleet summary: the base of "changed since".
   * `current` is the sweep's meta when the caller has it already read.
   */
  async previousSweep(sweepId: string, current?: SweepHead): Promise<{ meta: SweepHead; summary: FleetSummary } | null> {
    return this.previousWith(sweepId, current, (id) => this.readFleetSummary(id));
  }

  /** previousSweep() with only what "changed since" reads of its summary, streamed (the report's way). */
  async previousOutcomes(sweepId: string, current?: SweepHead): Promise<{ meta: SweepHead; summary: PreviousOutcomes } | null> {
    return this.previousWith(sweepId, current, (id) => this.readFleetOutcomes(id));
  }

  private async previousWith<T>(sweepId: string, current: SweepHead | undefined, read: (id: string) => Promise<T | null>): Promise<{ meta: SweepHead; summary: T } | null> {
    const cur = current ?? (await this.readSweepHead(sweepId));
    const found = await this.newestSweep(
      async (meta) => (meta.id !== cur.id && isOlder(meta, cur) ? read(meta.id).catch(() => null) : null),
      { before: cur, needs: FLEET_SUMMARY_FILE },
    );
    return found ? { meta: found.meta, summary: found.value } : null;
  }

  /**
   * The newest sweep (by created, then id) for which `pick` gives a value. Ids made by
   * newSweepId() carry the time they were made, a moment before the sweep's created: those are
   * tried newest id first, and once one is picked, ids older than its created (less a slack) are
   * not read at all. Other ids say nothing about their time: each of those is read.
   */
  private async newestSweep<T>(
    pick: (meta: SweepHead) => Promise<T | null>,
    opts: { before?: SweepHead; needs?: string } = {},
  ): Promise<{ meta: SweepHead; value: T } | null> {
    const names = await this.sweepNames();
    const timed = names.filter((n) => idTimeMs(n) !== null).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    const untimed = names.filter((n) => idTimeMs(n) === null);
    const beforeMs = opts.before ? Date.parse(opts.before.created) : NaN;
    const found: { best: { meta: SweepHead; value: T } | null } = { best: null };
    const consider = async (n: string): Promise<void> => {
      if (opts.needs && !(await isFile(join(this.root, 'sweeps', n, opts.needs)))) return;
      const meta = await this.readSweepIfValid(n);
      if (!meta || (found.best && listOrder(meta, found.best.meta) >= 0)) return;
      const value = await pick(meta);
      if (value !== null) found.best = { meta, value };
    };
    for (const n of untimed) await consider(n);
    for (const n of timed) {
      const t = idTimeMs(n)!;
      // Made after the current sweep's created: created later still, so not before it.
      if (t > beforeMs) continue;
      if (found.best && t + ID_CREATED_SLACK_MS < Date.parse(found.best.meta.created)) break;
      await consider(n);
    }
    return found.best;
  }

  /** The store's sweep folder names that are valid ids. */
  private async sweepNames(): Promise<string[]> {
    try {
      return (await readdir(join(this.root, 'sweeps'))).filter((n) => SweepIdSchema.safeParse(n).success);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return [];
      throw err;
    }
  }

  /** A folder's sweep.json when it is readable, valid and names this folder; else null. */
  private async readSweepIfValid(name: string): Promise<SweepHead | null> {
    const data = await readJsonFile(join(this.root, 'sweeps', name, SWEEP_FILE)).catch(() => null);
    const parsed = parseStoredSweepFile(data);
    return parsed.success && parsed.data.head.id === name ? parsed.data.head : null;
  }

  // ---- hosts ----

  /**
   * Takes a ZIP a worker fetched (`tmpZipPath` is consumed: moved or removed), validates it as
   * untrusted input inside the host's folder, and renames it to result.zip, replacing an earlier
   * one. On rejection throws ZipRejectedError and leaves no result.zip for the host (the result
   * it replaced is gone too: the host's latest run is the rejected one).
   * Returns the checked ZIP and its path relative to the store root (for HostResult.zip.path).
   */
  async acceptZip(sweepId: string, host: string, tmpZipPath: string, limits?: Partial<ZipLimits>): Promise<{ checked: CheckedZip; zipPath: string }> {
    await this.assertSweep(sweepId);
    const dir = this.hostDir(sweepId, host);
    await mkdir(dir, { recursive: true });
    const staged = join(dir, `.${RESULT_ZIP}.${randomBytes(6).toString('hex')}.tmp`);
    const final = join(dir, RESULT_ZIP);
    try {
      await moveIn(tmpZipPath, staged);
      const checked = await validateResultZip(staged, limits);
      await rename(staged, final);
      return { checked, zipPath: relative(this.root, final).split(sep).join('/') };
    } catch (err) {
      await rm(staged, { force: true });
      if (err instanceof ZipRejectedError) await rm(final, { force: true });
      throw err;
    } finally {
      await rm(tmpZipPath, { force: true }).catch(() => undefined);
    }
  }

  /** Writes host_result.json atomically; a second write for the same host replaces the first. */
  /**
   * Stores a host's result. A result of a job that started before the deadline its host was
   * already timed out at is late: it is not written (false), so the report made at the
   * deadline stays what the store says. A re-probe started after the deadline replaces it.
   */
  async writeHostResult(result: HostResult): Promise<boolean> {
    const r = HostResultSchema.parse(result);
    await this.assertSweep(r.sweep_id);
    const dir = this.hostDir(r.sweep_id, r.host);
    if (r.status !== 'timed-out') {
      const prior = await this.readHostResult(r.sweep_id, r.host).catch(() => null);
      if (prior?.status === 'timed-out' && r.started_at < prior.deadline) return false;
    }
    await mkdir(dir, { recursive: true });
    // A result without a ZIP must not leave an older run's ZIP looking like its evidence.
    if (r.status !== 'probed') await rm(join(dir, RESULT_ZIP), { force: true });
    await atomicWrite(join(dir, HOST_RESULT_FILE), storeJson(r));
    // The rename changed only the host's folder: touching hosts/ is how the history index
    // (history-index.ts) sees, with one stat per sweep, that this sweep changed.
    const now = new Date();
    await utimes(join(this.sweepDir(r.sweep_id), 'hosts'), now, now).catch(() => undefined);
    return true;
  }

  async readHostResult(sweepId: string, host: string): Promise<HostResult | null> {
    const file = join(this.hostDir(sweepId, host), HOST_RESULT_FILE);
    const data = await readJsonFile(file);
    return data === null ? null : parseOrThrow(StoredHostResult, data, file);
  }

  /**
   * The same, read synchronously: 10,000 of these one after another take a third of the time
   * of the promise API's four thread-pool round trips each (aggregate-stream.ts reads in batches).
   */
  readHostResultNow(sweepId: string, host: string): HostResult | null {
    const file = join(this.hostDir(sweepId, host), HOST_RESULT_FILE);
    const data = readJsonFileNow(file);
    return data === null ? null : parseOrThrow(StoredHostResult, data, file);
  }

  /** Every host result of a sweep, sorted by host name. */
  async readHostResults(sweepId: string): Promise<HostResult[]> {
    const hostsDir = join(this.sweepDir(sweepId), 'hosts');
    let names: string[];
    try {
      names = await readdir(hostsDir);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return [];
      throw err;
    }
    const out: HostResult[] = [];
    for (const n of names.sort()) {
      if (!HostNameSchema.safeParse(n).success) continue;
      const r = await this.readHostResult(sweepId, n);
      if (r) out.push(r);
    }
    return out;
  }

  // ---- report ----

  /**
   * The summary, then the reports made from it. The metrics are written last and atomically
   * too: node_exporter's textfile collector reads the folder whenever it is scraped, and its
   * temporary names do not end in .prom.
   */
  async writeFleetReport(
    sweepId: string,
    summary: FleetSummary,
    markdown: string,
    extra: { html?: string | Iterable<string>; metrics?: string } = {},
  ): Promise<{ summaryPath: string; reportPath: string; htmlPath: string | null; summary: FleetSummary }> {
    // Checked and written a row at a time: the rows of 10,000 runners are not copied whole.
    const s = FleetSummarySchema.parse({ ...summary, hosts: [] });
    if (s.sweep.id !== sweepId) throw new StoreError(`fleet summary of sweep ${s.sweep.id} cannot be written to sweep ${sweepId}`);
    const dir = this.sweepDir(sweepId);
    const summaryPath = join(dir, FLEET_SUMMARY_FILE);
    await atomicWrite(summaryPath, jsonTextPieces(s, 'hosts', summary.hosts, (h) => HostRowSchema.parse(h)));
    const reportPath = join(dir, FLEET_REPORT_FILE);
    await atomicWrite(reportPath, markdown);
    const htmlPath = extra.html === undefined ? null : join(dir, FLEET_REPORT_HTML_FILE);
    if (htmlPath) await atomicWrite(htmlPath, extra.html!);
    if (extra.metrics !== undefined) await atomicWrite(join(dir, FLEET_METRICS_FILE), extra.metrics);
    return { summaryPath, reportPath, htmlPath, summary: { ...s, hosts: summary.hosts } };
  }

  /**
   * The sweep's runners and outcomes from its fleet_summary.json, streamed and checked row by
   * row; a summary of another version is read whole, through its migration. Null when absent.
   */
  async readFleetOutcomes(sweepId: string): Promise<PreviousOutcomes | null> {
    const file = join(this.sweepDir(sweepId), FLEET_SUMMARY_FILE);
    const r = await readFleetOutcomes(file);
    if (r.ok) return r.value;
    if (r.reason === 'missing') return null;
    if (r.reason === 'other-version') return this.readFleetSummary(sweepId);
    throw new StoreError(`${file} does not match its schema: ${r.reason}`);
  }

  async readFleetSummary(sweepId: string): Promise<FleetSummary | null> {
    const file = join(this.sweepDir(sweepId), FLEET_SUMMARY_FILE);
    const data = await readJsonFile(file);
    return data === null ? null : parseOrThrow(StoredFleetSummary, data, file);
  }

  private inside(...parts: string[]): string {
    const p = resolve(this.root, ...parts);
    if (!p.startsWith(this.root + sep)) throw new StoreError(`path escapes the store: ${parts.join('/')}`);
    return p;
  }
}

/**
 * How long after its id's time a sweep's created can be: newSweepId() runs just before the
 * created time is taken (controller/sweeps.ts), so a second's rounding and a slow moment.
 */
const ID_CREATED_SLACK_MS = 60_000;
const TIME_ID = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-/;

/** The UTC time an id made by newSweepId() carries (to the second), or null for other ids. */
export function idTimeMs(id: string): number | null {
  const m = TIME_ID.exec(id);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  // 20261399-...: digits, not a time.
  return back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && h < 24 && mi < 60 && s < 60 ? t : null;
}

/** Sweep a sorts before sweep b: created earlier, or at the same time with a smaller id. */
function isOlder(a: SweepHead, b: SweepHead): boolean {
  return a.created < b.created || (a.created === b.created && a.id < b.id);
}

/** listSweeps()'s order: newest created first, then the larger id. */
function listOrder(a: SweepHead, b: SweepHead): number {
  return b.created.localeCompare(a.created) || b.id.localeCompare(a.id);
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

function checkId(id: string, what: string): string {
  const r = SweepIdSchema.safeParse(id);
  if (!r.success) throw new StoreError(`invalid ${what} ${JSON.stringify(id)}: ${r.error.issues[0]!.message}`);
  return id;
}

function checkHost(host: string): string {
  const r = HostNameSchema.safeParse(host);
  if (!r.success) throw new StoreError(`invalid host name ${JSON.stringify(host)}: ${r.error.issues[0]!.message}`);
  return host;
}

async function moveIn(from: string, to: string): Promise<void> {
  const st = await lstat(from).catch(() => null);
  if (!st) throw new ZipRejectedError('unreadable', 'the fetched ZIP is missing');
  if (!st.isFile()) throw new ZipRejectedError('unreadable', 'the fetched ZIP is not a regular file');
  try {
    await rename(from, to);
  } catch (err) {
    if (errorCode(err) !== 'EXDEV') throw err;
    await copyFile(from, to);
  }
}

/**
 * A sweep's two files: targets.jsonl first, so that a sweep.json (what makes a folder a sweep)
 * never names targets not yet written.
 */
async function writeSweepFiles(dir: string, m: SweepMeta): Promise<void> {
  const { targets, ...head } = m;
  await atomicWrite(join(dir, TARGETS_FILE), targetLines(targets));
  await atomicWrite(join(dir, SWEEP_FILE), storeJson(head));
}

/** targets.jsonl, each line checked by its schema and handed on as it is read. */
async function eachTargetLine<T>(file: string, schema: LineSchema<T>, each: (t: T) => void): Promise<void> {
  const input = createReadStream(file, { encoding: 'utf8' });
  let n = 0;
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      const r = parseTargetLine(line, ++n, schema);
      if (!r.ok) throw new StoreError(`${file}${r.problem}`);
      if (r.value !== null) each(r.value);
    }
  } catch (err) {
    input.destroy();
    if (err instanceof StoreError) throw err;
    if (errorCode(err) === 'ENOENT') throw new StoreError(`${file} is missing: the sweep's targets are not in the store`);
    throw new StoreError(`cannot read ${file}: ${errorCode(err) ?? 'unreadable'}`);
  }
}

/** `data` as pieces is written a batch of pieces at a time, never joined (a 10,000-runner HTML page). */
async function atomicWrite(file: string, data: string | Iterable<string>): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    if (typeof data === 'string') await writeFile(tmp, data, { flag: 'wx' });
    else {
      const fh = await open(tmp, 'wx');
      try {
        // About 1,000 pieces a write: few system calls, no string of the whole file.
        let batch: string[] = [];
        for (const piece of data) {
          batch.push(piece);
          if (batch.length === 1_000) {
            await fh.writeFile(batch.join(''));
            batch = [];
          }
        }
        if (batch.length) await fh.writeFile(batch.join(''));
      } finally {
        await fh.close();
      }
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return unreadable(file, err);
  }
  return parseJson(file, text);
}

function readJsonFileNow(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return unreadable(file, err);
  }
  return parseJson(file, text);
}

function unreadable(file: string, err: unknown): null {
  if (errorCode(err) === 'ENOENT') return null;
  throw new StoreError(`cannot read ${file}: ${errorCode(err) ?? 'unreadable'}`);
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StoreError(`${file} is not valid JSON`);
  }
}

function parseOrThrow<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, data: unknown, file: string): T {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new StoreError(`${file} does not match its schema: ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
}

/** How the store writes every JSON file (exported for the bench's stores made in this format). */
export function storeJson(v: unknown): string {
  return jsonText(v);
}

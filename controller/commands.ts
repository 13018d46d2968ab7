// The smtp-fleet commands. Loaded only when a command runs, so `--help` and one-line
// errors do not pay for BullMQ, ioredis and the schemas.
import { CronExpressionParser } from 'cron-parser';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { MANIFEST_VERSION, ManifestSchema, type Manifest } from '../packaging/manifest.js';
import { parseDuration, spanText } from '../payload/util/duration.js';
import { errorMessage } from '../payload/util/errors.js';
import { DEFAULT_AUTH_PER_ACCOUNT, MemoryAuthBudget, RedisAuthBudget } from '../queue/auth-budget.js';
import { FleetError, openRedis, redisTargetFrom, RedisStateReporter, safeRedisUrl } from '../queue/connection.js';
import { loadJobKey } from '../queue/job-auth.js';
import { enqueueReprobe, enqueueSweep, listSchedules, queueStatus, removeSchedule, upsertSchedule, waitForSweep } from '../queue/enqueue.js';
import { JOB_VERSION, RetryPolicySchema, SweepOptionsSchema, type RetryPolicy, type RetryPolicyInput, type SweepOptions, type SweepOptionsInput } from '../queue/jobs.js';
import { runLocalSweep } from '../queue/local.js';
import { defaultDeadlineMs, expireSweep, RedisStageBook } from '../queue/deadline.js';
import { startWorkers } from '../queue/workers.js';
import { SelectionSchema, type Selection } from '../inventory/select.js';
import { FleetJobRunner } from '../queue/job-runner.js';
import { jsonLines } from '../payload/report/jsonl.js';
import { STDOUT, checkOutputPath, writeOutputFile } from '../payload/report/output-file.js';
import { fleetJunit, runnerLines } from '../store/fleet-outputs.js';
import { reportSweep } from '../store/report.js';
import { Store } from '../store/store.js';
import { createSweep, jobsFor, selectFrom } from './sweeps.js';
import { FLEET_EXIT } from './exit-codes.js';
import { outcomeLines } from './outcome.js';
import { terminalStyle } from '../payload/util/terminal.js';
import type { FleetSummary, SweepMeta } from '../store/fleet-schema.js';
import { loadInventory } from '../inventory/load.js';
import type { ResolvedHost } from '../inventory/schema.js';
import { jsonLine, jsonText } from '../payload/report/json-text.js';

export interface Globals {
  redis?: string;
  redisPasswordFile?: string;
  redisCa?: string;
  jobKeyFile?: string;
  prefix: string;
  store: string;
  payload: string;
  inventory: string;
}

/** --winrm-ca: checked up front, so a typo is one line now rather than a TLS error per host later. */
function winrmCaOf(f: { winrmCa?: string }): { winrmCa?: string } {
  if (!f.winrmCa) return {};
  const file = resolve(f.winrmCa);
  if (!existsSync(file)) throw new FleetError('usage', `--winrm-ca ${f.winrmCa}: no such file`);
  return { winrmCa: file };
}

export interface SweepFlags {
  host?: string[];
  tag?: string[];
  group?: string[];
  limit?: string;
  authTest?: boolean;
  authMaxPerAccount?: string;
  acceptNew?: boolean;
  timeout?: string;
  attempts?: string;
  backoff?: string;
  detach?: boolean;
  local?: boolean;
  concurrency?: string;
  json?: boolean;
  winrmCa?: string;
  diagnose?: boolean;
  ntp?: string;
  junit?: string;
  jsonl?: string;
  deadline?: string;
}

function positiveInt(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new FleetError('usage', `invalid ${flag} "${text}": expected a whole number above 0`);
  return n;
}

export function ms(text: string | undefined, flag: string, fallback: number, maxMs?: number): number {
  if (text === undefined) return fallback;
  try {
    return parseDuration(text, flag, maxMs);
  } catch (err) {
    throw new FleetError('usage', errorMessage(err));
  }
}

export function selectionOf(f: SweepFlags): Selection {
  return { hosts: f.host, tags: f.tag, groups: f.group, limit: f.limit === undefined ? undefined : positiveInt(f.limit, '--limit', 1) };
}

export function optionsOf(f: SweepFlags): SweepOptions {
  if (f.ntp !== undefined && !f.diagnose) throw new FleetError('usage', '--ntp goes with --diagnose');
  return SweepOptionsSchema.parse({
    auth_test: f.authTest ?? false,
    auth_max_per_account: positiveInt(f.authMaxPerAccount, '--auth-max-per-account', DEFAULT_AUTH_PER_ACCOUNT),
    accept_new: f.acceptNew ?? false,
    diagnose: f.diagnose ?? false,
    ...(f.ntp === undefined ? {} : { ntp: f.ntp === 'off' ? null : f.ntp }),
    command_timeout_ms: ms(f.timeout, '--timeout', 180_000),
  } satisfies SweepOptionsInput);
}

/** --deadline, or the default from the sweep's size and limits (queue/deadline.ts). */
export function deadlineOf(f: Pick<SweepFlags, 'deadline'>, a: { hosts: number; concurrency: number; options: SweepOptions; retry: RetryPolicy }): number {
  if (f.deadline !== undefined) return ms(f.deadline, '--deadline', 0, 7 * 86_400_000);
  return defaultDeadlineMs({ hosts: a.hosts, concurrency: a.concurrency, commandTimeoutMs: a.options.command_timeout_ms, attempts: a.retry.attempts });
}

export function retryOf(f: SweepFlags): RetryPolicy {
  return RetryPolicySchema.parse({ attempts: positiveInt(f.attempts, '--attempts', 4), backoff_ms: ms(f.backoff, '--backoff', 2000) } satisfies RetryPolicyInput);
}

function loadManifest(dir: string): Manifest {
  const file = resolve(dir, 'manifest.json');
  if (!existsSync(file)) throw new FleetError('payload', `no runner payload in ${dir} (manifest.json missing): run npm run build:payload, or point --payload at a build`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new FleetError('payload', `${file} is not readable JSON (${errorMessage(err)}): run npm run build:payload again`);
  }
  const version = (raw as { manifest_version?: unknown } | null)?.manifest_version;
  if (typeof version === 'number' && version !== MANIFEST_VERSION) throw new FleetError('payload', `${file} is a version ${version} payload manifest, this smtp-fleet reads version ${MANIFEST_VERSION}: run npm run build:payload again`);
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) throw new FleetError('payload', `${file} is not a payload manifest: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Live progress on a TTY that takes cursor control: hosts done, failing, unreachable. Silent otherwise (TERM=dumb too). */
function progressPrinter(store: Store, sweepId: string, total: number) {
  const tty = terminalStyle(process.stderr.isTTY, process.env).cursor;
  let last = '';
  let readAt = 0;
  return {
    tick: async () => {
      // Reading every host's result is the costly part: at most twice a second, whatever the poll rate.
      if (!tty || Date.now() - readAt < 500) return;
      readAt = Date.now();
      const results = await store.readHostResults(sweepId).catch(() => []);
      const failing = results.filter((r) => r.status === 'probed' && r.verdict.class !== 'ok').length;
      const unreachable = results.filter((r) => r.status !== 'probed').length;
      const line = `sweep ${sweepId}: ${results.length}/${total} done, ${failing} failing, ${unreachable} not reached`;
      if (line !== last) process.stderr.write(`\r\x1b[K${line}`);
      last = line;
    },
    clear: () => {
      if (tty && last) process.stderr.write('\r\x1b[K');
    },
  };
}

function exitCodeOf(s: FleetSummary): number {
  if (s.counts.timed_out > 0) return FLEET_EXIT.deadline;
  if (s.counts.unreachable + s.counts.failed + s.counts.rejected + s.counts.pending > 0) return FLEET_EXIT.runnerProblems;
  if (s.counts.smtp_failing > 0) return FLEET_EXIT.smtpFailures;
  return FLEET_EXIT.ok;
}

/** --junit and --jsonl of a sweep: checked before anything starts, so a typo costs no sweep. */
function checkSweepOutputs(f: Pick<SweepFlags, 'junit' | 'jsonl' | 'json' | 'detach'>): void {
  if ((f.junit || f.jsonl) && f.detach) throw new FleetError('usage', '--junit and --jsonl are written when the sweep ends: they do not go with --detach (use `smtp-fleet report` later)');
  if (f.jsonl === STDOUT && f.json) throw new FleetError('usage', '--jsonl - and --json both want stdout: give --jsonl a file name');
  checkOutputPath('--junit', f.junit);
  checkOutputPath('--jsonl', f.jsonl, true);
}

/** The sweep's outcome: --junit / --jsonl files from the store, then stdout and the exit code. */
async function finishSweep(store: Store, s: FleetSummary, reportPath: string, f: Pick<SweepFlags, 'junit' | 'jsonl' | 'json'>): Promise<number> {
  await writeSweepFiles(store, s, f);
  // `--jsonl -` owns stdout: the outcome lines would break the lines a pipeline reads.
  if (f.jsonl === STDOUT) return exitCodeOf(s);
  return printOutcome(s, reportPath, f.json);
}

async function writeSweepFiles(store: Store, s: FleetSummary, f: Pick<SweepFlags, 'junit' | 'jsonl'>): Promise<void> {
  if (!f.junit && !f.jsonl) return;
  const results = await store.readHostResults(s.sweep.id);
  if (f.junit) writeOutputFile('--junit', f.junit, fleetJunit(s, results, hostname()));
  if (f.jsonl) writeOutputFile('--jsonl', f.jsonl, jsonLines(runnerLines(s, results)));
}

function printOutcome(s: FleetSummary, reportPath: string, json: boolean | undefined): number {
  if (json) process.stdout.write(jsonText(s));
  else process.stdout.write(outcomeLines(s, reportPath, terminalStyle(process.stdout.isTTY, process.env)));
  return exitCodeOf(s);
}

/** Said on stderr, one line per change: Redis went away while a command waited, or came back. */
const cliRedisState = (g: Globals) => new RedisStateReporter(redisTargetFrom(g).url, (line) => process.stderr.write(`smtp-fleet: ${line}\n`));

export async function withRedis<T>(g: Globals, f: (redis: Redis, state: RedisStateReporter) => Promise<T>): Promise<T> {
  const state = cliRedisState(g);
  const redis = await openRedis(redisTargetFrom(g), 'cli', state);
  try {
    return await f(redis, state);
  } finally {
    redis.disconnect();
  }
}

/** The job key, read before anything is made: a controller without one cannot enqueue. */
const jobKeyOf = (g: Globals) => loadJobKey(g.jobKeyFile);

export async function sweepCommand(g: Globals, f: SweepFlags): Promise<number> {
  const manifest = loadManifest(g.payload);
  const options = optionsOf(f);
  const retry = retryOf(f);
  const concurrency = positiveInt(f.concurrency, '--concurrency', 8);
  const inventory = resolve(g.inventory);
  const selection = selectionOf(f);
  const winrmCa = winrmCaOf(f);
  if (f.deadline !== undefined) deadlineOf(f, { hosts: 1, concurrency, options, retry });
  checkSweepOutputs(f);
  const jobKey = f.local ? undefined : jobKeyOf(g);
  // Everything the user gave is checked before a store folder is made or Redis is asked.
  const hosts = await selectFrom(inventory, selection);
  const deadlineMs = deadlineOf(f, { hosts: hosts.length, concurrency, options, retry });
  const store = await Store.open(g.store);
  if (f.local) {
    const { meta, jobs } = await createSweep(store, { inventory, selection, hosts, options, kind: 'sweep', payloadVersion: manifest.version, concurrency, deadlineMs });
    const runner = new FleetJobRunner({ store, payloadDir: g.payload, manifest, authBudget: new MemoryAuthBudget(), ...winrmCa });
    const progress = progressPrinter(store, meta.id, jobs.length);
    const report = await runLocalSweep(meta.id, jobs, runner, { concurrency, retry }, { onResult: () => void progress.tick() });
    progress.clear();
    return finishSweep(store, (await store.readFleetSummary(meta.id))!, report, f);
  }
  return withRedis(g, async (redis, state) => {
    const { meta, jobs } = await createSweep(store, { inventory, selection, hosts, options, kind: 'sweep', payloadVersion: manifest.version, deadlineMs });
    const parent = await enqueueSweep(redis, g.prefix, jobKey!, meta.id, jobs, retry);
    if (f.detach) {
      process.stdout.write(f.json ? jsonLine({ sweep_id: meta.id, job: parent, hosts: jobs.length, deadline: meta.options.deadline }) + '\n' : `${meta.id}\n`);
      return FLEET_EXIT.ok;
    }
    return waitAndReport(redis, state, g, store, meta.id, parent, jobs.length, f, meta);
  });
}

async function waitAndReport(redis: Redis, state: RedisStateReporter, g: Globals, store: Store, sweepId: string, parent: string, total: number, f: SweepFlags, meta?: SweepMeta): Promise<number> {
  const progress = progressPrinter(store, sweepId, total);
  const deadline = meta?.options.deadline ?? null;
  // At the deadline the wait ends whatever the workers do; what is unfinished is then timed out here.
  const atDeadline = deadline ? AbortSignal.timeout(Math.max(0, Date.parse(deadline) - Date.now())) : undefined;
  // Waiting on a queue nobody serves looks like a hang: say so once, then wait anyway.
  if ((await queueStatus(redis, g.prefix)).workers === 0) {
    process.stderr.write(`smtp-fleet: no worker is connected (Redis ${safeRedisUrl(redisTargetFrom(g).url)}, prefix ${g.prefix}): start \`smtp-fleet worker\`, or use --local; waiting\n`);
  }
  const ended = await waitForSweep(redis, g.prefix, parent, { onTick: progress.tick, onRedisError: (e) => state.error(e), ...(atDeadline ? { signal: atDeadline } : {}) });
  progress.clear();
  if (ended === 'running' && meta && deadline) {
    const transports = new Map(meta.targets.map((h) => [h.name, h.transport] as const));
    const late = await expireSweep({ store, sweepId, hosts: meta.hosts, transports, deadline, stages: new RedisStageBook(redis, g.prefix), queue: { redis, prefix: g.prefix } });
    process.stderr.write(`smtp-fleet: sweep ${sweepId}: the deadline ${deadline} passed; ${late.length} runner(s) timed out\n`);
    const { summary, reportPath } = await reportSweep(store, sweepId);
    return finishSweep(store, summary, reportPath, f);
  }
  if (ended === 'failed') throw new FleetError('store', `sweep ${sweepId}: aggregating the report failed; see \`smtp-fleet status\` and the worker's log`);
  const summary = await store.readFleetSummary(sweepId);
  if (!summary) throw new FleetError('store', `sweep ${sweepId} finished but its report is not in ${store.root}: do the workers use the same --store?`);
  return finishSweep(store, summary, `${store.sweepDir(sweepId)}/fleet_report.md`, f);
}

/**
 * A re-probe usually follows a fix, often in the inventory itself (a key, a proxy, a port):
 * the host is taken as the inventory describes it now, and the sweep records that; the
 * sweep's own copy is used when the inventory no longer has the host.
 */
async function currentTarget(g: Globals, store: Store, meta: SweepMeta, hostName: string): Promise<ResolvedHost> {
  const stored = meta.targets.find((h) => h.name === hostName);
  const inventory = resolve(g.inventory);
  const now = existsSync(inventory) ? (await loadInventory(inventory)).hosts.find((h) => h.name === hostName) : undefined;
  if (now) {
    const targets = stored ? meta.targets.map((h) => (h.name === hostName ? now : h)) : [...meta.targets, now];
    await store.updateSweep({ ...meta, targets });
    return now;
  }
  if (!stored) throw new FleetError('not-found', `host ${hostName} is in neither ${g.inventory} nor sweep ${meta.id}'s record`);
  return stored;
}

export async function reprobeCommand(g: Globals, hostName: string, f: SweepFlags & { sweep?: string }): Promise<number> {
  const store = await Store.open(g.store);
  const manifest = loadManifest(g.payload);
  const options = optionsOf(f);
  const retry = retryOf(f);
  const jobKey = f.local ? undefined : jobKeyOf(g);
  // Into the sweep given, else the latest one that holds the host, else a sweep of its own.
  const sweeps = await store.listSweeps();
  const found = f.sweep ? await store.readSweepHead(f.sweep) : sweeps.find((s) => s.hosts.includes(hostName));
  if (!found) {
    return sweepCommand(g, { ...f, host: [hostName] });
  }
  if (!found.hosts.includes(hostName)) throw new FleetError('not-found', `host ${hostName} is not part of sweep ${found.id}`);
  const meta = await store.readSweep(found.id);
  const host = await currentTarget(g, store, meta, hostName);
  const [job] = jobsFor(meta.id, [host], options);
  if (f.local) {
    const runner = new FleetJobRunner({ store, payloadDir: g.payload, manifest, authBudget: new MemoryAuthBudget(), ...winrmCaOf(f) });
    const report = await runLocalSweep(meta.id, [job!], runner, { concurrency: 1, retry });
    return printOutcome((await store.readFleetSummary(meta.id))!, report, f.json);
  }
  return withRedis(g, async (redis, state) => {
    const parent = await enqueueReprobe(redis, g.prefix, jobKey!, job!, retry);
    if (f.detach) {
      process.stdout.write(`${meta.id}\n`);
      return FLEET_EXIT.ok;
    }
    return waitAndReport(redis, state, g, store, meta.id, parent, meta.hosts.length, f);
  });
}

export async function workerCommand(g: Globals, f: { concurrency?: string; lockDuration?: string; winrmCa?: string }): Promise<number> {
  const store = await Store.open(g.store);
  const manifest = loadManifest(g.payload);
  const winrmCa = winrmCaOf(f);
  const jobKey = jobKeyOf(g);
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const target = redisTargetFrom(g);
  const state = new RedisStateReporter(target.url, log);
  const redis = await openRedis(target, 'worker', state);
  const runner = new FleetJobRunner({ store, payloadDir: g.payload, manifest, authBudget: new RedisAuthBudget(redis, g.prefix), stages: new RedisStageBook(redis, g.prefix), ...winrmCa });
  const concurrency = positiveInt(f.concurrency, '--concurrency', 4);
  const workers = startWorkers(redis, runner, {
    jobKey,
    onRedisError: (e) => state.error(e),
    prefix: g.prefix,
    concurrency,
    lockDurationMs: ms(f.lockDuration, '--lock-duration', 30_000),
    log,
    startScheduled: async (data) => {
      // A scheduled sweep gets the default deadline, from this worker's concurrency: nobody waits on it to cut it short.
      const hosts = await selectFrom(data.inventory, data.selection);
      const deadlineMs = deadlineOf({}, { hosts: hosts.length, concurrency, options: data.options, retry: data.retry });
      const { meta, jobs } = await createSweep(store, { inventory: data.inventory, selection: data.selection, hosts, options: data.options, kind: 'scheduled', payloadVersion: manifest.version, deadlineMs });
      await enqueueSweep(redis, g.prefix, jobKey, meta.id, jobs, data.retry);
      return meta.id;
    },
  });
  log(`worker: ready (store ${store.root}, payload ${manifest.version}, prefix ${g.prefix})`);
  await new Promise<void>((resolveStop) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolveStop());
  });
  log('worker: finishing the jobs in hand, then stopping');
  await workers.close();
  redis.disconnect();
  return FLEET_EXIT.ok;
}

export async function reportCommand(g: Globals, sweepId: string | undefined, f: { json?: boolean; junit?: string; jsonl?: string }): Promise<number> {
  checkSweepOutputs(f);
  const store = await Store.open(g.store);
  const id = sweepId ?? (await store.latestSweep())?.id;
  if (!id) throw new FleetError('not-found', `no sweeps in ${store.root} yet`);
  const { summary, markdown } = await reportSweep(store, id);
  await writeSweepFiles(store, summary, f);
  if (f.jsonl === STDOUT) return exitCodeOf(summary);
  if (f.json) process.stdout.write(jsonText(summary));
  else process.stdout.write(markdown);
  return exitCodeOf(summary);
}

export async function sweepsCommand(g: Globals, f: { json?: boolean }): Promise<number> {
  const store = await Store.open(g.store);
  const rows = [];
  for (const m of await store.listSweeps()) {
    const s = await store.readFleetSummary(m.id);
    rows.push({ id: m.id, created: m.created, kind: m.kind, hosts: m.hosts.length, ok: s?.counts.ok ?? null, smtp_failing: s?.counts.smtp_failing ?? null, not_reached: s ? s.counts.unreachable + s.counts.failed + s.counts.rejected + s.counts.timed_out : null, done: s !== null && s.counts.pending === 0 });
  }
  if (f.json) process.stdout.write(jsonText(rows));
  else if (rows.length === 0) process.stdout.write(`no sweeps in ${store.root}\n`);
  else for (const r of rows) process.stdout.write(`${r.id}  ${r.kind.padEnd(9)} ${String(r.hosts).padStart(4)} hosts  ${r.ok === null ? 'running or not aggregated' : `${r.ok} ok, ${r.smtp_failing} failing, ${r.not_reached} not reached`}\n`);
  return FLEET_EXIT.ok;
}

export async function statusCommand(g: Globals, f: { json?: boolean }): Promise<number> {
  return withRedis(g, async (redis) => {
    const [q, schedules] = await Promise.all([queueStatus(redis, g.prefix), listSchedules(redis, g.prefix)]);
    if (f.json) process.stdout.write(jsonText({ ...q, schedules }));
    else {
      const fmt = (c: Record<string, number>) => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ');
      process.stdout.write(`workers:   ${q.workers}\nprobes:    ${fmt(q.probes)}\nsweeps:    ${fmt(q.sweeps)}\nschedules: ${schedules.map((s) => `${s.name} (${s.pattern ?? `every ${s.every_ms === null ? '?' : spanText(s.every_ms)}`}, next ${s.next ?? '-'})`).join('; ') || 'none'}\n`);
    }
    return FLEET_EXIT.ok;
  });
}


export type ScheduleFlags = SweepFlags & { cron?: string; every?: string; tz?: string; name: string };

export async function scheduleCommand(g: Globals, f: ScheduleFlags): Promise<number> {
  if (!f.cron && !f.every) throw new FleetError('usage', 'schedule needs --cron PATTERN (or --every DURATION)');
  const inventory = resolve(g.inventory);
  if (!existsSync(inventory)) throw new FleetError('usage', `inventory ${inventory} not found`);
  const data = { v: JOB_VERSION, inventory, selection: SelectionSchema.parse(selectionOf(f)), options: optionsOf(f), retry: retryOf(f) };
  const everyMs = f.every ? ms(f.every, '--every', 0, 366 * 86_400_000) : undefined;
  if (f.cron) checkCron(f.cron, f.tz);
  const jobKey = jobKeyOf(g);
  const next = await withRedis(g, async (redis) => {
    await upsertSchedule(redis, g.prefix, jobKey, { name: f.name, cron: f.cron, everyMs, tz: f.tz }, data);
    return (await listSchedules(redis, g.prefix)).find((x) => x.name === f.name)?.next ?? null;
  });
  process.stdout.write(`schedule ${f.name}: ${f.cron ?? `every ${f.every}`}, first sweep ${next ?? 'not scheduled'} (inventory ${inventory})\n`);
  return FLEET_EXIT.ok;
}

/** A bad pattern or time zone is the user's input: one line, exit 2, before Redis is asked. */
function checkCron(pattern: string, tz: string | undefined): void {
  try {
    CronExpressionParser.parse(pattern, tz ? { tz } : {});
  } catch (err) {
    throw new FleetError('usage', `--cron "${pattern}"${tz ? ` (tz ${tz})` : ''} is not a valid cron pattern: ${errorMessage(err).split('\n')[0]}`);
  }
}

export async function unscheduleCommand(g: Globals, f: { name: string }): Promise<number> {
  const removed = await withRedis(g, (redis) => removeSchedule(redis, g.prefix, f.name));
  process.stdout.write(removed ? `schedule ${f.name} removed\n` : `no schedule named ${f.name}\n`);
  return FLEET_EXIT.ok;
}

export async function schedulesCommand(g: Globals, f: { json?: boolean }): Promise<number> {
  const list = await withRedis(g, (redis) => listSchedules(redis, g.prefix));
  if (f.json) process.stdout.write(jsonText(list));
  else process.stdout.write(list.length ? list.map((s) => `${s.name}  ${s.pattern ?? `every ${s.every_ms === null ? '?' : spanText(s.every_ms)}`}${s.tz ? ` (${s.tz})` : ''}  next ${s.next ?? '-'}\n`).join('') : 'no schedules\n');
  return FLEET_EXIT.ok;
}

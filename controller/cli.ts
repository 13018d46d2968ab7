#!/usr/bin/env node
// smtp-fleet: sweep a fleet of runners with smtp-probe through BullMQ (or --local), keep
// every runner's ZIP in a central store, and aggregate one fleet report per sweep.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import type { Redis } from 'ioredis';
import { ManifestSchema, type Manifest } from '../packaging/manifest.js';
import { parseDuration } from '../payload/util/duration.js';
import { errorMessage } from '../payload/util/errors.js';
import { DEFAULT_AUTH_PER_ACCOUNT, MemoryAuthBudget, RedisAuthBudget } from '../queue/auth-budget.js';
import { DEFAULT_PREFIX, FleetError, openRedis, redisUrlFrom } from '../queue/connection.js';
import { enqueueReprobe, enqueueSweep, listSchedules, queueStatus, removeSchedule, upsertSchedule, waitForSweep } from '../queue/enqueue.js';
import { RetryPolicySchema, SweepOptionsSchema, type RetryPolicy, type SweepOptions } from '../queue/jobs.js';
import { runLocalSweep } from '../queue/local.js';
import { startWorkers } from '../queue/workers.js';
import { SelectionSchema, type Selection } from '../inventory/select.js';
import { FleetJobRunner } from './job-runner.js';
import { aggregateSweep } from './report.js';
import { Store } from './store.js';
import { createSweep, jobsFor } from './sweeps.js';
import type { FleetSummary } from './fleet-schema.js';

/** Exit codes; README.md documents them. */
export const FLEET_EXIT = { ok: 0, internal: 1, usage: 2, smtpFailures: 3, runnerProblems: 4, redis: 5 } as const;

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

interface Globals {
  redis?: string;
  prefix: string;
  store: string;
  payload: string;
  inventory: string;
}

interface SweepFlags {
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
}

function positiveInt(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new FleetError('usage', `invalid ${flag} "${text}": expected a whole number above 0`);
  return n;
}

function ms(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  try {
    return parseDuration(text, flag);
  } catch (err) {
    throw new FleetError('usage', errorMessage(err));
  }
}

function selectionOf(f: SweepFlags): Selection {
  return { hosts: f.host, tags: f.tag, groups: f.group, limit: f.limit === undefined ? undefined : positiveInt(f.limit, '--limit', 1) };
}

function optionsOf(f: SweepFlags): SweepOptions {
  return SweepOptionsSchema.parse({
    authTest: f.authTest ?? false,
    authMaxPerAccount: positiveInt(f.authMaxPerAccount, '--auth-max-per-account', DEFAULT_AUTH_PER_ACCOUNT),
    acceptNew: f.acceptNew ?? false,
    commandTimeoutMs: ms(f.timeout, '--timeout', 180_000),
  });
}

function retryOf(f: SweepFlags): RetryPolicy {
  return RetryPolicySchema.parse({ attempts: positiveInt(f.attempts, '--attempts', 4), backoffMs: ms(f.backoff, '--backoff', 2000) });
}

function loadManifest(dir: string): Manifest {
  const file = resolve(dir, 'manifest.json');
  if (!existsSync(file)) throw new FleetError('payload', `no runner payload in ${dir} (manifest.json missing): run npm run build:payload, or point --payload at a build`);
  const parsed = ManifestSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new FleetError('payload', `${file} is not a payload manifest: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Live progress on a TTY: hosts done, failing, unreachable. Silent otherwise. */
function progressPrinter(store: Store, sweepId: string, total: number) {
  const tty = process.stderr.isTTY === true;
  let last = '';
  return {
    tick: async () => {
      if (!tty) return;
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
  if (s.counts.unreachable + s.counts.failed + s.counts.rejected + s.counts.pending > 0) return FLEET_EXIT.runnerProblems;
  if (s.counts.smtpFailing > 0) return FLEET_EXIT.smtpFailures;
  return FLEET_EXIT.ok;
}

function printOutcome(s: FleetSummary, reportPath: string, json: boolean | undefined): number {
  if (json) process.stdout.write(JSON.stringify(s, null, 2) + '\n');
  else {
    const c = s.counts;
    const rate = s.successRate === null ? 'n/a' : `${Math.round(s.successRate * 100)}%`;
    process.stdout.write(
      [
        `sweep:       ${s.sweep.id} (${s.sweep.kind})`,
        `hosts:       ${c.selected} selected, ${c.ok} ok, ${c.smtpFailing} with SMTP failures, ${c.unreachable} unreachable, ${c.failed + c.rejected} other runner problems, ${c.pending} pending`,
        `success:     ${rate} of probed hosts`,
        `report:      ${reportPath}`,
        '',
      ].join('\n'),
    );
  }
  return exitCodeOf(s);
}

async function withRedis<T>(g: Globals, f: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = await openRedis(redisUrlFrom(g.redis), 'cli');
  try {
    return await f(redis);
  } finally {
    redis.disconnect();
  }
}

async function sweepCommand(g: Globals, f: SweepFlags): Promise<number> {
  const store = await Store.open(g.store);
  const manifest = loadManifest(g.payload);
  const options = optionsOf(f);
  const retry = retryOf(f);
  const concurrency = positiveInt(f.concurrency, '--concurrency', 8);
  const inventory = resolve(g.inventory);
  if (f.local) {
    const { meta, jobs } = await createSweep(store, { inventory, selection: selectionOf(f), options, kind: 'sweep', payloadVersion: manifest.version, concurrency });
    const runner = new FleetJobRunner({ store, payloadDir: g.payload, manifest, authBudget: new MemoryAuthBudget() });
    const progress = progressPrinter(store, meta.id, jobs.length);
    const report = await runLocalSweep(meta.id, jobs, runner, { concurrency, retry }, { onResult: () => void progress.tick() });
    progress.clear();
    return printOutcome((await store.readFleetSummary(meta.id))!, report, f.json);
  }
  return withRedis(g, async (redis) => {
    const { meta, jobs } = await createSweep(store, { inventory, selection: selectionOf(f), options, kind: 'sweep', payloadVersion: manifest.version });
    const parent = await enqueueSweep(redis, g.prefix, meta.id, jobs, retry);
    if (f.detach) {
      process.stdout.write(f.json ? JSON.stringify({ sweepId: meta.id, job: parent, hosts: jobs.length }) + '\n' : `${meta.id}\n`);
      return FLEET_EXIT.ok;
    }
    return waitAndReport(redis, g, store, meta.id, parent, jobs.length, f.json);
  });
}

async function waitAndReport(redis: Redis, g: Globals, store: Store, sweepId: string, parent: string, total: number, json: boolean | undefined): Promise<number> {
  const progress = progressPrinter(store, sweepId, total);
  const state = await waitForSweep(redis, g.prefix, parent, { onTick: progress.tick });
  progress.clear();
  if (state === 'failed') throw new FleetError('store', `sweep ${sweepId}: aggregating the report failed; see \`smtp-fleet status\` and the worker's log`);
  const summary = await store.readFleetSummary(sweepId);
  if (!summary) throw new FleetError('store', `sweep ${sweepId} finished but its report is not in ${store.root}: do the workers use the same --store?`);
  return printOutcome(summary, `${store.sweepDir(sweepId)}/fleet_report.md`, json);
}

async function reprobeCommand(g: Globals, hostName: string, f: SweepFlags & { sweep?: string }): Promise<number> {
  const store = await Store.open(g.store);
  const manifest = loadManifest(g.payload);
  const options = optionsOf(f);
  const retry = retryOf(f);
  // Into the sweep given, else the latest one that holds the host, else a sweep of its own.
  const sweeps = await store.listSweeps();
  const meta = f.sweep ? await store.readSweep(f.sweep) : sweeps.find((s) => s.hosts.includes(hostName));
  if (!meta) {
    return sweepCommand(g, { ...f, host: [hostName] });
  }
  const host = meta.targets.find((h) => h.name === hostName);
  if (!host) throw new FleetError('not-found', `host ${hostName} is not part of sweep ${meta.id}`);
  const [job] = jobsFor(meta.id, [host], options);
  if (f.local) {
    const runner = new FleetJobRunner({ store, payloadDir: g.payload, manifest, authBudget: new MemoryAuthBudget() });
    const report = await runLocalSweep(meta.id, [job!], runner, { concurrency: 1, retry });
    return printOutcome((await store.readFleetSummary(meta.id))!, report, f.json);
  }
  return withRedis(g, async (redis) => {
    const parent = await enqueueReprobe(redis, g.prefix, job!, retry);
    if (f.detach) {
      process.stdout.write(`${meta.id}\n`);
      return FLEET_EXIT.ok;
    }
    return waitAndReport(redis, g, store, meta.id, parent, meta.hosts.length, f.json);
  });
}

async function workerCommand(g: Globals, f: { concurrency?: string; lockDuration?: string }): Promise<number> {
  const store = await Store.open(g.store);
  const manifest = loadManifest(g.payload);
  const redis = await openRedis(redisUrlFrom(g.redis), 'worker');
  const runner = new FleetJobRunner({ store, payloadDir: g.payload, manifest, authBudget: new RedisAuthBudget(redis, g.prefix) });
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const workers = startWorkers(redis, runner, {
    prefix: g.prefix,
    concurrency: positiveInt(f.concurrency, '--concurrency', 4),
    lockDurationMs: ms(f.lockDuration, '--lock-duration', 30_000),
    log,
    startScheduled: async (data) => {
      const { meta, jobs } = await createSweep(store, { inventory: data.inventory, selection: data.selection, options: data.options, kind: 'scheduled', payloadVersion: manifest.version });
      await enqueueSweep(redis, g.prefix, meta.id, jobs, data.retry);
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

async function reportCommand(g: Globals, sweepId: string | undefined, f: { json?: boolean }): Promise<number> {
  const store = await Store.open(g.store);
  const id = sweepId ?? (await store.listSweeps())[0]?.id;
  if (!id) throw new FleetError('not-found', `no sweeps in ${store.root} yet`);
  const path = await aggregateSweep(store, id);
  const summary = (await store.readFleetSummary(id))!;
  if (f.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else process.stdout.write(readFileSync(path, 'utf8'));
  return exitCodeOf(summary);
}

async function sweepsCommand(g: Globals, f: { json?: boolean }): Promise<number> {
  const store = await Store.open(g.store);
  const rows = [];
  for (const m of await store.listSweeps()) {
    const s = await store.readFleetSummary(m.id);
    rows.push({ id: m.id, created: m.created, kind: m.kind, hosts: m.hosts.length, ok: s?.counts.ok ?? null, smtpFailing: s?.counts.smtpFailing ?? null, notReached: s ? s.counts.unreachable + s.counts.failed + s.counts.rejected : null, done: s !== null && s.counts.pending === 0 });
  }
  if (f.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  else if (rows.length === 0) process.stdout.write(`no sweeps in ${store.root}\n`);
  else for (const r of rows) process.stdout.write(`${r.id}  ${r.kind.padEnd(9)} ${String(r.hosts).padStart(4)} hosts  ${r.ok === null ? 'running or not aggregated' : `${r.ok} ok, ${r.smtpFailing} failing, ${r.notReached} not reached`}\n`);
  return FLEET_EXIT.ok;
}

async function statusCommand(g: Globals, f: { json?: boolean }): Promise<number> {
  return withRedis(g, async (redis) => {
    const [q, schedules] = await Promise.all([queueStatus(redis, g.prefix), listSchedules(redis, g.prefix)]);
    if (f.json) process.stdout.write(JSON.stringify({ ...q, schedules }, null, 2) + '\n');
    else {
      const fmt = (c: Record<string, number>) => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ');
      process.stdout.write(`workers:   ${q.workers}\nprobes:    ${fmt(q.probes)}\nsweeps:    ${fmt(q.sweeps)}\nschedules: ${schedules.map((s) => `${s.name} (${s.pattern ?? `every ${s.everyMs} ms`}, next ${s.next ?? '-'})`).join('; ') || 'none'}\n`);
    }
    return FLEET_EXIT.ok;
  });
}

function selectionOptions(cmd: Command): Command {
  return cmd
    .option('--host <name>', 'this host (repeatable)', collect)
    .option('--tag <tag>', 'hosts carrying this tag; several narrow (repeatable)', collect)
    .option('--group <group>', 'hosts of this group; several widen (repeatable)', collect)
    .option('--limit <n>', 'at most the first N selected hosts');
}

function runOptions(cmd: Command): Command {
  return cmd
    .option('--auth-test', "also log in to each host's mail account (inventory probe.smtpAuth), within the fleet-wide budget")
    .option('--auth-max-per-account <n>', `logins per mail account per hour across the whole fleet (default ${DEFAULT_AUTH_PER_ACCOUNT})`)
    .option('--accept-new', 'trust host keys seen for the first time and add them to known_hosts (a changed key is still refused)')
    .option('--timeout <duration>', 'limit of the probe run on a runner', '3m')
    .option('--attempts <n>', 'tries per host for transient transport failures (unreachable, timeout, reset)', '4')
    .option('--backoff <duration>', 'first retry delay; doubles each time, with jitter', '2s')
    .option('--json', 'print fleet_summary.json (or the sweep id with --detach) on stdout');
}

function buildProgram(): Command {
  const program = new Command('smtp-fleet')
    .description('Sweep a fleet of bot runners with smtp-probe over SSH/WinRM through a BullMQ queue, and report on the whole fleet.')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `smtp-fleet: ${s}` : s) })
    .option('--redis <url>', 'Redis URL (default $REDIS_URL or redis://127.0.0.1:6379)')
    .option('--prefix <prefix>', 'key prefix of the fleet in Redis', process.env.SMTP_FLEET_PREFIX ?? DEFAULT_PREFIX)
    .option('--store <dir>', 'central store of ZIPs and reports (shared by controller and workers)', process.env.SMTP_FLEET_STORE ?? 'fleet-store')
    .option('--payload <dir>', 'runner payload build (npm run build:payload)', process.env.SMTP_FLEET_PAYLOAD ?? resolve(PACKAGE_ROOT, 'build/payload'))
    .option('--inventory <file>', 'runner inventory (YAML or JSON)', process.env.SMTP_FLEET_INVENTORY ?? 'inventory.yml');
  const g = () => program.opts<Globals>();
  let code = 0;

  runOptions(selectionOptions(program.command('sweep').description('probe every selected runner; waits and prints the report path unless --detach')))
    .option('--detach', 'enqueue and return at once with the sweep id')
    .option('--local', 'run the jobs in this process, without Redis (first tries, small fleets)')
    .option('--concurrency <n>', 'runners worked on at once with --local', '8')
    .action(async (f: SweepFlags) => void (code = await sweepCommand(g(), f)));

  runOptions(program.command('probe').argument('<host>', 'inventory host name').description('re-probe one host; its result replaces the old one in its latest sweep (or --sweep ID)'))
    .option('--sweep <id>', 'the sweep whose result to replace')
    .option('--detach', 'enqueue and return at once')
    .option('--local', 'run in this process, without Redis')
    .action(async (host: string, f: SweepFlags & { sweep?: string }) => void (code = await reprobeCommand(g(), host, f)));

  program
    .command('worker')
    .description('process fleet jobs until SIGINT/SIGTERM; run as many as you like wherever Redis and the store are reachable')
    .option('--concurrency <n>', 'runners worked on at once by this worker', '4')
    .option('--lock-duration <duration>', "how long a job's lock lives unrenewed: how soon a dead worker's jobs move on", '30s')
    .action(async (f) => void (code = await workerCommand(g(), f)));

  selectionOptions(program.command('schedule').description('register (or update) a recurring sweep: the nightly fleet report'))
    .addOption(new Option('--cron <pattern>', 'cron pattern, e.g. "0 2 * * *"').conflicts('every'))
    .addOption(new Option('--every <duration>', 'fixed interval instead of cron (e.g. 6h)').conflicts('cron'))
    .option('--tz <zone>', 'time zone of the cron pattern (default UTC)')
    .option('--name <name>', 'schedule name', 'nightly')
    .option('--auth-test', 'scheduled sweeps also log in (within the fleet-wide budget)')
    .option('--auth-max-per-account <n>', `logins per mail account per hour across the whole fleet (default ${DEFAULT_AUTH_PER_ACCOUNT})`)
    .option('--timeout <duration>', 'limit of the probe run on a runner', '3m')
    .option('--attempts <n>', 'tries per host for transient transport failures', '4')
    .option('--backoff <duration>', 'first retry delay', '2s')
    .action(async (f: SweepFlags & { cron?: string; every?: string; tz?: string; name: string }) => {
      if (!f.cron && !f.every) throw new FleetError('usage', 'schedule needs --cron PATTERN (or --every DURATION)');
      const inventory = resolve(g().inventory);
      if (!existsSync(inventory)) throw new FleetError('usage', `inventory ${inventory} not found`);
      await withRedis(g(), (redis) =>
        upsertSchedule(redis, g().prefix, { name: f.name, cron: f.cron, everyMs: f.every ? ms(f.every, '--every', 0) : undefined, tz: f.tz }, { v: 1, inventory, selection: SelectionSchema.parse(selectionOf(f)), options: optionsOf(f), retry: retryOf(f) }),
      );
      process.stdout.write(`schedule ${f.name}: ${f.cron ?? `every ${f.every}`} (inventory ${inventory})\n`);
    });

  program
    .command('unschedule')
    .option('--name <name>', 'schedule name', 'nightly')
    .description('remove a recurring sweep')
    .action(async (f: { name: string }) => {
      const removed = await withRedis(g(), (redis) => removeSchedule(redis, g().prefix, f.name));
      process.stdout.write(removed ? `schedule ${f.name} removed\n` : `no schedule named ${f.name}\n`);
    });

  program
    .command('schedules')
    .option('--json', 'machine-readable')
    .description('list recurring sweeps')
    .action(async (f: { json?: boolean }) => {
      const list = await withRedis(g(), (redis) => listSchedules(redis, g().prefix));
      if (f.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      else process.stdout.write(list.length ? list.map((s) => `${s.name}  ${s.pattern ?? `every ${s.everyMs} ms`}${s.tz ? ` (${s.tz})` : ''}  next ${s.next ?? '-'}\n`).join('') : 'no schedules\n');
    });

  program
    .command('report')
    .argument('[sweep]', 'sweep id (default: the latest)')
    .option('--json', 'print fleet_summary.json instead of the markdown')
    .description("(re)make a sweep's fleet report from the store and print it")
    .action(async (id: string | undefined, f: { json?: boolean }) => void (code = await reportCommand(g(), id, f)));

  program
    .command('sweeps')
    .option('--json', 'machine-readable')
    .description('list the sweeps in the store, newest first')
    .action(async (f: { json?: boolean }) => void (code = await sweepsCommand(g(), f)));

  program
    .command('status')
    .option('--json', 'machine-readable')
    .description('queue counts, live workers and schedules')
    .action(async (f: { json?: boolean }) => void (code = await statusCommand(g(), f)));

  program.hook('postAction', () => {
    process.exitCode = code;
  });
  return program;
}

const USAGE_ERRORS = new Set(['InventoryError', 'SelectionError', 'StoreError', 'UsageError']);

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : FLEET_EXIT.usage;
    } else if (err instanceof FleetError) {
      process.stderr.write(`smtp-fleet: error: ${err.message}\n`);
      process.exitCode = err.code === 'redis-unreachable' ? FLEET_EXIT.redis : FLEET_EXIT.usage;
    } else if (err instanceof Error && USAGE_ERRORS.has(err.name)) {
      process.stderr.write(`smtp-fleet: error: ${err.message}\n`);
      process.exitCode = FLEET_EXIT.usage;
    } else {
      process.stderr.write(`smtp-fleet: internal error: ${errorMessage(err)}\n`);
      if (process.env.SMTP_FLEET_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = FLEET_EXIT.internal;
    }
  }
}

void main(process.argv);

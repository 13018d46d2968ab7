#!/usr/bin/env node
// smtp-fleet: sweep a fleet of runners with smtp-probe through BullMQ (or --local), keep
// every runner's ZIP in a central store, and aggregate one fleet report per sweep. This file
// only parses the command line; each command loads its modules when it runs.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { SmtpProbeError, errorMessage } from '../payload/util/errors.js';
import { DEFAULT_AUTH_PER_ACCOUNT } from '../queue/auth-budget.js';
import { DEFAULT_PREFIX } from '../queue/defaults.js';
import type { Globals, ScheduleFlags, SweepFlags } from './commands.js';
import type { ImportFlags } from './inventory-import.js';
import type { DashboardFlags } from './dashboard.js';
import type { HistoryFlags } from './history-command.js';
import { FLEET_EXIT, fleetExitCodeRows, fleetExitCodesHelp } from './exit-codes.js';
import { addDocCommands } from '../payload/util/doc-commands.js';
import { VERSION } from '../payload/version.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];
const commands = () => import('./commands.js');

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
    .option('--diagnose', "run `smtp-probe diagnose` on the runners (probe plus DNS, network, clock, proxy, OS TLS and AA evidence; the inventory's AA context is passed on)")
    .option('--ntp <host|off>', 'with --diagnose: SNTP server for the clock check, or off')
    .option('--timeout <duration>', 'limit of the probe run on a runner', '3m')
    .option('--attempts <n>', 'tries per host for transient transport failures (unreachable, timeout, reset)', '4')
    .option('--backoff <duration>', 'first retry delay; doubles each time, with jitter', '2s')
    .option('--json', 'print fleet_summary.json (or the sweep id with --detach) on stdout')
    .option('--winrm-ca <file>', 'CA certificates (PEM) for WinRM hosts that name none in the inventory (with --local)');
}

/** The global options every command shares: where Redis, the store, the payload and the inventory are. */
function globalOptions(program: Command): Command {
  return program
    .description('Sweep a fleet of bot runners with smtp-probe over SSH/WinRM through a BullMQ queue, and report on the whole fleet.')
    .version(VERSION, '-V, --version')
    .addHelpText('after', `\n${fleetExitCodesHelp()}`)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `smtp-fleet: ${s}` : s) })
    .option('--redis <url>', 'Redis URL, redis://[user@]host:port or rediss:// for TLS (default $REDIS_URL or redis://127.0.0.1:6379); never with a password')
    .option('--redis-password-file <file>', 'file holding the Redis password (or $REDIS_PASSWORD / $REDIS_PASSWORD_FILE)')
    .option('--redis-ca <file>', 'CA certificates (PEM) to trust for a rediss:// Redis (or $REDIS_CA_FILE)')
    .option('--job-key-file <file>', 'file holding the key jobs are signed with, shared by controller and workers (or $SMTP_FLEET_JOB_KEY)', process.env.SMTP_FLEET_JOB_KEY_FILE)
    .option('--prefix <prefix>', 'key prefix of the fleet in Redis', process.env.SMTP_FLEET_PREFIX ?? DEFAULT_PREFIX)
    .option('--store <dir>', 'central store of ZIPs and reports (shared by controller and workers)', process.env.SMTP_FLEET_STORE ?? 'fleet-store')
    .option('--payload <dir>', 'runner payload build (npm run build:payload)', process.env.SMTP_FLEET_PAYLOAD ?? resolve(PACKAGE_ROOT, 'build/payload'))
    .option('--inventory <file>', 'runner inventory (YAML or JSON)', process.env.SMTP_FLEET_INVENTORY ?? 'inventory.yml');
}

type G = () => Globals;
/** Runs a command's implementation (loaded only now) and keeps its exit code. */
type Run = (f: (c: typeof import('./commands.js')) => Promise<number>) => Promise<void>;
/** The same for a command with a module of its own (not commands.js and what it loads). */
type RunAlone = (f: () => Promise<number>) => Promise<void>;

/** The commands an operator runs after an outage or for one host: sweep and probe. */
function sweepCommands(program: Command, g: G, run: Run): void {
  runOptions(selectionOptions(program.command('sweep').description('probe every selected runner; waits and prints the report path unless --detach')))
    .option('--detach', 'enqueue and return at once with the sweep id')
    .option('--local', 'run the jobs in this process, without Redis (first tries, small fleets)')
    .option('--concurrency <n>', 'runners worked on at once with --local; for the queue, the workers\' total concurrency the default --deadline assumes', '8')
    .option('--deadline <duration>', 'end the sweep by then: runners not finished are reported timed out (exit 6); default from hosts, concurrency, --timeout and --attempts (see README)')
    .option('--junit <file>', 'when the sweep ends, also write it as JUnit XML: one testcase per runner (not reached: <error>)')
    .option('--jsonl <file|->', 'when the sweep ends, also write one JSON object per runner, one per line (- for stdout, instead of the outcome)')
    .action((f: SweepFlags) => run((c) => c.sweepCommand(g(), f)));

  runOptions(program.command('probe').argument('<host>', 'inventory host name').description('re-probe one host; its result replaces the old one in its latest sweep (or --sweep ID)'))
    .option('--sweep <id>', 'the sweep whose result to replace')
    .option('--detach', 'enqueue and return at once')
    .option('--local', 'run in this process, without Redis')
    .action((host: string, f: SweepFlags & { sweep?: string }) => run((c) => c.reprobeCommand(g(), host, f)));
}

function workerCommands(program: Command, g: G, run: Run): void {
  program
    .command('worker')
    .description('process fleet jobs until SIGINT/SIGTERM; run as many as you like wherever Redis and the store are reachable')
    .option('--concurrency <n>', 'runners worked on at once by this worker', '4')
    .option('--lock-duration <duration>', "how long a job's lock lives unrenewed: how soon a dead worker's jobs move on", '30s')
    .option('--winrm-ca <file>', 'CA certificates (PEM) for WinRM hosts that name none in the inventory')
    .action((f) => run((c) => c.workerCommand(g(), f)));
}

/** The nightly report: recurring sweeps. */
function scheduleCommands(program: Command, g: G, run: Run): void {
  selectionOptions(program.command('schedule').description('register (or update) a recurring sweep: the nightly fleet report; prints when the first sweep comes (never at once)'))
    .addOption(new Option('--cron <pattern>', 'cron pattern, e.g. "0 2 * * *"').conflicts('every'))
    .addOption(new Option('--every <duration>', 'fixed interval instead of cron (e.g. 6h); the first sweep comes one interval from now, not at once').conflicts('cron'))
    .option('--tz <zone>', 'time zone of the cron pattern (default UTC)')
    .option('--name <name>', 'schedule name', 'nightly')
    .option('--auth-test', 'scheduled sweeps also log in (within the fleet-wide budget)')
    .option('--diagnose', 'scheduled sweeps run `smtp-probe diagnose` on the runners')
    .option('--ntp <host|off>', 'with --diagnose: SNTP server for the clock check, or off')
    .option('--auth-max-per-account <n>', `logins per mail account per hour across the whole fleet (default ${DEFAULT_AUTH_PER_ACCOUNT})`)
    .option('--timeout <duration>', 'limit of the probe run on a runner', '3m')
    .option('--attempts <n>', 'tries per host for transient transport failures', '4')
    .option('--backoff <duration>', 'first retry delay', '2s')
    .action((f: ScheduleFlags) => run((c) => c.scheduleCommand(g(), f)));

  program
    .command('unschedule')
    .option('--name <name>', 'schedule name', 'nightly')
    .description('remove a recurring sweep')
    .action((f: { name: string }) => run((c) => c.unscheduleCommand(g(), f)));

  program
    .command('schedules')
    .option('--json', 'machine-readable')
    .description('list recurring sweeps')
    .action((f: { json?: boolean }) => run((c) => c.schedulesCommand(g(), f)));
}

/** What the store and the queue hold: reports, sweeps, status. */
function readingCommands(program: Command, g: G, run: Run, alone: RunAlone): void {
  program
    .command('report')
    .argument('[sweep]', 'sweep id (default: the latest)')
    .option('--json', 'print fleet_summary.json instead of the markdown')
    .option('--junit <file>', 'also write the sweep as JUnit XML, as sweep --junit does (e.g. after sweep --detach)')
    .option('--jsonl <file|->', 'also write one JSON object per runner, as sweep --jsonl does')
    .description("(re)make a sweep's fleet report from the store and print it")
    .action((id: string | undefined, f: { json?: boolean; junit?: string; jsonl?: string }) => run((c) => c.reportCommand(g(), id, f)));

  program
    .command('sweeps')
    .option('--json', 'machine-readable')
    .description('list the sweeps in the store, newest first')
    .action((f: { json?: boolean }) => run((c) => c.sweepsCommand(g(), f)));

  program
    .command('history')
    .argument('[host]', 'one runner (default: the whole fleet)')
    .option('--since <span|date>', 'window: 30d, 12h, 2d or an ISO date', '30d')
    .option('--json', 'machine-readable (schema smtp-fleet/history)')
    .option('--reindex', 'delete the history index and build it again from the store')
    .description("a runner's outcomes over the sweeps, its failure signatures and streak; or the fleet's flapping runners, new failure signatures and long-standing failures")
    .action((host: string | undefined, f: HistoryFlags) => alone(async () => (await import('./history-command.js')).historyCommand(g(), host, f)));

  program
    .command('status')
    .option('--json', 'machine-readable')
    .description('queue counts, live workers and schedules')
    .action((f: { json?: boolean }) => run((c) => c.statusCommand(g(), f)));

  program
    .command('dashboard')
    .description("serve Bull Board on the fleet's queues and the sweeps' reports from the store until SIGINT/SIGTERM")
    .option('--listen <host:port>', 'address to listen on; anything but loopback needs the token', '127.0.0.1:8090')
    .option('--token-env <name>', 'environment variable holding the token', 'SMTP_FLEET_DASHBOARD_TOKEN')
    .option('--require-token', 'ask for the token on loopback too')
    .addHelpText('after', `\nExit codes:\n  ${FLEET_EXIT.ok}  stopped by SIGINT/SIGTERM\n  ${FLEET_EXIT.usage}  bad --listen, address in use, or no token where one is needed\n  ${FLEET_EXIT.redis}  Redis unreachable at start\n  ${FLEET_EXIT.internal}  internal error`)
    .action((f: DashboardFlags) => run(async () => (await import('./dashboard.js')).dashboardCommand(g(), f)));
}

/** Inventory upkeep: no Redis, no store. */
function inventoryCommands(program: Command, g: G, runAlone: (f: () => Promise<number>) => Promise<void>): void {
  const inventory = program.command('inventory').description('keep the runner inventory up to date');
  inventory
    .command('import')
    .description("add the Automation Anywhere Control Room's devices to the inventory (--inventory): new hosts, each device's status; hand-written settings and hosts stay")
    .requiredOption('--aa-devices <file>', 'the devices list API response (JSON) or the Devices page CSV export')
    .option('--dry-run', 'print what would change (added / updated / disconnected / missing) and write nothing')
    .option('--json', 'print the changes as JSON')
    .option('--include-creators', "also add Bot Creator devices (developers' machines; by default only runners are added)")
    .addHelpText('after', `\nExit codes:\n  ${FLEET_EXIT.ok}  written, already up to date, or --dry-run\n  ${FLEET_EXIT.usage}  bad usage, a malformed device list or inventory, a file too large or unwritable\n  ${FLEET_EXIT.internal}  internal error`)
    .action((f: ImportFlags) => runAlone(async () => (await import('./inventory-import.js')).inventoryImportCommand(g().inventory, f)));
  inventory
    .command('schema')
    .description('print the JSON Schema of the inventory file (every field, with what it is); --markdown: the reference tables of docs/inventory.md')
    .option('--markdown', 'the field reference as markdown tables instead')
    .action((f: { markdown?: boolean }) =>
      runAlone(async () => {
        const { inventoryJsonSchema, inventoryReference } = await import('../inventory/reference.js');
        process.stdout.write(f.markdown ? inventoryReference() : `${JSON.stringify(inventoryJsonSchema(), null, 2)}\n`);
        return FLEET_EXIT.ok;
      }),
    );
}

function buildProgram(): Command {
  const program = globalOptions(new Command('smtp-fleet'));
  const g = () => program.opts<Globals>();
  let code = 0;
  const run: Run = async (f) => {
    code = await f(await commands());
  };
  const alone: RunAlone = async (f) => {
    code = await f();
  };
  sweepCommands(program, g, run);
  workerCommands(program, g, run);
  scheduleCommands(program, g, run);
  readingCommands(program, g, run, alone);
  inventoryCommands(program, g, async (f) => {
    code = await f();
  });
  addDocCommands(program, () => ({
    program: 'smtp-fleet',
    version: VERSION,
    summary: 'sweep a fleet of bot runners with smtp-probe and report on the whole fleet',
    exitCodes: fleetExitCodeRows(),
    seeAlso: ['smtp-probe(1)', 'redis-server(1)', 'ssh(1)'],
  }));
  program.hook('postAction', () => {
    process.exitCode = code;
  });
  return program;
}

async function main(argv: string[]): Promise<void> {
  // `smtp-fleet sweeps | head -1`: a reader that goes away is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? FLEET_EXIT.ok : FLEET_EXIT.internal));
  try {
    await buildProgram().parseAsync(argv);
    // A sweep ended by its deadline leaves abandoned connections behind: they must not keep it alive past its deadline.
    if (process.exitCode === FLEET_EXIT.deadline) process.exit();
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : FLEET_EXIT.usage;
    } else if (err instanceof SmtpProbeError && err.exit !== 'internal') {
      process.stderr.write(`smtp-fleet: error: ${err.message}\n`);
      process.exitCode = err.exit === 'unavailable' ? FLEET_EXIT.redis : FLEET_EXIT.usage;
    } else {
      process.stderr.write(`smtp-fleet: internal error: ${errorMessage(err)}\n`);
      if (process.env.SMTP_FLEET_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = FLEET_EXIT.internal;
    }
    // A connection opened before the error must not keep a failed command alive.
    process.exit();
  }
}

void main(process.argv);

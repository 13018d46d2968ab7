// smtp-fleet's answers to bad input: one line on stderr, a documented exit code, no stack
// trace, and nothing started. No runner or Redis is needed to get these right.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLEET_EXIT } from '../controller/exit-codes.js';
import { ROOT, tempDir } from './helpers.js';
import { FLEET_CLI, fleet, fleetEnv } from './fleet/harness.js';

const INVENTORY = `version: 1
defaults: { os: linux, transport: ssh, user: bot, auth: { agent: true } }
hosts:
  - { name: par-01, address: 127.0.0.1, tags: [paris] }
  - { name: lyo-01, address: 127.0.0.1, tags: [lyon] }
`;

function setup(text = INVENTORY) {
  const dir = tempDir('fleet-cli-');
  const inv = join(dir, 'inventory.yml');
  writeFileSync(inv, text);
  // Redis is pointed at a closed port: none of these may get as far as needing it.
  return fleetEnv(dir, inv, 'redis://127.0.0.1:1');
}

describe('smtp-fleet --version and --help', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await fleet(setup(), ['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('lists every exit code in --help, from FLEET_EXIT', async () => {
    const r = await fleet(setup(), ['--help']);
    expect(r.code).toBe(0);
    for (const code of Object.values(FLEET_EXIT)) expect(r.stdout).toMatch(new RegExp(`^  ${code}  \\S`, 'm'));
    expect(r.stdout).toMatch(/^ {2}5 {2}Redis unreachable$/m);
  });
});

describe('smtp-fleet with its stdout closed early (`smtp-fleet sweeps | head -1`)', () => {
  it.each([['sweeps'], ['--help'], ['--version'], ['completion bash'], ['man'], ['inventory schema'], ['history']])('%s exits quietly, without an EPIPE stack trace', async (cmd) => {
    const f = setup();
    const child = spawn(process.execPath, [FLEET_CLI, ...cmd.split(' ')], { env: { ...process.env, ...f.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the first line is written
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('smtp-fleet schedule --every (real Redis)', () => {
  it('says when the first sweep comes (one interval from now, not at once) and lists the interval as typed', async () => {
    const f = { ...setup(), redisUrl: 'redis://127.0.0.1:6379' };
    f.env.REDIS_URL = f.redisUrl;
    const before = Date.now();
    const r = await fleet(f, ['schedule', '--every', '30m', '--name', 'every-30m']);
    expect(r.code, r.stderr).toBe(0);
    const first = Date.parse(/first sweep (\S+)/.exec(r.stdout)![1]!);
    expect(first).toBeGreaterThanOrEqual(before + 30 * 60_000);
    expect(r.stdout).toMatch(/^schedule every-30m: every 30m, first sweep /);
    try {
      const list = await fleet(f, ['schedules']);
      expect(list.stdout).toMatch(/^every-30m {2}every 30m {2}next /m);
      // Nothing was started: no sweep job waits or runs.
      expect((await fleet(f, ['status'])).stdout).toMatch(/^sweeps: {4}waiting 0, active 0, /m);
    } finally {
      await fleet(f, ['unschedule', '--name', 'every-30m']);
    }
  });
});

describe('smtp-fleet bad input', () => {
  it.each([
    ['an inventory with a literal password', INVENTORY.replace('{ agent: true }', '{ password: hunter2 }'), ['sweep', '--local'], /^smtp-fleet: error: .*inventory\.yml:2:\d+: defaults\.auth.*passwordEnv/],
    ['a YAML syntax error', INVENTORY + '  - { name: broken\n', ['sweep', '--local'], /^smtp-fleet: error: .*inventory\.yml:\d+:\d+: /],
    ['an unknown tag', INVENTORY, ['sweep', '--local', '--tag', 'pari'], /unknown tag "pari" \(did you mean "paris"\?\)/],
    ['an unknown host', INVENTORY, ['probe', 'par-1', '--local'], /par-1/],
    ['a bad --limit', INVENTORY, ['sweep', '--limit', '0'], /invalid --limit "0"/],
    ['--ntp without --diagnose', INVENTORY, ['sweep', '--local', '--ntp', 'off'], /--ntp goes with --diagnose/],
    ['--junit with --detach', INVENTORY, ['sweep', '--detach', '--junit', 'fleet.xml'], /--junit and --jsonl are written when the sweep ends: they do not go with --detach/],
    ['a --junit folder that does not exist', INVENTORY, ['sweep', '--local', '--junit', '/nonexistent/dir/fleet.xml'], /cannot write --junit "\/nonexistent\/dir\/fleet\.xml": ENOENT/],
    ['--jsonl - with --json', INVENTORY, ['sweep', '--local', '--jsonl', '-', '--json'], /--jsonl - and --json both want stdout/],
    ['a bad duration', INVENTORY, ['sweep', '--local', '--timeout', 'soon'], /--timeout/],
    ['an unknown option', INVENTORY, ['sweep', '--everything'], /unknown option '--everything'/],
    ['schedule without a pattern', INVENTORY, ['schedule'], /schedule needs --cron/],
    ['a bad cron pattern', INVENTORY, ['schedule', '--cron', '61 25 * * *'], /--cron "61 25 \* \* \*" is not a valid cron pattern/],
    ['an --every past a year', INVENTORY, ['schedule', '--every', '400d'], /--every "400d".*at most 366d/],
    ['an inventory naming the job key as a password', INVENTORY.replace('{ agent: true }', '{ passwordEnv: SMTP_FLEET_JOB_KEY }'), ['sweep', '--local'], /defaults\.auth\.passwordEnv: names one of the fleet's own secrets/],
    ['a Redis password in argv', INVENTORY, ['status', '--redis', 'redis://fleet:s3cret@127.0.0.1:1'], /--redis must not carry a password/],
    ['--redis-ca with a redis:// URL', INVENTORY, ['status', '--redis-ca', '/etc/hostname'], /--redis-ca goes with a rediss:\/\/ URL/],
    ['a YAML alias bomb in the inventory', `version: 1\na: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nhosts: []\n`, ['sweep', '--local'], /inventory\.yml:1:1: cannot read the YAML: .*alias/i],
  ])('%s: one line, exit 2', async (_what, text, args, message) => {
    const r = await fleet(setup(text), args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it.each([
    ['sweep', ['sweep']],
    ['probe', ['probe', 'par-01', '--sweep', 'x']],
    ['worker', ['worker']],
    ['schedule', ['schedule', '--every', '6h']],
  ])('%s without a job key: one line, exit 2, before Redis is asked', async (_what, args) => {
    const f = setup();
    for (const key of ['', 'too-short-a-key']) {
      const r = await fleet(f, args, { SMTP_FLEET_JOB_KEY: key });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(key ? /the job key is shorter than 32 characters/ : /no job key: set SMTP_FLEET_JOB_KEY or pass --job-key-file/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    // A key file does as well as the variable: then Redis (closed here) is the next thing asked.
    const keyFile = join(f.dir, 'job-key');
    writeFileSync(keyFile, 'k'.repeat(64) + '\n');
    if (args[0] !== 'probe') expect((await fleet(f, [...args, '--job-key-file', keyFile], { SMTP_FLEET_JOB_KEY: '' })).code).toBe(5);
  });

  it('schedule --every 6h is accepted (the README example): it gets as far as Redis', async () => {
    const r = await fleet(setup(), ['schedule', '--every', '6h']);
    expect(r.code).toBe(5);
    expect(r.stderr).not.toMatch(/--every/);
  });

  it('a missing payload build is named with the command that makes one', async () => {
    const f = setup();
    const r = await fleet(f, ['sweep', '--local'], { SMTP_FLEET_PAYLOAD: join(f.dir, 'no-payload') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no runner payload in .*no-payload .*npm run build:payload/);
  });
});

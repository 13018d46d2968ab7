// `smtp-fleet inventory import`: the Control Room's device list (API JSON, Devices page CSV)
// read as untrusted input, and merged into a hand-written inventory without losing a setting,
// a comment or a host. The last block runs the built CLI (no lab, no Redis).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AaDevicesError, MAX_AA_DEVICES_BYTES, parseAaDevices, type AaDevice } from '../../inventory/aa-devices.js';
import { DISCONNECTED_TAG, mergeDevices, nameFor } from '../../inventory/aa-import.js';
import { parseInventory } from '../../inventory/load.js';
import { FLEET_EXIT } from '../../controller/exit-codes.js';
import { ROOT, tempDir } from '../helpers.js';

const FIX = join(ROOT, 'test/fixtures/aa');
const fixture = (name: string) => readFileSync(join(FIX, name), 'utf8');
const HAND = fixture('inventory-hand.yml');

function refusal(text: string, file = 'devices'): string {
  try {
    parseAaDevices(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(AaDevicesError);
    expect((err as AaDevicesError).exit).toBe('usage');
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('expected the device list to be refused');
}

describe('the devices list API response (JSON)', () => {
  const list = parseAaDevices(fixture('devices-list.json'), 'devices-list.json');

  it('reads every device with the fields the import uses, whichever spelling the Control Room gave', () => {
    expect(list.format).toBe('api-json');
    expect(list.devices).toHaveLength(5);
    expect(list.devices[0]).toMatchObject({ where: 'list[0]', id: '7', hostName: 'RPA-PAR-01.corp.example.com', address: 'RPA-PAR-01.corp.example.com', status: 'connected', os: 'windows', user: 'svc-aa-par01', type: 'BOT_RUNNER', botAgentVersion: '22.60.10' });
    // `hostname`, `username`, a string id and an ipAddress: variants the documentation leaves open.
    expect(list.devices[1]).toMatchObject({ id: '12', hostName: 'rpa-lyo-02', address: '10.2.0.12', status: 'disconnected', os: null, user: 'svc-aa-lyo02' });
    expect(list.devices[2]).toMatchObject({ status: 'offline', os: 'linux' });
  });

  it('takes a bare array of devices too, and refuses JSON that is no device list', () => {
    expect(parseAaDevices('[{"hostName":"rpa-1","status":"CONNECTED"}]', 'd').devices).toHaveLength(1);
    expect(refusal('{"devices": []}', 'd.json')).toMatch(/^d\.json: expected the devices list response: an object with a `list` array/);
    expect(refusal('{"list": [42]}', 'd.json')).toBe('d.json: list[0]: expected a device object');
  });

  it('names the record of a bad device, and never echoes more than a cut, quoted value', () => {
    const msg = refusal(fixture('devices-bad-record.json'), 'devices-bad-record.json');
    expect(msg).toBe('devices-bad-record.json: list[1]: host name "rpa par 02; rm -rf /" is not a host name or an IP address');
    expect(refusal(`{"list":[{"hostName":"${'a'.repeat(300)}"}]}`)).toMatch(/list\[0\]\.hostName: is longer than 253 characters/);
    expect(refusal('{"list":[{"status":"CONNECTED"}]}')).toBe('devices: list[0]: has no host name');
  });

  it('gives the line and column of a JSON syntax error, without quoting the file', () => {
    expect(refusal('{\n  "list": [\n    { "hostName": "a", }\n  ]\n}', 'd.json')).toMatch(/^d\.json:3:\d+: not valid JSON$/);
  });

  it('refuses a file past the size bound before parsing it', () => {
    expect(refusal(' '.repeat(MAX_AA_DEVICES_BYTES + 1))).toMatch(/larger than \d+ bytes/);
  });
});

describe('the Devices page CSV export', () => {
  const list = parseAaDevices(fixture('devices-export.csv'), 'devices-export.csv');

  it('reads it with a BOM, CRLF, quoted commas, quotes and newlines, and columns in any order', () => {
    expect(list.format).toBe('csv');
    expect(list.devices.map((d) => [d.hostName, d.status, d.os, d.user])).toEqual([
      ['rpa-par-01.corp.example.com', 'connected', 'windows', 'svc-aa-par01'],
      ['rpa-lyo-02', 'disconnected', 'windows', 'svc-aa-lyo02'],
      ['rpa-lnx-03.corp.example.com', 'offline', 'linux', 'svc-aa-lnx03'],
    ]);
    // The record after a two-line quoted field and an empty line starts where the file says.
    expect(list.devices.map((d) => d.where)).toEqual(['line 2', 'line 3', 'line 6']);
  });

  it('gives the line of a malformed export in one line', () => {
    expect(refusal(fixture('devices-malformed.csv'), 'devices-malformed.csv')).toMatch(/^devices-malformed\.csv:\d+: not a readable CSV export: Quote Not Closed/);
    expect(refusal('Device name,Status\nrpa-1,Connected,extra\n', 'd.csv')).toMatch(/^d\.csv:2: not a readable CSV export: Invalid Record Length/);
  });

  it('needs a host name column, and says which headers it found', () => {
    expect(refusal('Status,Username\nConnected,bot\n', 'd.csv')).toMatch(/^d\.csv:1: no host name column \(one of "device name", "host name".*the header has "Status", "Username"$/);
    expect(refusal('Host name,Device name\na,b\n', 'd.csv')).toMatch(/^d\.csv:1: two columns give the hostName/);
  });

  it('reads a semicolon export (comma-decimal locales) and a bad host on its line', () => {
    expect(parseAaDevices('Device name;Status\nrpa-9;Disconnected\n', 'd').devices[0]).toMatchObject({ hostName: 'rpa-9', status: 'disconnected' });
    expect(refusal('Device name,Status\nok-1,Connected\n"bad host",Connected\n', 'd.csv')).toBe('d.csv: line 3: host name "bad host" is not a host name or an IP address');
  });
});

describe('merging into an inventory', () => {
  const devices = parseAaDevices(fixture('devices-list.json'), 'devices-list.json').devices;

  it('keeps every hand-written host, setting, comment and the order; adds, updates, tags and reports', () => {
    const { plan, text, changed } = mergeDevices({ text: HAND, file: 'inventory.yml' }, devices);
    expect(changed).toBe(true);
    // rpa-par-01 matched by short name (the CR gives the FQDN), rpa-lyo-02 by name; rpa-old-09 is not in the export.
    expect(plan.added.map((a) => a.name)).toEqual(['rpa-lnx-03.corp.example.com']);
    expect(plan.creators).toEqual(['dev-laptop-44']);
    expect(plan.updated.map((u) => u.name)).toEqual(['rpa-par-01', 'rpa-lyo-02']);
    expect(plan.disconnected).toEqual([
      { name: 'rpa-lyo-02', status: 'disconnected' },
      { name: 'rpa-lnx-03.corp.example.com', status: 'offline' },
    ]);
    expect(plan.missing).toEqual(['rpa-old-09']);

    const before = parseYaml(HAND) as { defaults: unknown; groups: unknown; hosts: Array<Record<string, unknown>> };
    const after = parseYaml(text) as typeof before;
    expect(after.defaults).toEqual(before.defaults);
    expect(after.groups).toEqual(before.groups);
    expect(after.hosts.slice(0, 3).map((h) => h.name)).toEqual(['rpa-par-01', 'rpa-old-09', 'rpa-lyo-02']);
    for (const [i, h] of before.hosts.entries()) {
      const { controlRoom: _cr, tags, ...rest } = after.hosts[i]!;
      const { tags: oldTags, ...oldRest } = h;
      expect(rest).toEqual(oldRest);
      expect((tags as string[] | undefined)?.filter((t) => t !== DISCONNECTED_TAG)).toEqual(oldTags);
    }
    expect(after.hosts[0]!.controlRoom).toEqual({ deviceId: '7', hostName: 'RPA-PAR-01.corp.example.com', status: 'connected' });
    expect(after.hosts[2]!.tags).toEqual(['lyon', DISCONNECTED_TAG]);
    // Untouched lines, comments included, are byte for byte the same.
    for (const line of ['# Paris runners, written by hand: the import must keep this comment.', '  auth: { passwordEnv: WINRM_PASSWORD }   # the worker holds it', '  # retired in the Control Room already, kept here until the decommission ticket closes', '    transport: ssh   # Windows OpenSSH'])
      expect(text.split('\n')).toContain(line);
    // And the result is a working inventory.
    const inv = parseInventory(text, 'inventory.yml');
    expect(inv.hosts.find((h) => h.name === 'rpa-lnx-03.corp.example.com')).toMatchObject({ os: 'linux', transport: 'ssh' });
    expect(inv.hosts.find((h) => h.name === 'dev-laptop-44')).toBeUndefined();
    // With includeCreators the developer's machine comes in too, with the defaults' Windows and WinRM.
    const all = parseInventory(mergeDevices({ text: HAND, file: 'i.yml' }, devices, { includeCreators: true }).text, 'i.yml');
    expect(all.hosts.find((h) => h.name === 'dev-laptop-44')).toMatchObject({ os: 'windows', transport: 'winrm' });
  });

  it('is idempotent: a second import of the same list changes nothing', () => {
    const first = mergeDevices({ text: HAND, file: 'i.yml' }, devices).text;
    const second = mergeDevices({ text: first, file: 'i.yml' }, devices);
    expect(second.changed).toBe(false);
    expect(second.text).toBe(first);
    expect(second.plan.unchanged).toHaveLength(3);
  });

  it('matches by device id once recorded, and takes the tag off a device that is connected again', () => {
    const first = mergeDevices({ text: HAND, file: 'i.yml' }, devices).text;
    const back: AaDevice[] = [{ ...devices[1]!, hostName: 'renamed-in-cr', status: 'connected' }];
    const { plan, text } = mergeDevices({ text: first, file: 'i.yml' }, back);
    expect(plan.added).toEqual([]);
    expect(plan.updated).toEqual([{ name: 'rpa-lyo-02', changes: ['status disconnected -> connected', 'Control Room host name renamed-in-cr', `${DISCONNECTED_TAG} tag removed`] }]);
    const lyo = (parseYaml(text) as { hosts: Array<Record<string, unknown>> }).hosts[2]!;
    expect(lyo.tags).toEqual(['lyon']);
  });

  it('follows the defaults for a new host: their OS and transport where they can reach it, SSH for Linux under WinRM defaults', () => {
    const linux: AaDevice = { where: 'line 2', id: null, hostName: 'lnx-1', address: 'lnx-1', status: 'connected', os: 'linux', type: null, user: null, botAgentVersion: null };
    const win: AaDevice = { ...linux, hostName: 'win-1', address: 'win-1', os: 'windows' };
    const unknown: AaDevice = { ...linux, hostName: 'who-1', address: 'who-1', os: null };
    const { plan, text } = mergeDevices({ text: HAND, file: 'i.yml' }, [linux, win, unknown]);
    expect(plan.added.map((a) => [a.name, a.os, a.transport, a.os_assumed])).toEqual([
      ['lnx-1', 'linux', 'ssh', false],
      ['win-1', 'windows', 'winrm', false],
      ['who-1', 'windows', 'winrm', false],
    ]);
    expect(text).toContain('  - { name: lnx-1, address: lnx-1, os: linux, transport: ssh, controlRoom: { status: connected } }\n');
    expect(text).toContain('  - { name: win-1, address: win-1, controlRoom: { status: connected } }\n');
  });

  it('writes a new inventory when none exists, and says what it assumed', () => {
    const { plan, text } = mergeDevices(null, devices);
    expect(plan.added.find((a) => a.name === 'rpa-lyo-02')).toMatchObject({ os: 'windows', os_assumed: true, transport: 'winrm' });
    expect(text).toMatch(/^# Runner inventory written by `smtp-fleet inventory import`/);
    // It lacks the login user and auth, which only the operator can give.
    expect(() => parseInventory(text, 'new.yml')).toThrow(/user: is required/);
  });

  it('refuses to edit an inventory it cannot read, with the inventory\'s own error', () => {
    expect(() => mergeDevices({ text: HAND.replace('{ passwordEnv: WINRM_PASSWORD }', '{ password: hunter2 }'), file: 'i.yml' }, devices)).toThrow(/^i\.yml:5:\d+: defaults\.auth\.password: secrets are never written/);
  });

  it('merges into a flow-style host list and a JSON inventory too (the whole Document re-written, settings kept)', () => {
    const flow = 'version: 1\n# keep me\ndefaults: { user: bot, auth: { agent: true }, os: linux, transport: ssh }\nhosts: [ { name: rpa-lyo-02, address: 10.2.0.12 } ]\n';
    const json = JSON.stringify({ version: 1, defaults: { user: 'bot', auth: { agent: true }, os: 'linux', transport: 'ssh' }, hosts: [{ name: 'rpa-lyo-02', address: '10.2.0.12' }] }, null, 2);
    for (const text of [flow, json]) {
      const r = mergeDevices({ text, file: 'i.yml' }, devices);
      const inv = parseInventory(r.text, 'i.yml');
      expect(inv.hosts.map((h) => h.name)).toEqual(['rpa-lyo-02', 'rpa-par-01.corp.example.com', 'rpa-lnx-03.corp.example.com']);
      expect(inv.hosts[0]).toMatchObject({ address: '10.2.0.12', tags: [DISCONNECTED_TAG], user: 'bot', auth: { kind: 'agent' } });
      // Windows devices under Linux/SSH defaults: os windows, the defaults' SSH kept (Windows OpenSSH).
      expect(inv.hosts[1]).toMatchObject({ os: 'windows', transport: 'ssh' });
    }
    expect(mergeDevices({ text: flow, file: 'i.yml' }, devices).text).toContain('# keep me');
  });

  it('makes boring inventory names of Control Room host names', () => {
    expect(nameFor('RPA-PAR-01.corp.example.com')).toBe('rpa-par-01.corp.example.com');
    expect(nameFor(`${'x'.repeat(70)}.corp`)).toBe('x'.repeat(63));
    expect(nameFor('fe80::1')).toBe('fe80-1');
    expect(nameFor('con')).toBe('con-host');
  });
});

describe('smtp-fleet inventory import (the built CLI)', () => {
  const CLI = join(ROOT, 'dist/controller/cli.js');
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '' } }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  const setup = () => {
    if (!existsSync(CLI)) throw new Error('dist/controller/cli.js is missing: run `npm run build` first');
    const dir = tempDir('aa-import-');
    const inv = join(dir, 'inventory.yml');
    writeFileSync(inv, HAND);
    return { dir, inv };
  };

  it('--dry-run prints the changes and writes nothing', async () => {
    const { inv } = setup();
    const mtime = statSync(inv).mtimeMs;
    const r = await run(['inventory', 'import', '--aa-devices', join(FIX, 'devices-export.csv'), '--inventory', inv, '--dry-run']);
    expect(r).toMatchObject({ code: FLEET_EXIT.ok, stderr: '' });
    expect(r.stdout).toMatch(/^\+ rpa-lnx-03\.corp\.example\.com {2}rpa-lnx-03\.corp\.example\.com {2}linux, ssh {2}offline$/m);
    expect(r.stdout).toMatch(/^~ rpa-lyo-02 {2}status disconnected; tagged aa-disconnected$/m);
    expect(r.stdout).toMatch(/^\? rpa-old-09 {2}not in the Control Room export \(kept\)$/m);
    expect(r.stdout).toMatch(/^1 added, 2 updated, 2 disconnected, 1 missing from the Control Room, 0 unchanged \(3 devices read\)$/m);
    expect(r.stdout).toMatch(/^dry run: .*inventory\.yml not written$/m);
    expect(readFileSync(inv, 'utf8')).toBe(HAND);
    expect(statSync(inv).mtimeMs).toBe(mtime);
  });

  it('writes the merged inventory, which the fleet then loads; --json gives the same plan', async () => {
    const { inv } = setup();
    const r = await run(['inventory', 'import', '--aa-devices', join(FIX, 'devices-list.json'), '--inventory', inv, '--json']);
    expect(r.code).toBe(FLEET_EXIT.ok);
    const out = JSON.parse(r.stdout) as { written: boolean; format: string; missing: string[]; added: unknown[] };
    expect(out).toMatchObject({ written: true, format: 'api-json', missing: ['rpa-old-09'] });
    expect(out.added).toHaveLength(1);
    expect(parseInventory(readFileSync(inv, 'utf8'), inv).hosts).toHaveLength(4);
    const again = await run(['inventory', 'import', '--aa-devices', join(FIX, 'devices-list.json'), '--inventory', inv]);
    expect(again.stdout).toMatch(/already up to date$/m);
  });

  it.each([
    ['a malformed CSV', ['--aa-devices', join(FIX, 'devices-malformed.csv')], /^smtp-fleet: error: .*devices-malformed\.csv:\d+: not a readable CSV export/],
    ['a bad JSON record', ['--aa-devices', join(FIX, 'devices-bad-record.json')], /devices-bad-record\.json: list\[1\]: host name/],
    ['a missing file', ['--aa-devices', '/nonexistent/devices.csv'], /cannot read the device list: ENOENT/],
    ['no --aa-devices', [], /required option '--aa-devices <file>' not specified/],
  ])('%s: one line, exit 2, the inventory untouched', async (_what, args, message) => {
    const { inv } = setup();
    const r = await run(['inventory', 'import', '--inventory', inv, ...args]);
    expect(r.code).toBe(FLEET_EXIT.usage);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
    expect(readFileSync(inv, 'utf8')).toBe(HAND);
  });
});

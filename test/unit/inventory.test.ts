// The inventory: YAML/JSON in, resolved hosts out; every error points at file:line:col and the field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InventoryError, loadInventory, parseInventory, probeArgsFor, resolveHosts, ResolvedHostSchema } from '../../inventory/load.js';
import { PROBE_FLAG_NAMES, ProbeFlagsSchema, ResolvedProbeFlagsSchema, probeFlagName } from '../../inventory/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'inv-'));
function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function errorOf(text: string, file = 'inventory.yml'): string {
  try {
    parseInventory(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(InventoryError);
    expect((err as InventoryError).code).toBe('inventory');
    expect((err as InventoryError).exit).toBe('usage');
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('expected the inventory to be refused');
}

const GOOD = `version: 1
defaults:
  user: aa-bot
  os: linux
  transport: ssh
  auth:
    key: keys/id_ed25519
  ssh:
    knownHosts: ~/fleet/known_hosts
  tags: [prod]
  probe:
    server: smtp.gmail.com
    ports: [587, "465:implicit"]
    timeout: connect=3s
    flags:
      attempts: 2
    aa:
      activity: Send invoice mail
groups:
  emea:
    hosts: [lin-01]
    tags: [paris]
hosts:
  - name: lin-01
    address: 10.0.0.11
  - name: lin-02
    address: 10.0.0.12
    port: 2222
    user: other
    auth: { agent: true }
    tags: [paris]
    probe:
      ports: ["2525:plain"]
      flags: { family: "4" }
      aa: { runId: "run-42" }
  - name: win-01
    address: win-01.corp.example
    os: windows
    transport: winrm
    auth: { passwordEnv: WIN_PASSWORD }
    winrm: { https: true, auth: ntlm, thumbprint: "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd" }
    probe:
      smtpAuth: { user: bot@example.com, passwordEnv: SMTP_PASSWORD }
`;

describe('inventory: loading', () => {
  it('merges defaults into hosts (host wins, tags add up, nested probe settings merge)', async () => {
    const inv = await loadInventory(write('good.yml', GOOD));
    const [a, b, w] = resolveHosts(inv);
    expect(a).toMatchObject({
      name: 'lin-01',
      port: 22,
      user: 'aa-bot',
      auth: { kind: 'key', path: join(dir, 'keys/id_ed25519'), passphrase_env: null },
      ssh: { known_hosts: join(homedir(), 'fleet/known_hosts') },
      tags: ['prod'],
      groups: ['emea'],
      probe: { server: 'smtp.gmail.com', ports: ['587', '465:implicit'], mode: 'auto', timeout: ['connect=3s'], flags: { attempts: 2 } },
    });
    expect(a!.probe.aa).toEqual({ activity: 'Send invoice mail', run_id: null, host: null });
    expect(a!.probe.smtp_auth).toBeNull();
    expect(b).toMatchObject({ port: 2222, user: 'other', auth: { kind: 'agent' }, tags: ['prod', 'paris'], groups: ['emea'] });
    expect(b!.probe.ports).toEqual(['2525:plain']);
    expect(b!.probe.flags).toEqual({ attempts: 2, family: '4' });
    expect(b!.probe.aa).toEqual({ activity: 'Send invoice mail', run_id: 'run-42', host: null });
    expect(w).toMatchObject({ os: 'windows', transport: 'winrm', port: 5986, auth: { kind: 'password', env: 'WIN_PASSWORD' }, groups: [] });
    expect(w!.winrm).toEqual({ https: true, auth: 'ntlm', ca_file: null, thumbprint: 'AABBCCDDEEFF00112233445566778899AABBCCDD' });
    expect(w!.probe.smtp_auth).toEqual({ user: 'bot@example.com', password_env: 'SMTP_PASSWORD' });
    expect(w!.ssh).toBeUndefined();
    expect(inv.groups).toEqual({ emea: ['lin-01', 'lin-02'] });
    expect(inv.tags).toEqual(['paris', 'prod']);
  });

  it('yields hosts that survive a JSON round trip through the job-data schema', async () => {
    const inv = await loadInventory(write('good2.yml', GOOD));
    for (const h of resolveHosts(inv)) expect(ResolvedHostSchema.parse(JSON.parse(JSON.stringify(h)))).toEqual(h);
  });

  it('reads JSON inventories too, and reports their positions', async () => {
    const json = JSON.stringify({ version: 1, hosts: [{ name: 'j1', address: '127.0.0.1', os: 'linux', transport: 'ssh', user: 'u', auth: { agent: true } }] }, null, '\t');
    const inv = await loadInventory(write('inv.json', json));
    expect(inv.hosts[0]!.name).toBe('j1');
    const bad = json.replace('"127.0.0.1"', '"not an address!"');
    await expect(loadInventory(write('bad.json', bad))).rejects.toThrow(/bad\.json:6:\d+: hosts\[0\]\.address: invalid address/);
  });

  it('gives a host without a port of its own defaults.port, the most specific port winning', () => {
    const inv = (defaults: string, hostExtra = '') =>
      parseInventory(`version: 1\ndefaults:\n  os: linux\n  transport: ssh\n  user: u\n  auth: { agent: true }\n${defaults}hosts:\n  - { name: a, address: 10.0.0.1${hostExtra} }\n`, 'inventory.yml').hosts[0]!.port;
    expect(inv('  port: 2200\n')).toBe(2200);
    expect(inv('  port: 2200\n', ', port: 2201')).toBe(2201);
    expect(inv('  port: 2200\n', ', ssh: { port: 2202 }')).toBe(2202);
    expect(inv('  port: 2200\n  ssh: { port: 2203 }\n')).toBe(2200);
    expect(inv('  ssh: { port: 2203 }\n')).toBe(2203);
    expect(inv('')).toBe(22);
  });

  it('takes probe flags directly under probe: as well as under probe.flags, the direct ones winning', () => {
    const text = `version: 1
defaults:
  os: linux
  transport: ssh
  user: u
  auth: { agent: true }
  probe:
    sni: smtp.gmail.com
    ca: [/etc/ca.pem]
    flags: { attempts: 3, family: "6" }
hosts:
  - name: a
    address: 10.0.0.1
    probe: { family: "4", ehlo-name: bot.example.com, flags: { attempts: 5 } }
`;
    const a = parseInventory(text, 'inventory.yml').hosts[0]!;
    expect(a.probe.flags).toEqual({ sni: 'smtp.gmail.com', ca: ['/etc/ca.pem'], attempts: 5, family: '4', ehlo_name: 'bot.example.com' });
    expect(probeArgsFor(a)).toEqual(expect.arrayContaining(['--sni', 'smtp.gmail.com', '--ca', '/etc/ca.pem', '--attempts', '5', '--family', '4', '--ehlo-name', 'bot.example.com']));
    expect(errorOf(text.replace('sni: smtp.gmail.com', 'out: /tmp'))).toMatch(/^inventory\.yml:8:5: defaults\.probe\.out: probe setting out is not allowed here \(allowed: server, .*sni, /);
    expect(errorOf(text.replace('sni: smtp.gmail.com', 'sni: "bad name!"'))).toMatch(/^inventory\.yml:8:5: defaults\.probe\.sni: /);
    // --provider and --tls-matrix, for the fleet's preset-* and tls-* finding groups.
    const withMatrix = parseInventory(text.replace('sni: smtp.gmail.com', 'provider: gmail\n    tls-matrix: true'), 'inventory.yml').hosts[0]!;
    expect(probeArgsFor(withMatrix)).toEqual(expect.arrayContaining(['--provider', 'gmail', '--tls-matrix']));
    expect(probeArgsFor(withMatrix).filter((x) => x === 'true')).toEqual([]);
    const off = parseInventory(text.replace('sni: smtp.gmail.com', 'tls-matrix: false'), 'inventory.yml').hosts[0]!;
    expect(probeArgsFor(off)).not.toContain('--tls-matrix');
    expect(errorOf(text.replace('sni: smtp.gmail.com', 'provider: nosuch'))).toMatch(/^inventory\.yml:8:5: defaults\.probe\.provider: invalid --provider "nosuch"/);
  });

  it('keys the resolved flags snake_case, one each for the inventory\'s flags, each given to the probe under its own flag name', () => {
    const resolved = Object.keys(ResolvedProbeFlagsSchema.shape);
    expect(resolved.every((k) => /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(k))).toBe(true);
    expect(resolved.map((k) => probeFlagName(k as keyof typeof ResolvedProbeFlagsSchema.shape))).toEqual(Object.keys(ProbeFlagsSchema.shape));
    expect(PROBE_FLAG_NAMES).toContain('ehlo-name');
    expect(probeFlagName('ehlo_name')).toBe('ehlo-name');
    const all = `version: 1
hosts:
  - name: a
    address: 10.0.0.1
    os: linux
    transport: ssh
    user: u
    auth: { agent: true }
    probe: { ehlo-name: bot.example.com, hosts-file: /etc/hosts, auth-max: 2, auth-mech: login, tls-matrix: true, sender-domain: example.com, dkim-selector: google, egress-ip: 203.0.113.7 }
`;
    const h = parseInventory(all, 'inventory.yml').hosts[0]!;
    expect(h.probe.flags).toEqual({ ehlo_name: 'bot.example.com', hosts_file: '/etc/hosts', auth_max: 2, auth_mech: 'login', tls_matrix: true, sender_domain: 'example.com', dkim_selector: 'google', egress_ip: '203.0.113.7' });
    expect(probeArgsFor(h).slice(6)).toEqual(['--ehlo-name', 'bot.example.com', '--hosts-file', '/etc/hosts', '--auth-max', '2', '--auth-mech', 'login', '--tls-matrix', '--sender-domain', 'example.com', '--dkim-selector', 'google', '--egress-ip', '203.0.113.7']);
  });

  it('builds the payload argv from the host settings, without secrets', async () => {
    const [a, b, w] = resolveHosts(await loadInventory(write('good3.yml', GOOD)));
    expect(probeArgsFor(a!)).toEqual(['--host', 'smtp.gmail.com', '--port', '587', '--port', '465:implicit', '--timeout', 'connect=3s', '--attempts', '2']);
    expect(probeArgsFor(b!)).toEqual(['--host', 'smtp.gmail.com', '--port', '2525:plain', '--timeout', 'connect=3s', '--attempts', '2', '--family', '4']);
    expect(probeArgsFor(w!, { authTest: true })).toEqual(
      expect.arrayContaining(['--auth-test', '--user', 'bot@example.com', '--password-env', 'SMTP_PASSWORD']),
    );
    expect(probeArgsFor(w!)).not.toContain('--auth-test');
  });

  it('says when the file cannot be read', async () => {
    await expect(loadInventory(join(dir, 'missing.yml'))).rejects.toThrow(/missing\.yml: cannot read the inventory: ENOENT/);
  });
});

describe('inventory: errors name file:line:col and the field', () => {
  const host = (extra: string) => `version: 1
hosts:
  - name: r1
    address: 10.0.0.1
    os: linux
    transport: ssh
    user: bot
${extra}`;

  it('points at an auth block with two methods', () => {
    expect(errorOf(host('    auth:\n      agent: true\n      key: /k\n'))).toMatch(
      /^inventory\.yml:8:5: hosts\[0\]\.auth: needs exactly one of `key: PATH`.*`agent: true` or `passwordEnv: NAME`$/,
    );
  });

  it('refuses a literal password with a pointer to passwordEnv', () => {
    expect(errorOf(host('    auth:\n      password: hunter2\n'))).toBe(
      'inventory.yml:9:7: hosts[0].auth.password: secrets are never written in the inventory: put the secret in an environment variable and name it with passwordEnv',
    );
    expect(errorOf(host('    auth:\n      key: /k\n      passphrase: x\n'))).toMatch(/^inventory\.yml:10:7: hosts\[0\]\.auth\.passphrase: .*passphraseEnv$/);
    expect(errorOf(`version: 1\ndefaults:\n  winrm:\n    secret: abc\nhosts: []\n`)).toMatch(/^inventory\.yml:4:5: defaults\.winrm\.secret: secrets are never/);
    expect(errorOf(host('    auth:\n      key: |\n        -----BEGIN OPENSSH PRIVATE KEY-----\n        abc\n'))).toBe(
      'inventory.yml:9:7: hosts[0].auth.key: looks like key material: give the path of the key file, never the key itself',
    );
    expect(errorOf(host('    auth:\n      key: "-----BEGIN OPENSSH PRIVATE KEY----- abc"\n'))).toMatch(/hosts\[0\]\.auth\.key: looks like key material/);
    expect(errorOf(host('    auth: { agent: true, passphraseEnv: P }\n'))).toBe('inventory.yml:8:26: hosts[0].auth.passphraseEnv: goes with `key: PATH` only');
    expect(errorOf(host('    auth: {}\n'))).toMatch(/^inventory\.yml:8:5: hosts\[0\]\.auth: needs exactly one of/);
    // The secret itself never appears in the message.
    expect(errorOf(host('    auth:\n      password: hunter2\n'))).not.toContain('hunter2');
  });

  it('refuses a NUL in any setting, naming where', () => {
    expect(errorOf(host('    auth: { agent: true }\n    probe:\n      flags: { ehlo-name: "bot\\0x" }\n'))).toMatch(/^inventory\.yml:\d+:\d+: hosts\[0\]\.probe\.flags\.ehlo-name: holds a NUL character/);
  });

  it('names the field of a wrong value and of an unknown field', () => {
    expect(errorOf(host('    auth: { agent: true }\n    port: 99999\n'))).toMatch(/^inventory\.yml:9:5: hosts\[0\]\.port: Too big/);
    expect(errorOf(host('    auth: { agent: true }\n    colour: blue\n'))).toBe('inventory.yml:9:5: hosts[0].colour: unknown field "colour"');
    expect(errorOf(host('    auth: { agent: true }\n    probe:\n      ports: ["587:tls"]\n'))).toMatch(
      /^inventory\.yml:10:15: hosts\[0\]\.probe\.ports\[0\]: invalid --port mode "tls"/,
    );
    expect(errorOf(host('    auth: { agent: true }\n    probe:\n      flags: { out: /tmp }\n'))).toMatch(
      /^inventory\.yml:10:16: hosts\[0\]\.probe\.flags\.out: probe flag --out is not allowed here \(allowed: attempts, /,
    );
  });

  it('names host names that cannot be file names, and duplicates', () => {
    expect(errorOf(host('    auth: { agent: true }\n').replace('name: r1', 'name: ../etc'))).toMatch(/^inventory\.yml:3:5: hosts\[0\]\.name: must be 1-63/);
    expect(errorOf(host('    auth: { agent: true }\n').replace('name: r1', 'name: CON'))).toMatch(/hosts\[0\]\.name: is not usable as a file name/);
    const two = host('    auth: { agent: true }\n') + '  - { name: R1, address: 10.0.0.2, os: linux, transport: ssh, user: u, auth: { agent: true } }\n';
    expect(errorOf(two)).toBe('inventory.yml:9:7: hosts[1].name: duplicate host name "R1" (hosts[0] has it)');
  });

  it('names a field missing after defaults are merged', () => {
    expect(errorOf(host(''))).toBe('inventory.yml:3:5: hosts[0].auth: is required (set it on the host or in defaults)');
    expect(errorOf('version: 1\nhosts:\n  - name: a\n')).toBe('inventory.yml:3:5: hosts[0].address: is required');
  });

  it('checks transport against os and auth, pointing at defaults when they set it', () => {
    const text = 'version: 1\ndefaults:\n  transport: winrm\n  os: linux\n  user: u\n  auth: { passwordEnv: P }\nhosts:\n  - { name: a, address: 10.0.0.1 }\n';
    expect(errorOf(text)).toBe('inventory.yml:3:3: defaults.transport: winrm reaches windows runners only, and this host has os: linux');
    expect(errorOf(text.replace('os: linux', 'os: windows').replace('{ passwordEnv: P }', '{ agent: true }'))).toMatch(
      /^inventory\.yml:6:3: defaults\.auth: winrm logs in with a password/,
    );
  });

  it('names groups listing unknown hosts with the closest match', () => {
    const text = host('    auth: { agent: true }\n') + 'groups:\n  g1:\n    hosts: [r2x, r1]\n';
    expect(errorOf(text.replace('r2x', 'rl'))).toBe('inventory.yml:11:13: groups.g1.hosts[0]: unknown host "rl" (did you mean "r1"?)');
  });

  it('reports YAML syntax errors and wrong versions with their position', () => {
    expect(errorOf('version: 1\nhosts:\n  - name: a\n   address: [\n')).toMatch(/^inventory\.yml:\d+:\d+: /);
    expect(errorOf('version: 2\nhosts: []\n')).toBe('inventory.yml:1:1: version: must be 1 (the inventory format this version reads)');
    expect(errorOf('- just a list\n')).toMatch(/^inventory\.yml:1:1: expected a mapping/);
    expect(errorOf('version: 1\nversion: 1\nhosts: []\n')).toMatch(/^inventory\.yml:2:1: .*[Uu]nique/);
  });
});

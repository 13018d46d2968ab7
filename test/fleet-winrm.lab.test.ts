// A mixed fleet through the queue: one WinRM runner (the lab endpoint over HTTPS with the lab
// CA and NTLM), one Windows-style SSH runner (a real sshd whose commands run as Windows
// OpenSSH runs them: cmd.exe's 8,191-character limit, then powershell.exe) and one Linux SSH
// runner, swept by a worker process into one report.
// The endpoint's powershell.exe is real PowerShell 7 running the shipped scripts (launcher,
// deploy, upload, download, remove-work); the uploaded win-x64 node.exe runs under wine.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ManifestSchema } from '../packaging/manifest.js';
import { ensureWinePrefix, findWine } from '../packaging/wine.js';
import { connectWinRm } from '../transport/winrm/index.js';
import { connectSsh } from '../transport/ssh.js';
import { CMD_EXE_LIMIT, launcherCommandLine, scriptText } from '../transport/scripts.js';
import { LAB_PASSWORD } from '../lab/fault-servers.js';
import { startWinRmLab, type WinRmLab } from '../lab/winrm-server.js';
import { ensureWindowsExecutables, windowsStyleSshEnv } from '../lab/pwsh.js';
import { startSshd, type LabSshd } from '../lab/sshd.js';
import { tempDir, unzip } from './helpers.js';
import { PAYLOAD, dropPrefix, fleet, fleetEnv, hostResult, redisDump, startRunners, startWorker, stopWorker, summaryOf, type FleetEnv, type Runners } from './fleet/harness.js';

const lab = inject('lab');
const WIN_USER = 'rpa-runner';
const WIN_PASS = 'WinRM-Lab-Pässword-7';

let dir: string;
let runners: Runners;
let ep: WinRmLab;
let winSsh: LabSshd;
let f: FleetEnv;
let worker: ReturnType<typeof startWorker>;

function filesUnder(d: string): string[] {
  return readdirSync(d, { recursive: true, encoding: 'utf8' }).map((p) => join(d, p)).filter((p) => statSync(p).isFile());
}

beforeAll(async () => {
  const wine = findWine();
  if (!wine) throw new Error('wine is required (apt-get install wine64 wine): the WinRM lab runs node.exe under it');
  ensureWinePrefix(wine);
  dir = tempDir('fleet-winrm-');
  runners = await startRunners(dir, 1, 41);
  ensureWindowsExecutables();
  winSsh = await startSshd({ dir, address: '127.0.1.46', authorizedKeys: [runners.key.publicKey], windowsStyle: { env: windowsStyleSshEnv() } });
  writeFileSync(runners.knownHosts, readFileSync(runners.knownHosts, 'utf8') + winSsh.knownHostsLine + '\n');
  ep = await startWinRmLab({
    certPem: readFileSync(join(lab.dir, 'server.crt'), 'utf8'),
    keyPem: readFileSync(join(lab.dir, 'server.key'), 'utf8'),
    users: { [WIN_USER]: WIN_PASS },
    basic: false,
  });
  const [s] = runners.sshd;
  const postfix = { server: '127.0.0.1', ports: [`${lab.postfix.starttlsPort}:starttls`], flags: { ca: [lab.caFile] } };
  const authProbe = { server: lab.faults.host, ports: [`${lab.faults.ports.auth}:starttls`], smtpAuth: { user: 'good@lab.test', passwordEnv: 'FLEET_SMTP_PASSWORD' }, flags: { ca: [lab.caFile] } };
  const win = { address: ep.host, port: ep.port, os: 'windows', transport: 'winrm', user: WIN_USER, auth: { passwordEnv: 'FLEET_WINRM_PASSWORD' }, winrm: { https: true, auth: 'ntlm', caFile: lab.caFile } };
  const inv = join(dir, 'inventory.json');
  const inventory = {
    version: 1,
    defaults: { probe: postfix },
    hosts: [
      { name: 'win1', ...win, tags: ['mixed'] },
      { name: 'winssh1', ...winSshHost(), tags: ['mixed'] },
      { name: 'lin1', address: s!.address, port: s!.port, os: 'linux', transport: 'ssh', user: 'root', auth: { key: runners.key.privateKeyPath }, ssh: { knownHosts: runners.knownHosts }, tags: ['mixed'] },
      // The same two runners, probing the lab's Gmail-like AUTH server with a mail account.
      { name: 'win-auth', ...win, tags: ['auth'], probe: authProbe },
      { name: 'winssh-auth', ...winSshHost(), tags: ['auth'], probe: authProbe },
      { name: 'lin-auth', address: s!.address, port: s!.port, os: 'linux', transport: 'ssh', user: 'root', auth: { key: runners.key.privateKeyPath }, ssh: { knownHosts: runners.knownHosts }, tags: ['auth'], probe: authProbe },
    ],
  };
  writeFileSync(inv, JSON.stringify(inventory, null, 2));
  function winSshHost() {
    return { address: winSsh.address, port: winSsh.port, os: 'windows', transport: 'ssh', user: 'root', auth: { key: runners.key.privateKeyPath }, ssh: { knownHosts: runners.knownHosts } };
  }
  f = fleetEnv(dir, inv);
  // The WinRM password reaches the worker process only; smtp-fleet sweep never sees it.
  worker = startWorker(f, ['--concurrency', '2'], { FLEET_WINRM_PASSWORD: WIN_PASS, FLEET_SMTP_PASSWORD: LAB_PASSWORD });
}, 240_000);

afterAll(async () => {
  if (worker) await stopWorker(worker);
  await ep?.stop();
  await winSsh?.stop();
  await runners?.stop();
  if (f) await dropPrefix(f.redisUrl, f.prefix);
});

describe('mixed fleet: WinRM + SSH runners through BullMQ (WinRM side: real PowerShell 7, node.exe under wine)', () => {
  it('one sweep probes both runners ok into one report; the second hits the WinRM cache (real PowerShell 7, node.exe under wine)', async () => {
    const manifest = ManifestSchema.parse(JSON.parse(readFileSync(join(PAYLOAD, 'manifest.json'), 'utf8')));
    const winRuntime = manifest.artifacts.find((a) => a.role === 'runtime' && a.platform === 'win-x64')!;

    const t0 = Date.now();
    const cold = await fleet(f, ['sweep', '--tag', 'mixed', '--json'], {}, 180_000);
    const coldMs = Date.now() - t0;
    expect(cold.code, cold.stderr + worker.logText().slice(-3000)).toBe(0);
    const s = summaryOf(cold);
    expect(s.counts).toMatchObject({ selected: 3, probed: 3, ok: 3, unreachable: 0, failed: 0, pending: 0 });
    expect(s.hosts.map((h) => `${h.name}:${h.outcome}`).sort()).toEqual(['lin1:ok', 'win1:ok', 'winssh1:ok']);
    expect(hostResult(f, s.sweep.id, 'winssh1')).toMatchObject({ status: 'probed', transport: 'ssh' });
    const win = hostResult(f, s.sweep.id, 'win1');
    expect(win).toMatchObject({ status: 'probed', transport: 'winrm' });
    if (win.status === 'probed') {
      expect(win.transport_stats.cache_hit).toBe(false);
      // Sent gzip-compressed: well under half of node.exe's bytes.
      expect(win.transport_stats.uploaded_bytes).toBeGreaterThan(winRuntime.bytes / 4);
      expect(win.transport_stats.uploaded_bytes).toBeLessThan(winRuntime.bytes / 2);
    }
    expect(hostResult(f, s.sweep.id, 'lin1')).toMatchObject({ status: 'probed', transport: 'ssh' });
    // One report for the sweep, naming both runners; the WinRM ZIP came from node.exe on "Windows".
    const sweepDir = join(f.store, 'sweeps', s.sweep.id);
    const report = readFileSync(join(sweepDir, 'fleet_report.md'), 'utf8');
    expect(report).toContain('win1');
    expect(report).toContain('lin1');
    for (const h of ['win1', 'winssh1']) {
      const zip = await unzip(join(sweepDir, 'hosts', h, 'result.zip'));
      const env = [...zip].find(([name]) => name.endsWith('env_snapshot.json'));
      expect(JSON.parse(env![1].toString('utf8')).os.platform, h).toBe('win32');
    }
    // The endpoint's %LOCALAPPDATA% cache holds both artifacts, and no work folder is left.
    for (const root of [ep.localAppData, join(winSsh.dir, 'AppData', 'Local')]) {
      const cache = join(root, 'smtp-probe');
      expect(readdirSync(cache).sort()).toEqual(expect.arrayContaining([winRuntime.sha256, 'work']));
      expect(readdirSync(join(cache, 'work'))).toEqual([]);
      // Unpacked and renamed into place: no .gz or temporary file left beside it.
      expect(readdirSync(join(cache, winRuntime.sha256)).sort()).toEqual(['.node.exe.lock', '.node.exe.verified', '.used', 'node.exe']);
    }

    const t1 = Date.now();
    const warm = await fleet(f, ['sweep', '--tag', 'mixed', '--json'], {}, 180_000);
    const warmMs = Date.now() - t1;
    expect(warm.code, warm.stderr).toBe(0);
    const w = summaryOf(warm);
    expect(w.counts).toMatchObject({ selected: 3, ok: 3 });
    for (const h of ['win1', 'winssh1', 'lin1']) {
      const r = hostResult(f, w.sweep.id, h);
      expect(r.status === 'probed' && r.transport_stats, h).toEqual({ uploaded_bytes: 0, cache_hit: true });
    }

    // A cached bundle changed on the runner (same size, newer than its stamp) is noticed by
    // its hash and sent again, on both Windows paths.
    const bundle = manifest.artifacts.find((a) => a.role === 'bundle')!;
    for (const root of [ep.localAppData, join(winSsh.dir, 'AppData', 'Local')]) {
      const cached = join(root, 'smtp-probe', bundle.sha256, bundle.name);
      writeFileSync(cached, Buffer.alloc(bundle.bytes, 0x20));
    }
    const again = await fleet(f, ['sweep', '--tag', 'mixed', '--json'], {}, 180_000);
    expect(again.code, again.stderr + worker.logText().slice(-3000)).toBe(0);
    const a = summaryOf(again);
    expect(a.counts).toMatchObject({ selected: 3, ok: 3 });
    for (const h of ['win1', 'winssh1']) {
      const r = hostResult(f, a.sweep.id, h);
      expect(r.status === 'probed' && r.transport_stats.cache_hit, h).toBe(false);
      // The bundle alone, gzip-compressed.
      expect(r.status === 'probed' && r.transport_stats.uploaded_bytes, h).toBeGreaterThan(0);
      expect(r.status === 'probed' && r.transport_stats.uploaded_bytes, h).toBeLessThan(bundle.bytes / 2);
    }
    console.log(`mixed sweep: cold ${coldMs} ms, warm ${warmMs} ms; WinRM endpoint ${ep.stats.requests} HTTP requests, ${ep.stats.commands} commands`);
  }, 400_000);

  it('--auth-test logs in from every runner, the password going worker -> stdin -> probe (real PowerShell 7, node.exe under wine)', async () => {
    const r = await fleet(f, ['sweep', '--tag', 'auth', '--auth-test', '--json'], {}, 180_000);
    expect(r.code, r.stderr + worker.logText().slice(-3000)).toBe(0);
    const s = summaryOf(r);
    expect(s.hosts.map((h) => `${h.name}:${h.hint_id}`).sort()).toEqual(['lin-auth:ok-auth', 'win-auth:ok-auth', 'winssh-auth:ok-auth']);
    for (const file of [...filesUnder(f.store), ...filesUnder(ep.localAppData), ...filesUnder(winSsh.dir)]) expect(readFileSync(file).includes(LAB_PASSWORD), file).toBe(false);
    expect(await redisDump(f.redisUrl, f.prefix)).not.toContain(LAB_PASSWORD);
  }, 240_000);

  it('no password in the store, the runner cache or Redis; the job names only the variable', async () => {
    const dump = await redisDump(f.redisUrl, f.prefix);
    expect(dump).toContain('FLEET_WINRM_PASSWORD'); // the job data is there...
    expect(dump).not.toContain(WIN_PASS); // ...and holds no password
    for (const file of [...filesUnder(f.store), ...filesUnder(ep.localAppData)]) expect(readFileSync(file).includes(WIN_PASS), file).toBe(false);
  });
});

describe('the Windows-style SSH host holds commands to cmd.exe limit (real PowerShell 7)', () => {
  it('refuses a line over 8,191 characters, as the old encoded deploy script was; the launcher fits', async () => {
    // Connected as a linux runner so the test can send raw command lines of its own choosing.
    const raw = await connectSsh({ address: winSsh.address, port: winSsh.port, username: 'root', os: 'linux', auth: { kind: 'key', privateKeyPath: runners.key.privateKeyPath }, knownHostsPath: runners.knownHosts, acceptNew: false, connectTimeoutMs: 10_000 });
    try {
      const encodedDeploy = `powershell.exe -NoProfile -NonInteractive -EncodedCommand ${Buffer.from(scriptText('deploy.ps1'), 'utf16le').toString('base64')}`;
      expect(encodedDeploy.length).toBeGreaterThan(CMD_EXE_LIMIT);
      const refused = await raw.exec(encodedDeploy, { timeoutMs: 20_000 });
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain('The command line is too long.');
      const launcher = await raw.exec(launcherCommandLine(), { timeoutMs: 20_000, stdin: '\n' });
      // The launcher started and, given an empty first line instead of a call, said so in one line.
      expect(launcher.exitCode).toBe(1);
      expect(launcher.stderr).toContain('launcher: the first stdin line is not a script call');
    } finally {
      await raw.close();
    }
  }, 60_000);
});

describe('WinRM stdin behind the launcher (real PowerShell 7)', () => {
  it('a script past the command-line limit still gets the caller stdin (how the deploy script takes a password)', async () => {
    const long = `# ${'padding '.repeat(1200)}\n$a = [Console]::In.ReadLine()\n$b = [Console]::In.ReadLine()\n[Console]::Out.Write("$a\`n$b\`n")`;
    const e2 = await startWinRmLab({ certPem: readFileSync(join(lab.dir, 'server.crt'), 'utf8'), keyPem: readFileSync(join(lab.dir, 'server.key'), 'utf8'), users: { [WIN_USER]: WIN_PASS } });
    const t = await connectWinRm({ address: e2.host, port: e2.port, https: true, username: WIN_USER, password: WIN_PASS, auth: 'ntlm', caFile: lab.caFile });
    try {
      const before = e2.stats.commands;
      const r = await t.exec(long, { timeoutMs: 10_000, stdin: 'sëcret line\nrest\n' });
      expect(r).toMatchObject({ exitCode: 0, stdout: 'sëcret line\nrest\n' });
      expect(e2.stats.commands - before).toBe(1);
    } finally {
      await t.close();
      await e2.stop();
    }
  });
});

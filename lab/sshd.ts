// Real OpenSSH sshd instances from Debian for the fleet tests and the bench: each on its own
// loopback address with its own host key, config and per-instance cache folder (so every
// instance looks like a separate runner even though they share this machine's root user).
// sshd must start as root; the lab runs as root in CI.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitForPort } from './index.js';
import { stopChild } from './stop-child.js';
import { freePort } from './ports.js';

const SSHD = '/usr/sbin/sshd';
// Beside this module in the source tree; the compiled bench (build/dev/lab) uses the source's.
const CMD_SHIM = [new URL('./cmd-shim.mjs', import.meta.url), new URL('../../../lab/cmd-shim.mjs', import.meta.url)].map((u) => fileURLToPath(u)).find((p) => existsSync(p))!;

/** SetEnv entries of a Windows-style host: its own %LOCALAPPDATA% under the instance folder. */
function windowsEnv(opts: StartSshdOptions, dir: string): string {
  if (!opts.windowsStyle) return '';
  const env = { ...opts.windowsStyle.env, LOCALAPPDATA: join(dir, 'AppData', 'Local') };
  mkdirSync(env.LOCALAPPDATA, { recursive: true });
  return Object.entries(env)
    .map(([k, v]) => ` ${k}=${v}`)
    .join('');
}
const run = promisify(execFile);

export interface LabSshd {
  address: string;
  port: number;
  /** `ssh-ed25519 AAAA...` of this instance's host key. */
  hostKeyPub: string;
  /** The known_hosts line ssh(1) would write for it. */
  knownHostsLine: string;
  /** Its own folder; XDG_CACHE_HOME of its sessions points at `<dir>/cache`. */
  dir: string;
  /** The listener's pid (each connection is served by a child of it). */
  pid: number;
  stop(): Promise<void>;
  kill(): void;
}

export interface StartSshdOptions {
  /** A folder of the test's; the instance makes a subfolder in it. */
  dir: string;
  address: string;
  port?: number;
  /** Public key lines allowed to log in (as any user; the lab logs in as root). */
  authorizedKeys: string[];
  /** Reuse this host key (private key path) instead of generating one: the bench only, never host-key tests. */
  hostKeyPath?: string;
  /**
   * Run every command the way Windows OpenSSH does (lab/cmd-shim.mjs: cmd.exe's length
   * limit, powershell.exe as real PowerShell 7), with this folder as %LOCALAPPDATA%.
   */
  windowsStyle?: { env: Record<string, string> };
}

export function sshdAvailable(): boolean {
  return existsSync(SSHD) && process.getuid?.() === 0;
}

export function makeKeyPair(dir: string, name: string): { privateKeyPath: string; publicKey: string } {
  mkdirSync(dir, { recursive: true });
  const privateKeyPath = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', privateKeyPath], { stdio: 'ignore' });
  return { privateKeyPath, publicKey: readFileSync(`${privateKeyPath}.pub`, 'utf8').trim() };
}

export async function startSshd(opts: StartSshdOptions): Promise<LabSshd> {
  if (!sshdAvailable()) throw new Error('lab: OpenSSH sshd is required (apt-get install openssh-server) and must be started as root');
  const port = opts.port ?? (await freePort([opts.address]));
  const dir = join(opts.dir, `sshd-${opts.address}-${port}`);
  mkdirSync(join(dir, 'cache'), { recursive: true });
  // Privilege separation needs this folder; Debian creates it only when its service starts.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  let hostKey = opts.hostKeyPath;
  if (!hostKey) {
    hostKey = join(dir, 'host_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `lab-${opts.address}`, '-f', hostKey]);
  }
  const hostKeyPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  writeFileSync(join(dir, 'authorized_keys'), opts.authorizedKeys.join('\n') + '\n', { mode: 0o600 });
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress ${opts.address}:${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UseDNS no',
      'PrintMotd no',
      'PrintLastLog no',
      'MaxStartups 200',
      'Subsystem sftp internal-sftp',
      // SHLVL=1: Debian's bash sources ~/.bashrc for commands run by sshd unless it is nested;
      // this machine's root .bashrc (pyenv init) would add ~150 ms to every command, a cost of
      // the lab box and not of the fleet, so the lab's sessions skip it.
      `SetEnv XDG_CACHE_HOME=${join(dir, 'cache')} SHLVL=1${windowsEnv(opts, dir)}`,
      ...(opts.windowsStyle ? [`ForceCommand ${process.execPath} ${CMD_SHIM}`] : []),
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  const log = join(dir, 'sshd.log');
  // -D: stays our child, so stop() and kill() reach it without a pid file race.
  const child: ChildProcess = spawn(SSHD, ['-D', '-f', config, '-E', log], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const early = exited.then(() => {
    const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' | ') : '(no log)';
    throw new Error(`lab: sshd on ${opts.address}:${port} exited at start: ${tail}`);
  });
  await Promise.race([waitForPort(opts.address, port), early]);
  early.catch(() => {});
  return {
    address: opts.address,
    port,
    hostKeyPub,
    knownHostsLine: `[${opts.address}]:${port} ${hostKeyPub}`,
    dir,
    pid: child.pid!,
    stop: () => stopChild(child),
    kill() {
      child.kill('SIGKILL');
    },
  };
}

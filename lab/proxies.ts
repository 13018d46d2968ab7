// Real proxies for the proxy tests and the bench, each from Debian, each its own instance
// with its own config in a temp folder on loopback ports: squid (HTTP CONNECT, with an
// open port, a Basic-auth port and a CONNECT deny rule) and dante (SOCKS5, with or
// without username auth against system users).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForPort } from './index.js';
import { freePort } from './ports.js';

export const SQUID = '/usr/sbin/squid';
export const DANTED = '/usr/sbin/danted';
const NCSA = ['/usr/lib/squid/basic_ncsa_auth', '/usr/lib/squid3/basic_ncsa_auth'].find(existsSync) ?? '/usr/lib/squid/basic_ncsa_auth';

export function proxiesAvailable(): boolean {
  return existsSync(SQUID) && existsSync(DANTED) && existsSync('/usr/bin/tinyproxy') && process.getuid?.() === 0;
}

export interface RunningProxy {
  host: string;
  stop(): void;
  log(): string;
}

export interface LabSquid extends RunningProxy {
  /** CONNECT anywhere but the denied port, no auth. */
  openPort: number;
  /** CONNECT with Basic auth (user / password below). */
  authPort: number;
  user: string;
  password: string;
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * squid with two ports: `open` allows CONNECT to every port but `deniedPort` (403),
 * `auth` wants Basic credentials (407 without or with wrong ones). `hosts` lines are
 * squid's own view of names (its hosts_file), so it can resolve what this machine cannot.
 */
export async function startSquid(opts: { deniedPort: number; hosts?: string }): Promise<LabSquid> {
  // Its own folder right under /tmp: squid drops to the `proxy` user, which must reach its
  // files, and the lab's folders are private to root.
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-squid-'));
  chmodSync(dir, 0o777);
  const [openPort, authPort] = [await freePort(['127.0.0.1']), await freePort(['127.0.0.1'])];
  const user = 'botsvc';
  const password = 'Sq-lab-' + Math.random().toString(36).slice(2, 10);
  const hash = execFileSync('openssl', ['passwd', '-apr1', password]).toString().trim();
  writeFileSync(join(dir, 'passwd'), `${user}:${hash}\n`, { mode: 0o644 });
  writeFileSync(join(dir, 'hosts'), `127.0.0.1 localhost\n${opts.hosts ?? ''}\n`, { mode: 0o644 });
  const conf = [
    `http_port 127.0.0.1:${openPort} name=open`,
    `http_port 127.0.0.1:${authPort} name=auth`,
    `pid_filename ${join(dir, 'squid.pid')}`,
    `cache_log ${join(dir, 'cache.log')}`,
    `access_log stdio:${join(dir, 'access.log')}`,
    `hosts_file ${join(dir, 'hosts')}`,
    'dns_nameservers 127.0.0.1',
    'cache deny all',
    'cache_mem 8 MB',
    'shutdown_lifetime 0 seconds',
    'visible_hostname squid.lab.test',
    'connect_timeout 3 seconds',
    `auth_param basic program ${NCSA} ${join(dir, 'passwd')}`,
    'auth_param basic realm smtp-probe lab',
    'acl open_port myportname open',
    'acl auth_port myportname auth',
    'acl authed proxy_auth REQUIRED',
    `acl denied_port port ${opts.deniedPort}`,
    'acl CONNECT method CONNECT',
    'http_access deny CONNECT denied_port',
    'http_access allow open_port',
    'http_access allow auth_port authed',
    'http_access deny all',
  ].join('\n');
  writeFileSync(join(dir, 'squid.conf'), conf + '\n', { mode: 0o644 });
  const child = spawn(SQUID, ['-N', '-f', join(dir, 'squid.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  try {
    await waitForPort('127.0.0.1', openPort, 15_000);
    await waitForPort('127.0.0.1', authPort, 15_000);
  } catch (e) {
    kill(child);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`lab: squid did not start: ${(e as Error).message}\n${err}`);
  }
  const stop = () => {
    kill(child);
    rmSync(dir, { recursive: true, force: true });
  };
  return { host: '127.0.0.1', openPort, authPort, user, password, stop, log: () => readOr(join(dir, 'access.log')) };
}

export interface LabDante extends RunningProxy {
  port: number;
}

/**
 * danted on one loopback port; `method` none or username (system users: see
 * addSystemUser). SOCKS requests to `blockedPort` get reply 0x02 (not allowed by ruleset).
 */
export async function startDante(dir: string, opts: { method: 'none' | 'username'; blockedPort: number }): Promise<LabDante> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort(['127.0.0.1']);
  const conf = [
    `logoutput: ${join(dir, 'danted.log')}`,
    `internal: 127.0.0.1 port = ${port}`,
    'external: 127.0.0.1',
    'clientmethod: none',
    `socksmethod: ${opts.method}`,
    'user.privileged: root',
    'user.unprivileged: nobody',
    'client pass {\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n}',
    `socks block {\n  from: 0.0.0.0/0 to: 0.0.0.0/0 port = ${opts.blockedPort}\n  log: error\n}`,
    'socks pass {\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n  command: connect\n  log: error\n}',
  ].join('\n');
  writeFileSync(join(dir, 'danted.conf'), conf + '\n');
  const child = spawn(DANTED, ['-f', join(dir, 'danted.conf'), '-p', join(dir, 'danted.pid'), '-N', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  try {
    await waitForPort('127.0.0.1', port, 15_000);
  } catch (e) {
    kill(child);
    throw new Error(`lab: danted did not start: ${(e as Error).message}\n${err}${readOr(join(dir, 'danted.log'))}`);
  }
  return { host: '127.0.0.1', port, stop: () => kill(child), log: () => readOr(join(dir, 'danted.log')) };
}

/** A throwaway system user for dante's username method (it checks the system password database). */
export function addSystemUser(name: string, password: string): () => void {
  try {
    execFileSync('userdel', [name], { stdio: 'ignore' });
  } catch {
    /* not there: fine */
  }
  execFileSync('useradd', ['-M', '-N', '-s', '/usr/sbin/nologin', name]);
  execFileSync('chpasswd', [], { input: `${name}:${password}\n` });
  return () => {
    try {
      execFileSync('userdel', [name], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  };
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export const TINYPROXY = '/usr/bin/tinyproxy';

export interface LabTinyproxy extends RunningProxy {
  port: number;
}

/** tinyproxy, no auth, CONNECT to any port (no ConnectPort line means every port). */
export async function startTinyproxy(): Promise<LabTinyproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-tinyproxy-'));
  chmodSync(dir, 0o777); // it drops to nobody for its log
  const port = await freePort(['127.0.0.1']);
  const conf = [`Port ${port}`, 'Listen 127.0.0.1', 'Timeout 30', 'MaxClients 20', 'Allow 127.0.0.1', 'User nobody', 'Group nogroup', `LogFile "${join(dir, 'tinyproxy.log')}"`, 'LogLevel Info', 'DisableViaHeader No'].join('\n');
  writeFileSync(join(dir, 'tinyproxy.conf'), conf + '\n', { mode: 0o644 });
  const child = spawn(TINYPROXY, ['-d', '-c', join(dir, 'tinyproxy.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const stop = () => {
    kill(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort('127.0.0.1', port, 15_000);
  } catch (e) {
    stop();
    throw new Error(`lab: tinyproxy did not start: ${(e as Error).message}\n${err}`);
  }
  return { host: '127.0.0.1', port, stop, log: () => readOr(join(dir, 'tinyproxy.log')) };
}

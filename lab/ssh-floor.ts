// The floor a fleet sweep is judged against: a bare `ssh host true` with the OpenSSH client
// to every host at once. Nothing the sweep does per host can be cheaper than this login.
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';

/** Wall time in ms of `ssh host true` to all hosts in parallel; throws if any of them fails. */
export async function sshFloor(
  hosts: { address: string; port: number }[],
  keyPath: string,
  knownHostsPath: string,
  user: string = userInfo().username,
): Promise<number> {
  const started = process.hrtime.bigint();
  await Promise.all(hosts.map((h) => sshTrue(h, keyPath, knownHostsPath, user)));
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function sshTrue(h: { address: string; port: number }, keyPath: string, knownHostsPath: string, user: string): Promise<void> {
  const args = [
    '-F', '/dev/null', // no user or system config may change what is measured
    '-i', keyPath,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${knownHostsPath}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'ControlMaster=no',
    '-o', 'ControlPath=none',
    '-o', 'ConnectTimeout=10',
    '-o', 'LogLevel=ERROR',
    '-p', String(h.port),
    `${user}@${h.address}`,
    'true',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ssh ${h.address}:${h.port} true failed (exit ${code}): ${err.trim().split('\n').pop() ?? ''}`))));
  });
}

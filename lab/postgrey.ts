// A real Postgrey from Debian as a Postfix policy service on loopback: its own database
// folder and pid file, a short --delay so a test can wait it out, and optionally its
// --greylist-text (%s = the seconds left, how sites make the reply name the delay).
// Started as root, it drops to the postgrey user (Net::Server's default), so the database
// folder lives under /tmp and belongs to that user.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForPort } from './index.js';
import { freePort } from './ports.js';
import { stopChild } from './stop-child.js';

export interface LabPostgrey {
  /** For smtpd_recipient_restrictions: check_policy_service inet:<policy>. */
  policy: string;
  log(): string;
  stop(): Promise<void>;
}

export function postgreyAvailable(): boolean {
  return existsSync('/usr/sbin/postgrey') && process.getuid?.() === 0;
}

export async function startPostgrey(opts: { delayS: number; text?: string }): Promise<LabPostgrey> {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-postgrey-'));
  const uid = Number(execFileSync('id', ['-u', 'postgrey']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgrey']).toString().trim());
  chownSync(dir, uid, gid);
  const port = await freePort(['127.0.0.1']);
  const args = [`--inet=127.0.0.1:${port}`, `--delay=${opts.delayS}`, `--dbdir=${dir}`, `--pidfile=${join(dir, 'postgrey.pid')}`, ...(opts.text ? [`--greylist-text=${opts.text}`] : [])];
  const child: ChildProcess = spawn('/usr/sbin/postgrey', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (c: Buffer) => (out = (out + c.toString()).slice(-8192));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const stop = () =>
    stopChild(child).then(() => rmSync(dir, { recursive: true, force: true }));
  try {
    await waitForPort('127.0.0.1', port, 15_000);
  } catch (err) {
    await stop();
    throw new Error(`postgrey did not start: ${(err as Error).message}\n${out}`);
  }
  return { policy: `inet:127.0.0.1:${port}`, log: () => out, stop };
}

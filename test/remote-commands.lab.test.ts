// The remote command builders: the Linux deploy script run by a real sh with hostile values,
// job ids made safe as folder names, the probe's settings as one base64 argument, Windows
// paths, and every Windows command line the project builds held under cmd.exe's limit.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandArgsB64 } from '../payload/util/args-b64.js';
import { deployCommand, encodeProbeArgs, remoteJoin, removeWorkCommand, sftpPath, workFolderName, type RunSpec } from '../transport/remote-commands.js';
import { CMD_EXE_LIMIT, launcherCommandLine, quoteSh } from '../transport/scripts.js';
import { ROOT } from './helpers.js';

const file = (name: string) => ({ sha256: 'a'.repeat(64), name, bytes: 1, fresh: false });
const spec = (probeArgs: string[] = []): RunSpec => ({ jobId: 'j', runtime: file('node'), bundle: file('b.cjs'), loader: file('l.cjs'), probeArgs });

// Values that break naive quoting in sh, cmd.exe or Windows PowerShell 5.1's native arguments.
const HOSTILE = [
  `x y" --zip-to "C:\\p`,
  `it's`,
  `\u2018typographic\u2019 \u201cquotes\u201d`,
  `back\\\\"slash`,
  `trailing\\`,
  `--out`,
  `-password-env=AWS_SECRET_ACCESS_KEY`,
  `line\nbreak\r\nand more`,
  `$(touch /tmp/pwned)`,
  '`id`',
  `%PATH%`,
  `a^&b|c<d>e`,
  `'; reboot; '`,
  '',
  ' ',
];

describe('remote commands', () => {
  it('quotes for sh so that any value comes back as one unchanged word', () => {
    for (const v of HOSTILE) expect(execFileSync('/bin/sh', ['-c', `printf '%s' ${quoteSh(v)}`]).toString()).toBe(v);
  });

  it('keeps safe job ids as they are and makes the others safe and distinct', () => {
    expect(workFolderName('job-1.retry_2')).toBe('job-1.retry_2');
    const a = workFolderName('sweep:1:host/a');
    const b = workFolderName('sweep:1:host_a');
    expect(a).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(b).toBe('sweep_1_host_a-' + b.split('-').pop());
    expect(a).not.toBe(b);
    expect(workFolderName('..')).not.toMatch(/^\.\.?$/);
  });

  it('refuses artifact names and hashes that could escape their folder', () => {
    const bad = (name: string, sha = 'a'.repeat(64)) => ({ ...spec(), runtime: { ...file(name), sha256: sha } });
    expect(() => deployCommand('linux', bad('../node'))).toThrow(/plain file name/);
    expect(() => deployCommand('windows', bad('node', 'A'.repeat(64)))).toThrow(/sha256/);
  });

  it('hostile probe settings reach the probe as the same arguments, through one base64 value', () => {
    const args = ['--ehlo-name', ...HOSTILE];
    const b64 = encodeProbeArgs(args);
    expect(b64).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(expandArgsB64(['node', 'cli', 'probe', '--quiet', '--args-b64', b64])).toEqual(['node', 'cli', 'probe', '--quiet', ...args]);
    expect(expandArgsB64(['probe', `--args-b64=${b64}`])).toEqual(['probe', ...args]);
    const win = deployCommand('windows', spec(args));
    expect(typeof win === 'string' ? '' : win.params.ArgsB64).toBe(b64);
  });

  it('--args-b64 refuses what is not a bounded array of strings, NUL included, in one line', () => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
    for (const [value, why] of [
      ['not base64!', /not base64/],
      [Buffer.from('{').toString('base64'), /not JSON/],
      [enc({ a: 1 }), /array/i],
      [enc([1]), /string/i],
      [enc(['a\0b']), /NUL/],
      [enc(Array(600).fill('x')), /512|too big|at most/i],
    ] as const) {
      expect(() => expandArgsB64(['probe', '--args-b64', value])).toThrow(why);
    }
    expect(() => expandArgsB64(['probe', '--args-b64'])).toThrow(/needs a value/);
  });

  it('the Linux deploy script, run by sh, reports its cache and misses; hostile values stay inert', () => {
    const home = mkdtempSync(join(tmpdir(), 'deploy-sh-'));
    const command = deployCommand('linux', { ...spec(['--ehlo-name', ...HOSTILE]), jobId: 'job:1/x' }) as string;
    const r = spawnSync('/bin/sh', ['-c', command], { env: { PATH: process.env.PATH, HOME: home, SHELLOPTS: 'xtrace' }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    // The cache root, what is missing, and that this runner can take the files compressed (deploy.sh).
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([`@smtp-probe-deploy root ${home}/.cache/smtp-probe`, '@smtp-probe-deploy miss runtime', '@smtp-probe-deploy miss bundle', '@smtp-probe-deploy miss loader', '@smtp-probe-deploy gzip']);
    // With tracing forced on from the environment, the script turns it off before any value.
    expect(r.stderr).not.toMatch(/args-b64|ehlo-name|deploy/);
    expect(readdirSync(home)).toEqual([]); // a miss creates nothing
    const rm = spawnSync('/bin/sh', ['-c', removeWorkCommand('linux', 'job:1/x') as string], { env: { PATH: process.env.PATH, HOME: home } });
    expect(rm.status).toBe(0);
  });

  it('every Windows command line stays under cmd.exe 8,191 characters, whatever the settings', () => {
    const huge = Array.from({ length: 500 }, (_, i) => `--ehlo-name=${'x'.repeat(8000)}${i}`);
    const calls = [deployCommand('windows', spec(huge)), deployCommand('windows', { ...spec(huge), command: 'diagnose', passwordStdin: true }), removeWorkCommand('windows', 'j'.repeat(80))];
    for (const call of calls) expect(typeof call).toBe('object');
    // The command line does not depend on the call at all: it is always the launcher.
    expect(launcherCommandLine().length).toBeLessThan(CMD_EXE_LIMIT);
  });

  it('maps Windows paths for SFTP and joins remote paths', () => {
    expect(sftpPath('windows', 'C:\\Users\\rpa\\AppData\\Local\\smtp-probe\\x.zip')).toBe('/C:/Users/rpa/AppData/Local/smtp-probe/x.zip');
    expect(sftpPath('linux', '/root/.cache/x')).toBe('/root/.cache/x');
    expect(remoteJoin('windows', 'C:\\Users\\rpa\\', 'work', 'j')).toBe('C:\\Users\\rpa\\work\\j');
    expect(remoteJoin('linux', '/root/.cache/smtp-probe/', 'work')).toBe('/root/.cache/smtp-probe/work');
  });

  it('no remote script lives in TypeScript: each is a file with a header naming what it does, its parameters and exit codes', () => {
    const dir = join(ROOT, 'transport/scripts');
    const files = readdirSync(dir);
    expect(files.sort()).toEqual(['append-chunk.ps1', 'deploy.ps1', 'deploy.sh', 'download.ps1', 'launcher.ps1', 'remove-work.ps1', 'remove-work.sh', 'upload.ps1']);
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(text, f).toMatch(/^# smtp-probe\/[a-z-]+ v\d/);
      expect(text, f).toMatch(/^# What: /m);
      expect(text, f).toMatch(/^# (Parameters|Input)/m);
      expect(text, f).toMatch(/^# Exit codes: /m);
      if (f.endsWith('.ps1') && f !== 'launcher.ps1') expect(text, f).toMatch(/^param\(/m);
    }
    for (const d of ['transport', 'controller', 'queue', 'payload']) {
      const ts = readdirSync(join(ROOT, d), { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.ts'));
      for (const p of ts) expect(readFileSync(join(ROOT, d, p), 'utf8'), p).not.toMatch(/\$ErrorActionPreference|\[Console\]::|sha256sum <|Get-WinEvent -FilterHashtable/);
    }
  });
});

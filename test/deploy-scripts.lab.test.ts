// The two deploy scripts as shipped, run for real (deploy.ps1 by PowerShell 7 through the
// launcher, deploy.sh by sh) against a cache whose "runtime" is a tiny recording sh program
// that records the argv and stdin it was given. What the probe would receive is then
// checked byte for byte: hostile inventory values stay inside the one --args-b64 value, and
// the password arrives on stdin only.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deployCommand, type RunSpec } from '../transport/remote-commands.js';
import { launcherArguments, launcherInput } from '../transport/scripts.js';
import { tempDir } from './helpers.js';
import { requirePwsh } from '../lab/pwsh.js';

const HOSTILE = [
  '--ehlo-name',
  `x y" --zip-to "C:\\p`,
  `\u2018it\u2019s\u201d`,
  `back\\\\"slash\\`,
  `--password-env=AWS_SECRET_ACCESS_KEY`,
  `two\nlines`,
  `$(touch pwned)`,
  '`whoami`',
  '%COMSPEC%',
  '',
];
const PASSWORD = 'pä$$ "w0rd" `x`';

const RECORDER = `#!/bin/sh
for a in "$@"; do printf '%s\\0' "$a"; done >"$REC_DIR/argv"
cat >"$REC_DIR/stdin"
exit 10
`;

function cacheWith(root: string): RunSpec {
  const put = (name: string, data: string) => {
    const sha256 = createHash('sha256').update(data).digest('hex');
    mkdirSync(join(root, sha256), { recursive: true });
    writeFileSync(join(root, sha256, name), data);
    chmodSync(join(root, sha256, name), 0o755);
    return { sha256, name, bytes: Buffer.byteLength(data), fresh: false };
  };
  return { jobId: 'sweep:1:host/a', runtime: put('node', RECORDER), bundle: put('smtp-probe.cjs', '// bundle'), loader: put('smtp-probe-loader.cjs', '// loader'), probeArgs: HOSTILE, passwordStdin: true };
}

function run(argv: string[], env: NodeJS.ProcessEnv, input: Buffer[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    for (const b of input) p.stdin.write(b);
    // Left open, as SSH leaves it: the Linux script reads its end as "stop".
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    setTimeout(() => p.stdin.end(), 15_000).unref();
  });
}

function recorded(rec: string): { argv: string[]; stdin: string } {
  const argv = readFileSync(join(rec, 'argv'), 'utf8').split('\0').slice(0, -1);
  return { argv, stdin: readFileSync(join(rec, 'stdin'), 'utf8') };
}

function expectProbeArgv(argv: string[], work: string): void {
  // The runtime starts the loader with the bundle first, then the command.
  expect(argv[0]).toMatch(/[\\/]smtp-probe-loader\.cjs$/);
  expect(argv[1]).toMatch(/[\\/]smtp-probe\.cjs$/);
  argv = argv.slice(1);
  expect(argv.slice(1, 8)).toEqual(['probe', '--out', join(work, 'out'), '--zip-to', join(work, 'result.zip'), '--quiet', '--args-b64']);
  expect(argv).toHaveLength(9);
  expect(JSON.parse(Buffer.from(argv[8]!, 'base64').toString('utf8'))).toEqual(HOSTILE);
}

describe('deploy scripts pass hostile settings and the password through unchanged', () => {
  it('deploy.ps1 under real PowerShell 7, started by the launcher', async () => {
    const home = tempDir('deploy-ps1-');
    const rec = tempDir('deploy-rec-');
    const local = join(home, 'AppData', 'Local');
    const spec = cacheWith(join(local, 'smtp-probe'));
    const call = deployCommand('windows', spec);
    if (typeof call === 'string') throw new Error('expected a script call');
    const env = { PATH: process.env.PATH, HOME: home, LOCALAPPDATA: local, REC_DIR: rec, POWERSHELL_TELEMETRY_OPTOUT: '1' };
    const r = await run([requirePwsh(), ...launcherArguments().split(' ')], env, [launcherInput(call), Buffer.from(PASSWORD + '\n')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(10);
    expect(r.stdout).toContain('@smtp-probe-deploy cached');
    expect(r.stdout).toContain('@smtp-probe-deploy exit 10');
    const got = recorded(rec);
    expectProbeArgv(got.argv.slice(0, -1), join(local, 'smtp-probe', 'work', call.params.Job as string));
    expect(got.argv.at(-1)).toBe('--password-stdin');
    expect(got.stdin).toBe(PASSWORD + '\n');
  }, 60_000);

  it('deploy.sh under sh, with tracing forced on by the environment', async () => {
    const home = tempDir('deploy-sh-');
    const rec = tempDir('deploy-rec-');
    const spec = cacheWith(join(home, '.cache', 'smtp-probe'));
    const command = deployCommand('linux', spec) as string;
    const env = { PATH: process.env.PATH, HOME: home, REC_DIR: rec, SHELLOPTS: 'xtrace' };
    const r = await run(['/bin/sh', '-c', command], env, [Buffer.from(PASSWORD + '\n')]);
    expect(r.code).toBe(10);
    expect(r.stdout).toContain('@smtp-probe-deploy exit 10');
    expect(r.stderr).not.toContain(PASSWORD);
    const got = recorded(rec);
    const work = join(home, '.cache', 'smtp-probe', 'work', 'sweep_1_host_a-' + createHash('sha256').update('sweep:1:host/a').digest('hex').slice(0, 8));
    expectProbeArgv(got.argv.slice(0, -1), work);
    expect(got.argv.at(-1)).toBe('--password-stdin');
    expect(got.stdin).toBe(PASSWORD + '\n');
    expect(existsSync(join(work, '.password'))).toBe(false);
  }, 60_000);
});

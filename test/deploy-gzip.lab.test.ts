// The unpack step of both deploy scripts as shipped (deploy.sh by sh, deploy.ps1 by real
// PowerShell 7 through the launcher), against a cache into which a .gz "was uploaded": a
// good one is unpacked, checked and renamed into place; a corrupt one or one of other bytes
// is refused and leaves no cache entry; two jobs unpacking the same file at once both run
// with one cache file; a job killed mid-unpack leaves nothing a later run trusts. And the
// cache stays bounded: versions unused for 30 days and work folders of killed jobs go.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deployCommand, gzUploadName, type CachedFile, type RunSpec } from '../transport/remote-commands.js';
import { launcherArguments, launcherInput } from '../transport/scripts.js';
import { tempDir } from './helpers.js';
import { requirePwsh } from '../lab/pwsh.js';

const RUNTIME = '#!/bin/sh\necho ran >"$REC_DIR/ran-$$"\nexit 10\n';
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface Runner {
  os: 'linux' | 'windows';
  root: (home: string) => string;
  start: (home: string, spec: RunSpec, rec: string) => ReturnType<typeof spawn>;
}

const RUNNERS: Runner[] = [
  {
    os: 'linux',
    root: (home) => join(home, '.cache', 'smtp-probe'),
    start: (home, spec, rec) => spawn('/bin/sh', ['-c', deployCommand('linux', spec) as string], { env: { PATH: process.env.PATH, HOME: home, REC_DIR: rec }, detached: true }),
  },
  {
    os: 'windows',
    root: (home) => join(home, 'AppData', 'Local', 'smtp-probe'),
    start: (home, spec, rec) => {
      const p = spawn(requirePwsh(), launcherArguments().split(' '), {
        env: { PATH: process.env.PATH, HOME: home, LOCALAPPDATA: join(home, 'AppData', 'Local'), REC_DIR: rec, POWERSHELL_TELEMETRY_OPTOUT: '1' },
        detached: true,
      });
      const call = deployCommand('windows', spec);
      if (typeof call === 'string') throw new Error('expected a script call');
      p.stdin!.write(launcherInput(call));
      return p;
    },
  },
];

function finish(p: ReturnType<typeof spawn>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    // Left open, as SSH leaves it: the Linux script reads its end as "stop".
    const t = setTimeout(() => p.stdin!.end(), 30_000);
    p.on('close', (code) => (clearTimeout(t), p.stdin!.destroy(), resolve({ code, stdout, stderr })));
  });
}

/** A cache with the bundle in place and the runtime uploaded as `gz` (the bytes of a .gz). */
function setup(r: Runner, runtime: Buffer | string, gz: Buffer[]): { home: string; rec: string; specs: RunSpec[]; dir: string; name: string } {
  const home = tempDir(`gz-${r.os}-`);
  const rec = tempDir('gz-rec-');
  const root = r.root(home);
  const bundleData = '// bundle';
  const bundle: CachedFile = { sha256: sha256(bundleData), name: 'smtp-probe.cjs', bytes: bundleData.length, fresh: false };
  mkdirSync(join(root, bundle.sha256), { recursive: true });
  writeFileSync(join(root, bundle.sha256, bundle.name), bundleData);
  const loaderData = '// loader';
  const loader: CachedFile = { sha256: sha256(loaderData), name: 'smtp-probe-loader.cjs', bytes: loaderData.length, fresh: false };
  mkdirSync(join(root, loader.sha256), { recursive: true });
  writeFileSync(join(root, loader.sha256, loader.name), loaderData);
  const rt = { sha256: sha256(runtime), name: 'node', bytes: Buffer.byteLength(runtime), fresh: false };
  const dir = join(root, rt.sha256);
  mkdirSync(dir, { recursive: true });
  const specs = gz.map((data, i) => {
    const file = gzUploadName('node', `0000000${i}`);
    writeFileSync(join(dir, file), data);
    return { jobId: `job-${i}`, runtime: { ...rt, gz: file }, bundle, loader, probeArgs: [] };
  });
  return { home, rec, specs, dir, name: 'node' };
}

// Without ".used", the stamp every run leaves in the folders it uses (checked by the sweep's tests below).
const ls = (dir: string) => readdirSync(dir).filter((f) => f !== '.used').sort();

describe.each(RUNNERS)('deploy script unpacks a gzip upload ($os)', (r) => {
  it('a good .gz is unpacked, checked, renamed into place, and the probe runs from it', async () => {
    const s = setup(r, RUNTIME, [gzipSync(RUNTIME)]);
    const res = await finish(r.start(s.home, s.specs[0]!, s.rec));
    expect(res.stdout).toContain('@smtp-probe-deploy cached');
    expect(res.code).toBe(10);
    expect(readFileSync(join(s.dir, 'node'), 'utf8')).toBe(RUNTIME);
    // Only the file and its stamp: no .gz, no temporary name, no lock left.
    expect(ls(s.dir).filter((f) => f !== '.node.lock')).toEqual(['.node.verified', 'node']);
    if (r.os === 'linux') expect(existsSync(join(s.dir, '.node.lock'))).toBe(false);
    expect(ls(s.rec).filter((f) => f.startsWith('ran-'))).toHaveLength(1);
  }, 60_000);

  it('corrupt gzip data is refused with a clear line and leaves no cache entry', async () => {
    const good = gzipSync(RUNTIME);
    const corrupt = Buffer.concat([good.subarray(0, 12), Buffer.alloc(good.length - 12, 0x41)]);
    const s = setup(r, RUNTIME, [corrupt]);
    const res = await finish(r.start(s.home, s.specs[0]!, s.rec));
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/@smtp-probe-deploy bad runtime node: the upload is not valid gzip data/);
    expect(res.stdout).toContain('@smtp-probe-deploy miss runtime');
    expect(res.stdout).not.toContain('@smtp-probe-deploy cached');
    expect(ls(s.dir).filter((f) => f !== '.node.lock')).toEqual([]);
  }, 60_000);

  it('a .gz of other bytes (wrong sha256 once unpacked) is refused and removed', async () => {
    const s = setup(r, RUNTIME, [gzipSync(RUNTIME.replace('exit 10', 'exit 11'))]);
    const res = await finish(r.start(s.home, s.specs[0]!, s.rec));
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`@smtp-probe-deploy bad runtime node: unpacked to sha256 [0-9a-f]{64}.*expected ${s.specs[0]!.runtime.sha256}; removed`));
    expect(res.stdout).toContain('@smtp-probe-deploy miss runtime');
    expect(ls(s.dir).filter((f) => f !== '.node.lock')).toEqual([]);
    expect(ls(s.rec)).toEqual([]);
  }, 60_000);

  it('two jobs unpacking the same runtime at once both run it, from one cache file', async () => {
    // Large enough (64 MB unpacked) that the two overlap.
    const big = Buffer.concat([Buffer.from(RUNTIME), Buffer.alloc(64 * 1024 * 1024, 0x23)]);
    const gz = gzipSync(big, { level: 1 });
    const s = setup(r, big, [gz, gz]);
    const [a, b] = await Promise.all(s.specs.map((spec) => finish(r.start(s.home, spec, s.rec))));
    expect([a!.code, b!.code]).toEqual([10, 10]);
    expect(a!.stdout + b!.stdout).not.toContain(' bad ');
    expect(ls(s.dir).filter((f) => f !== '.node.lock')).toEqual(['.node.verified', 'node']);
    expect(sha256(readFileSync(join(s.dir, 'node')))).toBe(s.specs[0]!.runtime.sha256);
    expect(ls(s.rec).filter((f) => f.startsWith('ran-'))).toHaveLength(2);
  }, 90_000);

  it('a job killed mid-unpack leaves nothing trusted; the next one takes over its lock and installs', async () => {
    const big = Buffer.concat([Buffer.from(RUNTIME), Buffer.alloc(200 * 1024 * 1024, 0x23)]);
    const gz = gzipSync(big, { level: 1 });
    const s = setup(r, big, [gz, gz]);
    const p = r.start(s.home, s.specs[0]!, s.rec);
    const done = finish(p);
    await expect.poll(() => ls(s.dir).some((f) => f.startsWith('.node.tmp-')), { timeout: 30_000, interval: 20 }).toBe(true);
    process.kill(-p.pid!, 'SIGKILL');
    await done;
    expect(existsSync(join(s.dir, 'node'))).toBe(false);
    // The next job (with its own upload) is not kept waiting by the dead one's lock.
    const started = Date.now();
    const res = await finish(r.start(s.home, s.specs[1]!, s.rec));
    expect(res.code).toBe(10);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(sha256(readFileSync(join(s.dir, 'node')))).toBe(s.specs[1]!.runtime.sha256);
    // The killed job's .gz and half-written file stay until the hourly sweep; neither is a name anything trusts.
    expect(ls(s.dir).filter((f) => !f.startsWith('.node.tmp-') && f !== s.specs[0]!.runtime.gz && f !== '.node.lock')).toEqual(['.node.verified', 'node']);
  }, 120_000);
});

describe.each(RUNNERS)('deploy script keeps its cache bounded ($os)', (r) => {
  const DAY = 86400_000;
  /** Sets a file's or folder's modification time to `days` ago (after its contents are written). */
  const age = (path: string, days: number) => {
    const t = (Date.now() - days * DAY) / 1000;
    utimesSync(path, t, t);
  };
  /** An older version's folder in the cache: a file in it, the folder `days` old, its ".used" stamp `usedDays` old or none. */
  const version = (root: string, tag: string, days: number, usedDays?: number) => {
    const d = join(root, sha256(tag));
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'node'), tag);
    if (usedDays !== undefined) {
      writeFileSync(join(d, '.used'), '');
      age(join(d, '.used'), usedDays);
    }
    age(d, days);
    return sha256(tag);
  };
  const dirs = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => statSync(join(dir, f)).isDirectory()).sort() : []);

  it('removes versions no run has used for 30 days and work folders of killed jobs, once a day; keeps the rest', async () => {
    const s = setup(r, RUNTIME, [gzipSync(RUNTIME)]);
    const root = r.root(s.home);
    const spec = s.specs[0]!;
    const unused = version(root, 'never stamped, 40 days', 40);
    const stale = version(root, 'last run 40 days ago', 40, 40);
    const running = version(root, 'folder 40 days, run 2 days ago', 40, 2);
    const recent = version(root, 'uploaded 5 days ago', 5);
    // Not sha256 names: never swept (upper case, a name of ours, a stranger's folder).
    const upper = sha256('upper').toUpperCase();
    for (const d of [upper, 'compile-cache', 'controller-gz']) {
      mkdirSync(join(root, d), { recursive: true });
      age(join(root, d), 40);
    }
    for (const [d, days] of [['killed-3-days-ago', 3], ['another-job-now', 0]] as const) {
      mkdirSync(join(root, 'work', d), { recursive: true });
      age(join(root, 'work', d), days);
    }
    // The versions this job runs are old too: their own ".used" stamps keep them.
    age(join(root, spec.bundle.sha256), 60);
    age(join(root, spec.loader.sha256), 60);
    const res = await finish(r.start(s.home, spec, s.rec));
    expect([res.code, res.stderr]).toEqual([10, '']);
    expect(res.stdout).toContain('@smtp-probe-deploy exit 10');
    const left = dirs(root);
    for (const gone of [unused, stale]) expect(left).not.toContain(gone);
    for (const kept of [running, recent, upper, spec.runtime.sha256, spec.bundle.sha256, spec.loader.sha256, 'compile-cache', 'controller-gz', 'work']) expect(left).toContain(kept);
    // This job's own stays for its ZIP to be fetched (no inline limit here); the killed one went.
    expect(dirs(join(root, 'work'))).toEqual(['another-job-now', spec.jobId]);
    for (const f of [spec.runtime, spec.bundle, spec.loader]) expect(Date.now() - statSync(join(root, f.sha256, '.used')).mtimeMs).toBeLessThan(60_000);
    expect(existsSync(join(root, '.swept'))).toBe(true);

    // Within the day, no run sweeps again: a version gone unused since stays until tomorrow.
    const later = version(root, 'unused, found after the sweep', 40);
    const again = await finish(r.start(s.home, { ...spec, jobId: 'job-again', runtime: { ...spec.runtime, gz: undefined } }, s.rec));
    expect(again.code).toBe(10);
    expect(dirs(root)).toContain(later);
    // A day later the next run does.
    age(join(root, '.swept'), 1.1);
    const third = await finish(r.start(s.home, { ...spec, jobId: 'job-third', runtime: { ...spec.runtime, gz: undefined } }, s.rec));
    expect(third.code).toBe(10);
    expect(dirs(root)).not.toContain(later);
    expect(dirs(root)).toContain(spec.runtime.sha256);
  }, 90_000);
});

describe('deploy.sh sweeps leftovers of killed uploads', () => {
  it('temporary files over an hour old go, fresh ones (an upload in progress) stay', async () => {
    const r = RUNNERS[0]!;
    const s = setup(r, RUNTIME, [gzipSync(RUNTIME)]);
    for (const f of ['.node.gz-deadbeef', '.node.tmp-1', '.node.gz-deadbeef.part-0a0b', 'node.part-0c0d']) writeFileSync(join(s.dir, f), 'x');
    writeFileSync(join(s.dir, '.node.gz-cafe.part-1234'), 'in progress');
    const hourAgo = (Date.now() - 2 * 3600_000) / 1000;
    for (const f of ['.node.gz-deadbeef', '.node.tmp-1', '.node.gz-deadbeef.part-0a0b', 'node.part-0c0d']) utimesSync(join(s.dir, f), hourAgo, hourAgo);
    chmodSync(s.dir, 0o755);
    const res = await finish(r.start(s.home, s.specs[0]!, s.rec));
    expect(res.code).toBe(10);
    expect(ls(s.dir)).toEqual(['.node.gz-cafe.part-1234', '.node.verified', 'node']);
  }, 60_000);
});

describe('deploy.sh tells the caller whether it can unpack gzip', () => {
  const missPass = async (path: string) => {
    const home = tempDir('gz-path-');
    const f = (name: string) => ({ sha256: sha256(name), name, bytes: 1, fresh: false });
    const p = spawn('/bin/sh', ['-c', deployCommand('linux', { jobId: 'j', runtime: f('node'), bundle: f('b.cjs'), loader: f('l.cjs'), probeArgs: [] }) as string], { env: { PATH: path, HOME: home } });
    return finish(p);
  };

  it('with gzip on PATH a miss comes with a "gzip" line', async () => {
    const r = await missPass(process.env.PATH!);
    expect(r.stdout).toContain('@smtp-probe-deploy miss runtime');
    expect(r.stdout).toContain('@smtp-probe-deploy gzip\n');
  });

  it('without it, none (the caller then sends the files uncompressed)', async () => {
    // Only sh itself on PATH (the command is `sh -c ...`): no gzip.
    const bin = tempDir('gz-nopath-');
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const r = await missPass(bin);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('@smtp-probe-deploy miss runtime');
    expect(r.stdout).not.toContain('@smtp-probe-deploy gzip');
  });
});

// The controller's half of the compressed cold push, against a scripted Transport: what it
// uploads when the runner can unpack gzip and when it cannot, what the second deploy pass
// is told, how a refused unpack reads; and the controller-side .gz cache.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runPayloadOnRunner, type Artifact, type DeployRequest } from '../../transport/deploy.js';
import { compressedArtifact } from '../../transport/gzip-cache.js';
import { TransportError, type ExecOptions, type ExecResult, type RemoteCommand, type Transport } from '../../transport/types.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const M = '@smtp-probe-deploy';

function artifactIn(dir: string, name: string, data: Buffer): Artifact {
  const localPath = join(dir, name);
  writeFileSync(localPath, data);
  return { localPath, name, sha256: sha(data), bytes: data.length };
}

/** A linux runner whose deploy passes print the given lines; uploads are recorded. */
class ScriptedRunner implements Transport {
  readonly kind = 'ssh';
  readonly os = 'linux';
  commands: string[] = [];
  uploads: { localPath: string; remotePath: string; sha256: string }[] = [];
  constructor(private readonly passes: string[][]) {}
  exec(command: RemoteCommand, o: ExecOptions): Promise<ExecResult> {
    this.commands.push(command as string);
    const lines = this.passes[this.commands.length - 1] ?? [];
    o.onStdout?.(lines.join('\n') + '\n');
    return Promise.resolve({ exitCode: 0, stdout: '', stderr: '', durationMs: 1 });
  }
  upload(localPath: string, remotePath: string, opts: { sha256: string }): Promise<{ bytes: number }> {
    const data = readFileSync(localPath);
    expect(sha(data)).toBe(opts.sha256);
    this.uploads.push({ localPath, remotePath, sha256: opts.sha256 });
    return Promise.resolve({ bytes: data.length });
  }
  download(): Promise<{ bytes: number; sha256: string }> {
    throw new Error('not used');
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const ZIP = Buffer.from('PK-ish');
const ranPass = [`${M} root /c`, `${M} cached`, `${M} zip ${ZIP.length}`, `${M} zipdata`, ZIP.toString('base64'), `${M} zipdata-end`, `${M} exit 0`];

function setup(): { dir: string; req: DeployRequest; runtime: Artifact } {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-gzip-unit-'));
  const runtime = artifactIn(dir, 'node', Buffer.from('#!/bin/sh\n'.repeat(5000)));
  const bundle = artifactIn(dir, 'smtp-probe.cjs', Buffer.from('// bundle'));
  const loader = artifactIn(dir, 'smtp-probe-loader.cjs', Buffer.from('// loader'));
  const req: DeployRequest = { jobId: 'j1', artifacts: { runtime, bundle, loader }, probeArgs: [], commandTimeoutMs: 1000, maxZipBytes: 1000, localZipPath: join(dir, 'r.zip'), gzipCacheDir: join(dir, 'gz') };
  return { dir, req, runtime };
}

describe('compressed cold push (controller side)', () => {
  it('a runner with gzip gets the .gz under a per-job name, and the second pass is told to unpack it', async () => {
    const { req, runtime } = setup();
    const t = new ScriptedRunner([[`${M} root /c`, `${M} miss runtime`, `${M} gzip`], ranPass]);
    const r = await runPayloadOnRunner(t, req);
    expect(r.compressed).toBe(true);
    expect(t.uploads).toHaveLength(1);
    const up = t.uploads[0]!;
    expect(up.remotePath).toMatch(new RegExp(`^/c/${runtime.sha256}/\\.node\\.gz-[0-9a-f]{8}$`));
    expect(gunzipSync(readFileSync(up.localPath))).toEqual(readFileSync(runtime.localPath));
    expect(r.uploadedBytes).toBe(readFileSync(up.localPath).length);
    expect(r.uploadedBytes).toBeLessThan(runtime.bytes / 10);
    expect(t.commands[1]).toContain(`'gz:${up.remotePath.split('/').pop()!}'`);
    expect(r.cacheHits).toEqual({ runtime: false, bundle: true, loader: true });
  });

  it('a runner without gzip gets the file as it is, and the log says why', async () => {
    const { req, runtime } = setup();
    const t = new ScriptedRunner([[`${M} root /c`, `${M} miss runtime`], ranPass]);
    const log: string[] = [];
    const r = await runPayloadOnRunner(t, req, { onLog: (l) => log.push(l) });
    expect(r.compressed).toBe(false);
    expect(t.uploads).toEqual([{ localPath: runtime.localPath, remotePath: `/c/${runtime.sha256}/node`, sha256: runtime.sha256 }]);
    expect(r.uploadedBytes).toBe(runtime.bytes);
    expect(log).toContain('the runner has no gzip on PATH: sending the files uncompressed');
    expect(t.commands[1]).toContain(`'fresh'`);
  });

  it('gzip: false sends uncompressed even to a runner with gzip', async () => {
    const { req, runtime } = setup();
    const t = new ScriptedRunner([[`${M} root /c`, `${M} miss runtime`, `${M} gzip`], ranPass]);
    const r = await runPayloadOnRunner(t, { ...req, gzip: false });
    expect(r.compressed).toBe(false);
    expect(r.uploadedBytes).toBe(runtime.bytes);
  });

  it('an upload the runner refused to unpack fails the job with the runner\'s reason', async () => {
    const { req } = setup();
    const t = new ScriptedRunner([
      [`${M} root /c`, `${M} miss runtime`, `${M} gzip`],
      [`${M} root /c`, `${M} bad runtime node: unpacked to sha256 ${'0'.repeat(64)}, expected x; removed`, `${M} miss runtime`],
    ]);
    const err = await runPayloadOnRunner(t, req).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('remote-command');
    expect((err as TransportError).message).toBe(`deploy: the upload did not unpack on the runner: runtime node: unpacked to sha256 ${'0'.repeat(64)}, expected x; removed`);
  });
});

describe('controller-side .gz cache', () => {
  it('compresses once, keyed by the uncompressed sha256; a damaged .gz is made again', async () => {
    const { dir, runtime } = setup();
    const cache = join(dir, 'gz-cache');
    const a = await compressedArtifact(runtime, cache);
    expect(a.path).toContain(runtime.sha256);
    expect(sha(readFileSync(a.path))).toBe(a.sha256);
    const again = await compressedArtifact(runtime, cache);
    expect(again).toEqual({ ...a, ms: 0 });
    // A new process (here: the same folder by another path) finds a truncated file and redoes it.
    writeFileSync(a.path, readFileSync(a.path).subarray(0, 20));
    symlinkSync(cache, join(dir, 'gz-link'));
    const other = await compressedArtifact(runtime, join(dir, 'gz-link'));
    expect(other.sha256).toBe(a.sha256);
    expect(gunzipSync(readFileSync(other.path))).toEqual(readFileSync(runtime.localPath));
  });

  it('stays bounded: a new .gz removes those unused for 30 days; one found again is marked used', async () => {
    const { dir, runtime } = setup();
    const cache = join(dir, 'gz-prune');
    mkdirSync(cache);
    const daysAgo = (n: number) => new Date(Date.now() - n * 86400_000);
    const put = (name: string, days: number) => {
      writeFileSync(join(cache, name), 'x');
      utimesSync(join(cache, name), daysAgo(days), daysAgo(days));
      return name;
    };
    const gone = [put(`${'a'.repeat(64)}.l6.gz`, 31), put(`${'b'.repeat(64)}.l6.gz.tmp-123-0badf00d`, 0.1)];
    const kept = [put(`${'c'.repeat(64)}.l6.gz`, 29), put(`${'d'.repeat(64)}.l6.gz.tmp-456-0123abcd`, 0.01), put('README', 400), put(`${'e'.repeat(64)}.l6.gz.bak`, 400)];
    const made = await compressedArtifact(runtime, cache);
    const left = readdirSync(cache).sort();
    expect(left).toEqual([...kept, made.path.split('/').pop()!].sort());
    for (const g of gone) expect(left).not.toContain(g);
    // Another process finding the made .gz (a later sweep) marks it used: its time is now.
    utimesSync(made.path, daysAgo(40), daysAgo(40));
    symlinkSync(cache, join(dir, 'gz-prune-link'));
    await compressedArtifact(runtime, join(dir, 'gz-prune-link'));
    expect(Date.now() - statSync(made.path).mtimeMs).toBeLessThan(60_000);
  });

  it('a local file that is not the one the manifest names is refused', async () => {
    const { dir, runtime } = setup();
    const err = await compressedArtifact({ ...runtime, sha256: 'f'.repeat(64) }, join(dir, 'gz-bad')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toContain(`expected ${'f'.repeat(64)}; not sent`);
  });
});

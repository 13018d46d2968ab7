// The deploy cycle end to end over a real sshd: this Node binary is the "runtime", the npm
// CLI's one-file bundle (dist/payload/smtp-probe.cjs) the bundle, the built loader the loader
// (npm test builds both), and the real probe runs on the sshd host against the loopback lab.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProbeSummarySchema } from '../payload/schema/summary.js';
import { runPayloadOnRunner, type Artifact, type DeployRequest, type DeployStage } from '../transport/deploy.js';
import { compressedArtifact } from '../transport/gzip-cache.js';
import { connectSsh } from '../transport/ssh.js';
import type { Transport } from '../transport/types.js';
import { ManifestSchema, artifactsFor } from '../packaging/manifest.js';
import { failure, readJson, ROOT, tempDir, unzip } from './helpers.js';
import { makeKeyPair, startSshd, type LabSshd } from '../lab/sshd.js';

const lab = inject('lab');
let dir: string;
let host: LabSshd;
let t: Transport;
let runtime: Artifact;
let bundle: Artifact;
let loader: Artifact;
let keyPath: string;

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

async function artifact(localPath: string, name: string): Promise<Artifact> {
  return { localPath, name, sha256: await sha256File(localPath), bytes: statSync(localPath).size };
}

beforeAll(async () => {
  dir = tempDir('deploy-');
  const key = makeKeyPair(dir, 'client');
  host = await startSshd({ dir, address: '127.0.2.1', authorizedKeys: [key.publicKey] });
  keyPath = key.privateKeyPath;
  writeFileSync(join(dir, 'known_hosts'), host.knownHostsLine + '\n');
  t = await connect();
  const bundlePath = join(ROOT, 'dist/payload/smtp-probe.cjs');
  const manifest = join(ROOT, 'build/payload/manifest.json');
  for (const f of [bundlePath, manifest]) if (!existsSync(f)) throw new Error(`${f} is missing: run npm run build:payload (npm test does)`);
  const built = artifactsFor(ManifestSchema.parse(readJson(manifest)), 'linux-x64').loader;
  [runtime, bundle, loader] = await Promise.all([artifact(process.execPath, 'node'), artifact(bundlePath, 'smtp-probe.cjs'), artifact(join(ROOT, 'build/payload', built.name), built.name)]);
}, 120_000);

function connect(): Promise<Transport> {
  return connectSsh({
    address: host.address,
    port: host.port,
    username: 'root',
    os: 'linux',
    auth: { kind: 'key', privateKeyPath: keyPath },
    knownHostsPath: join(dir, 'known_hosts'),
    acceptNew: false,
    connectTimeoutMs: 5000,
  });
}

afterAll(async () => {
  await t?.close();
  await host?.stop();
});

const cacheRoot = () => join(host.dir, 'cache', 'smtp-probe');
const workFolder = (jobId: string) => join(cacheRoot(), 'work', jobId);
const postfixArgs = () => ['--host', '127.0.0.1', '--port', `${lab.postfix.starttlsPort}:starttls`, '--ca', lab.caFile, '--ehlo-name', 'probe.lab.test'];

function request(jobId: string, probeArgs: string[], over: Partial<DeployRequest> = {}): DeployRequest {
  return {
    jobId,
    artifacts: { runtime, bundle, loader },
    probeArgs,
    commandTimeoutMs: 30_000,
    maxZipBytes: 20 * 1024 * 1024,
    localZipPath: join(dir, `${jobId}.zip`),
    gzipCacheDir: join(dir, 'gz'),
    ...over,
  };
}

describe('deploy cycle over ssh', () => {
  it('cold: uploads the three artifacts gzip-compressed, runs the real probe, fetches a valid ZIP, removes the work folder', async () => {
    const stages: DeployStage[] = [];
    const r = await runPayloadOnRunner(t, request('job-cold', postfixArgs()), { onStage: (s) => stages.push(s) });
    expect(r.exitCode).toBe(0);
    expect(r.cacheHits).toEqual({ runtime: false, bundle: false, loader: false });
    expect(r.compressed).toBe(true);
    const gz = await Promise.all([runtime, bundle, loader].map((a) => compressedArtifact(a, join(dir, 'gz'))));
    expect(r.uploadedBytes).toBe(gz[0]!.bytes + gz[1]!.bytes + gz[2]!.bytes);
    expect(r.uploadedBytes).toBeLessThan((runtime.bytes + bundle.bytes + loader.bytes) / 2);
    // Only the unpacked file, its stamp and the run's ".used" are left in the runtime's folder: no .gz, no temp, no lock.
    expect(readdirSync(join(cacheRoot(), runtime.sha256)).sort()).toEqual(['.node.verified', '.used', 'node']);
    // Linux runners send the ZIP back on the run command and remove the work folder themselves.
    expect(stages).toEqual(['cache', 'upload', 'cache', 'run', 'fetch']);
    const zipPath = join(dir, 'job-cold.zip');
    expect(r.zipSha256).toBe(await sha256File(zipPath));
    expect(r.zipBytes).toBe(statSync(zipPath).size);
    const entries = await unzip(zipPath);
    const summaryName = [...entries.keys()].find((n) => n.endsWith('probe_summary.json'))!;
    const summary = ProbeSummarySchema.parse(JSON.parse(entries.get(summaryName)!.toString('utf8')));
    expect(summary.verdict.class).toBe('ok');
    expect(summary.attempts[0]!.smtp.banner?.lines[0]).toMatch(/Postfix/);
    // The cache holds the artifacts under their hashes, the runtime executable; the work folder is gone.
    const cachedRuntime = join(cacheRoot(), runtime.sha256, 'node');
    expect(statSync(cachedRuntime).size).toBe(runtime.bytes);
    expect(statSync(cachedRuntime).mode & 0o111).not.toBe(0);
    expect(existsSync(join(cacheRoot(), bundle.sha256, 'smtp-probe.cjs'))).toBe(true);
    expect(existsSync(join(cacheRoot(), loader.sha256, loader.name))).toBe(true);
    expect(existsSync(workFolder('job-cold'))).toBe(false);
  }, 120_000);

  it('warm: nothing uploaded, same result, and only the few steps of the warm path', async () => {
    const stages: DeployStage[] = [];
    const r = await runPayloadOnRunner(t, request('job-warm', postfixArgs()), { onStage: (s) => stages.push(s) });
    expect(r.uploadedBytes).toBe(0);
    expect(r.cacheHits).toEqual({ runtime: true, bundle: true, loader: true });
    expect(r.exitCode).toBe(0);
    expect(stages).toEqual(['cache', 'run', 'fetch']);
    expect(r.ms.upload).toBe(0);
    expect(r.ms.total).toBeGreaterThanOrEqual(r.ms.run);
    expect(existsSync(workFolder('job-warm'))).toBe(false);
  });

  it('a rerun of the same job starts from a clean work folder', async () => {
    mkdirSync(join(workFolder('job-rerun'), 'out', 'stale'), { recursive: true });
    writeFileSync(join(workFolder('job-rerun'), 'result.zip'), 'left by a worker that died');
    const r = await runPayloadOnRunner(t, request('job-rerun', postfixArgs()));
    expect(r.exitCode).toBe(0);
    expect((await unzip(join(dir, 'job-rerun.zip'))).size).toBeGreaterThan(3);
    expect(existsSync(workFolder('job-rerun'))).toBe(false);
  });

  it('a job id with characters unfit for a folder name still gets its own folder', async () => {
    const r = await runPayloadOnRunner(t, request('sweep:42:host/a b', postfixArgs(), { localZipPath: join(dir, 'odd.zip') }));
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(cacheRoot(), 'work'))).toBe(true);
    expect(execFileSync('ls', ['-A', join(cacheRoot(), 'work')]).toString()).toBe('');
  });

  it('an SMTP failure on the runner is a verdict, not an error', async () => {
    const r = await runPayloadOnRunner(t, request('job-refused', ['--host', '127.0.0.7', '--port', `${lab.closedPort}:starttls`]));
    expect(r.exitCode).toBe(11);
    const entries = await unzip(join(dir, 'job-refused.zip'));
    const summaryName = [...entries.keys()].find((n) => n.endsWith('probe_summary.json'))!;
    expect(JSON.parse(entries.get(summaryName)!.toString('utf8')).verdict.class).toBe('connect');
  });

  it('a probe that fails to run is a remote-command error with its stderr, and cleans up', async () => {
    const lines: string[] = [];
    const err = await failure(runPayloadOnRunner(t, request('job-badargs', ['--port', 'not-a-port']), { onLog: (l) => lines.push(l) }));
    expect(err.code).toBe('remote-command');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('exit code 2');
    expect(err.message).toContain('not-a-port');
    expect(lines.join('\n')).toContain('not-a-port');
    expect(existsSync(workFolder('job-badargs'))).toBe(false);
    expect(existsSync(join(dir, 'job-badargs.zip'))).toBe(false);
  });

  it('a ZIP over the size cap is refused and the work folder still removed', async () => {
    const err = await failure(runPayloadOnRunner(t, request('job-big', postfixArgs(), { maxZipBytes: 200 })));
    expect(err.code).toBe('too-large');
    expect(existsSync(join(dir, 'job-big.zip'))).toBe(false);
    expect(existsSync(workFolder('job-big'))).toBe(false);
  });

  it('a probe that runs over the command limit is stopped on the runner, with a timeout error', async () => {
    const started = Date.now();
    const args = ['--host', lab.blackhole.host, '--port', `${lab.blackhole.port}:starttls`, '--timeout', '60s'];
    const err = await failure(runPayloadOnRunner(t, request('job-slow', args, { commandTimeoutMs: 1500 })));
    expect(err.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(6000);
    // No probe left running from this host's cache (read-only look at the process list).
    await expect.poll(() => execFileSync('ps', ['-eo', 'args']).toString().includes(join(cacheRoot(), bundle.sha256)), { timeout: 3000 }).toBe(false);
    expect(existsSync(workFolder('job-slow'))).toBe(false);
  });

  it('a cached artifact changed on the runner is noticed and uploaded again, alone', async () => {
    const cachedBundle = join(cacheRoot(), bundle.sha256, 'smtp-probe.cjs');
    writeFileSync(cachedBundle, `${readFileSync(cachedBundle, 'utf8')}\n// tampered\n`);
    const r = await runPayloadOnRunner(t, request('job-tampered', postfixArgs()));
    expect(r.cacheHits).toEqual({ runtime: true, bundle: false, loader: true });
    expect(r.uploadedBytes).toBe((await compressedArtifact(bundle, join(dir, 'gz'))).bytes);
    expect(await sha256File(cachedBundle)).toBe(bundle.sha256);
    expect(r.exitCode).toBe(0);
  });
});

describe('cold pushes racing and failing', () => {
  const runtimeFolder = () => join(cacheRoot(), runtime.sha256);

  it('two jobs deploying to the same cold runner at once both succeed, with one cache file', async () => {
    rmSync(cacheRoot(), { recursive: true, force: true });
    const [a, b] = await Promise.all([runPayloadOnRunner(t, request('job-race-a', postfixArgs())), runPayloadOnRunner(t, request('job-race-b', postfixArgs()))]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    expect(a.cacheHits.runtime || b.cacheHits.runtime).toBe(false);
    expect(readdirSync(runtimeFolder()).sort()).toEqual(['.node.verified', '.used', 'node']);
    expect(await sha256File(join(runtimeFolder(), 'node'))).toBe(runtime.sha256);
  }, 120_000);

  it('an upload cut off by a dropped connection leaves nothing the next run trusts', async () => {
    rmSync(cacheRoot(), { recursive: true, force: true });
    const t2 = await connect();
    let uploading = false;
    const run = runPayloadOnRunner(t2, request('job-cut', postfixArgs()), { onLog: (l) => (uploading ||= l.startsWith('upload node')) });
    const failed = failure(run);
    await expect.poll(() => uploading && existsSync(runtimeFolder()) && readdirSync(runtimeFolder()).some((f) => f.includes('.part-')), { timeout: 30_000, interval: 5 }).toBe(true);
    await t2.close();
    const err = await failed;
    expect(['reset', 'protocol']).toContain(err.code);
    expect(existsSync(join(runtimeFolder(), 'node'))).toBe(false);
    const r = await runPayloadOnRunner(t, request('job-after-cut', postfixArgs()));
    expect(r.cacheHits.runtime).toBe(false);
    expect(r.exitCode).toBe(0);
    expect(await sha256File(join(runtimeFolder(), 'node'))).toBe(runtime.sha256);
  }, 120_000);
});

// The self-contained payload (npm run build:payload): the pinned runtime unmodified, the
// bundle and the single executable running the real probe against the lab with no Node
// on PATH and an empty HOME, and the win-x64 runtime under wine.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ManifestSchema, artifactsFor, type Manifest } from '../packaging/manifest.js';
import { RUNTIMES } from '../packaging/runtimes.js';
import { tarballPath } from '../packaging/fetch-runtimes.js';
import { ensureWinePrefix, findWine, runViaFiles } from '../packaging/wine.js';
import { ProbeSummarySchema, type ProbeSummary } from '../payload/schema/summary.js';
import { VERSION } from '../payload/version.js';
import { ROOT, filesUnder, readJson, runCli, runFolder, tempDir } from './helpers.js';

const lab = inject('lab');
const BUILD = join(ROOT, 'build/payload');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let manifest: Manifest;
beforeAll(() => {
  if (!existsSync(join(BUILD, 'manifest.json'))) throw new Error('build/payload/manifest.json is missing: run npm run build:payload (npm test does)');
  manifest = ManifestSchema.parse(readJson(join(BUILD, 'manifest.json')));
});

/** The probe arguments every variant runs: Postfix over STARTTLS, trusting the lab CA. */
const probeArgs = (out: string) => ['probe', '--host', '127.0.0.1', '--port', `${lab.postfix.starttlsPort}:starttls`, '--ca', lab.caFile, '--out', out, '--quiet'];

/** A runner without Node: PATH holds nothing, HOME is an empty folder. */
function bareEnv(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(lab.dir, 'home-'));
  return { PATH: mkdtempSync(join(lab.dir, 'path-')), HOME: home, USERPROFILE: home, LANG: 'C.UTF-8' };
}

function layoutOf(out: string): { files: string[]; summary: ProbeSummary } {
  const folder = runFolder(out);
  const summary = ProbeSummarySchema.parse(readJson(join(folder, 'probe_summary.json')));
  // Names carry the address and port, identical between runs of the same target.
  return { files: filesUnder(folder), summary };
}

describe('payload build', () => {
  it('lists every artifact in manifest.json with its true size and sha256', () => {
    for (const a of manifest.artifacts) {
      const data = readFileSync(join(BUILD, a.name));
      expect({ name: a.name, bytes: data.length, sha256: sha256(data) }).toEqual({ name: a.name, bytes: a.bytes, sha256: a.sha256 });
    }
    expect(manifest.version).toBe(VERSION);
    expect(manifest.artifacts.map((a) => `${a.role}:${a.platform}`)).toEqual(expect.arrayContaining(['bundle:any', 'runtime:linux-x64', 'runtime:win-x64']));
  });

  it('ships each runtime byte for byte as published in its registry package (win-x64 still signed)', () => {
    for (const platform of ['linux-x64', 'win-x64'] as const) {
      const pin = RUNTIMES[platform];
      const fromTarball = execFileSync('tar', ['-xzOf', tarballPath(pin), pin.entry], { maxBuffer: 256 * 1024 * 1024 });
      const { runtime } = artifactsFor(manifest, platform);
      expect(runtime.sha256).toBe(sha256(fromTarball));
      expect(runtime.version).toBe(pin.version);
    }
    expect(artifactsFor(manifest, 'win-x64').runtime.signed).toBe(true);
  });

  it('keeps the bundle small and free of native addons', () => {
    const { bundle } = artifactsFor(manifest, 'linux-x64');
    expect(bundle.bytes).toBeLessThan(2 * 1024 * 1024);
    expect(readFileSync(join(BUILD, bundle.name), 'utf8')).not.toMatch(/\.node["']\)/);
  });
});

describe('linux-x64 payload on a runner without Node', () => {
  let reference: { files: string[]; summary: ProbeSummary };
  beforeAll(async () => {
    const out = tempDir();
    const r = await runCli(probeArgs(out));
    expect(r.code).toBe(0);
    reference = layoutOf(out);
  });

  const variants: Array<[string, () => string[]]> = [
    ['runtime + bundle', () => [join(BUILD, artifactsFor(manifest, 'linux-x64').runtime.name), join(BUILD, artifactsFor(manifest, 'linux-x64').bundle.name)]],
    ['single executable', () => [join(BUILD, manifest.artifacts.find((a) => a.role === 'single-executable' && a.platform === 'linux-x64')!.name)]],
  ];
  for (const [what, argv] of variants) {
    it(`${what}: probes the lab Postfix with the same layout and a valid summary as the npm-installed CLI`, () => {
      const out = tempDir();
      const [cmd, ...pre] = argv();
      const r = spawnSync(cmd!, [...pre, ...probeArgs(out)], { env: bareEnv(), encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const got = layoutOf(out);
      expect(got.files).toEqual(reference.files);
      expect(got.summary.verdict.class).toBe('ok');
      expect(got.summary.tool.version).toBe(VERSION);
      expect(readJson<{ runtime: { node: string } }>(join(runFolder(out), 'env_snapshot.json')).runtime.node).toBe(RUNTIMES['linux-x64'].version);
    });
  }

  it('runs the bundle on the developer Node too (the bundle targets Node 20 syntax)', () => {
    const out = tempDir();
    const r = spawnSync(process.execPath, [join(BUILD, artifactsFor(manifest, 'linux-x64').bundle.name), ...probeArgs(out)], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(layoutOf(out).files).toEqual(reference.files);
  });
});

describe('win-x64 runtime + bundle under wine (Windows itself does not run here)', () => {
  const wine = findWine();
  // CI installs wine; a developer machine without it skips this block, loudly.
  const need = process.env.CI ? it : it.skipIf(!wine);
  let node = '';
  let bundle = '';
  beforeAll(() => {
    if (!wine) return;
    ensureWinePrefix(wine);
    node = join(BUILD, artifactsFor(manifest, 'win-x64').runtime.name);
    bundle = join(BUILD, artifactsFor(manifest, 'win-x64').bundle.name);
  }, 180_000);

  need('answers --version and schema', () => {
    expect(wine, 'wine is required in CI (apt-get install wine64 wine)').toBeTruthy();
    const v = runViaFiles([node, bundle, '--version'], { wine });
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(VERSION);
    const s = runViaFiles([node, bundle, 'schema'], { wine });
    expect(s.status).toBe(0);
    expect(JSON.parse(s.stdout).$id).toContain('probe_summary');
  }, 120_000);

  need('probes the loopback lab Postfix and writes a valid summary', () => {
    const out = tempDir();
    const r = runViaFiles([node, bundle, ...probeArgs(out)], { wine });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = layoutOf(out);
    expect(got.summary.verdict.class).toBe('ok');
    expect(got.summary.attempts[0]?.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(readdirSync(runFolder(out))).toContain('attachments');
  }, 120_000);
});

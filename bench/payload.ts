// Payload figures (issue 5): each artifact's size raw and gzip-compressed (what a runner
// is sent), and the cold start of the shipped runtime + bundle next to the npm-installed CLI.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ManifestSchema, artifactsFor } from '../packaging/manifest.js';
import { sample, timeRun, type Row } from './measure.js';

// Compiled to build/dev/bench: the package root is three levels up.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BUILD = join(ROOT, 'build/payload');
const MB = 1024 * 1024;

export async function payloadFigures(runs: number): Promise<Row[]> {
  const file = join(BUILD, 'manifest.json');
  if (!existsSync(file)) {
    console.error('bench: skipping the payload figures: run npm run build:payload first');
    return [];
  }
  const m = ManifestSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  const rows: Row[] = [];
  for (const a of m.artifacts) {
    const gz = gzipSync(readFileSync(join(BUILD, a.name)), { level: 9 }).length;
    const isBundle = a.role === 'bundle';
    rows.push({
      metric: `size: ${a.name} (raw; gzip as reference)`,
      value: a.bytes / MB,
      unit: 'MB',
      reference: { name: 'gzip -9', value: gz / MB },
      ...(isBundle ? { target: { text: '< 2 MB raw', ok: a.bytes < 2 * MB } } : {}),
    });
  }
  const { runtime, bundle, loader } = artifactsFor(m, 'linux-x64');
  // Both as they run for real: the npm CLI through its bin (one bundle), the shipped runtime
  // started on the loader, as deploy.sh and deploy.ps1 do, with the code cache folder they give
  // it (warm after the first run).
  const npmCli = join(ROOT, 'dist/payload/bin.js');
  const cache = mkdtempSync(join(tmpdir(), 'smtp-probe-bench-cc-'));
  const shipped = await sample(runs, () => timeRun(join(BUILD, runtime.name), [join(BUILD, loader.name), join(BUILD, bundle.name), '--version'], undefined, { ...process.env, NODE_COMPILE_CACHE: cache }));
  const installed = await sample(runs, () => timeRun(process.execPath, [npmCli, '--version']));
  rows.push({
    metric: `cold start: node ${runtime.version} + loader + bundle --version (code cache)`,
    value: shipped,
    unit: 'ms',
    reference: { name: `npm-installed CLI on node ${process.versions.node}`, value: installed },
    target: { text: '< 120 ms', ok: shipped < 120 },
  });
  const sea = m.artifacts.find((a) => a.role === 'single-executable' && a.platform === 'linux-x64');
  if (sea) {
    const one = await sample(runs, () => timeRun(join(BUILD, sea.name), ['--version']));
    rows.push({ metric: 'cold start: single executable --version', value: one, unit: 'ms', reference: { name: 'runtime + bundle', value: shipped } });
  }
  rmSync(cache, { recursive: true, force: true });
  return rows;
}

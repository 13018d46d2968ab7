// Cold-push figures (issue 16): the bytes a cold runner is sent (the real linux-x64 runtime
// + bundle, and the single executable) gzip-compressed as the fleet sends them, next to the
// uncompressed bytes it used to get; the controller's one-time compression and the runner's
// unpack-and-check (`gzip -dc` to a file, then `sha256sum`, as deploy.sh does).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManifestSchema, artifactsFor } from '../packaging/manifest.js';
import { GZIP_LEVEL, compressedArtifact } from '../transport/gzip-cache.js';
import { sample, timeRun, type Row } from './measure.js';

// Compiled to build/dev/bench: the package root is three levels up.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BUILD = join(ROOT, 'build/payload');
const MB = 1024 * 1024;
const TARGET = 45 * MB;

export async function coldPushFigures(runs: number): Promise<Row[]> {
  const file = join(BUILD, 'manifest.json');
  if (!existsSync(file)) {
    console.error('bench: skipping the cold-push figures: run npm run build:payload first');
    return [];
  }
  const m = ManifestSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-bench-gz-'));
  try {
    const { runtime, bundle, loader } = artifactsFor(m, 'linux-x64');
    const local = (a: { name: string; sha256: string }) => ({ localPath: join(BUILD, a.name), sha256: a.sha256 });
    const [rt, bd, ld] = [await compressedArtifact(local(runtime), dir), await compressedArtifact(local(bundle), dir), await compressedArtifact(local(loader), dir)];
    const rows: Row[] = [];
    const before = runtime.bytes + bundle.bytes + loader.bytes;
    const after = rt.bytes + bd.bytes + ld.bytes;
    rows.push({
      metric: `uploaded bytes per cold runner (linux-x64 node + bundle + loader, gzip -${GZIP_LEVEL})`,
      value: after / MB,
      unit: 'MB',
      reference: { name: 'before: uncompressed', value: before / MB },
      target: { text: '< 45 MB', ok: after < TARGET },
    });
    const sea = m.artifacts.find((a) => a.role === 'single-executable' && a.platform === 'linux-x64');
    if (sea) {
      const gz = await compressedArtifact(local(sea), dir);
      rows.push({
        metric: `uploaded bytes per cold runner (single executable, gzip -${GZIP_LEVEL})`,
        value: gz.bytes / MB,
        unit: 'MB',
        reference: { name: 'before: uncompressed', value: sea.bytes / MB },
        target: { text: '< 45 MB', ok: gz.bytes < TARGET },
      });
    }
    rows.push({ metric: `cold push: gzip -${GZIP_LEVEL} of the ${Math.round(runtime.bytes / MB)} MB runtime on the controller (once per file)`, value: rt.ms, unit: 'ms' });
    const out = join(dir, 'unpacked');
    const unpack = await sample(Math.min(runs, 5), () => timeRun('sh', ['-c', 'gzip -dc <"$1" >"$2" && sha256sum <"$2" >/dev/null', 'unpack', rt.path, out]));
    const hashOnly = await sample(Math.min(runs, 5), () => timeRun('sh', ['-c', 'sha256sum <"$1" >/dev/null', 'hash', join(BUILD, runtime.name)]));
    rows.push({ metric: 'cold push: unpack + sha256 of the runtime on the runner (gzip -dc, sha256sum)', value: unpack, unit: 'ms', reference: { name: 'sha256sum alone (what an uncompressed push costs)', value: hashOnly } });
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

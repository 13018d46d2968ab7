// Issue 16, part 2: one STARTTLS probe as a whole process (start, probe, every file and the
// ZIP written) by each way the probe ships, next to swaks doing STARTTLS up to EHLO against
// the same loopback Postfix, A B A B in one run so machine load hits both alike.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePki } from '../lab/ca.js';
import { freePort } from '../lab/ports.js';
import { postfixAvailable, startPostfix } from '../lab/postfix.js';
import { waitForPort } from '../lab/index.js';
import { ManifestSchema, artifactsFor } from '../packaging/manifest.js';
import { median, timeRun, type Row } from './measure.js';

// Compiled to build/dev/bench: the package root is three levels up.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BUILD = join(ROOT, 'build/payload');

export async function startupFigures(runs: number): Promise<Row[]> {
  if (!postfixAvailable()) {
    console.error('bench: skipping the probe start-up figures: Postfix (run as root) is needed');
    return [];
  }
  const file = join(BUILD, 'manifest.json');
  if (!existsSync(file)) {
    console.error('bench: skipping the probe start-up figures: run npm run build:payload first');
    return [];
  }
  const m = ManifestSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  const { runtime, bundle, loader } = artifactsFor(m, 'linux-x64');
  const sea = m.artifacts.find((a) => a.role === 'single-executable' && a.platform === 'linux-x64');
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-bench-startup-'));
  const pki = makePki(dir);
  const [p1, p2] = [await freePort(['127.0.0.1']), await freePort(['127.0.0.1'])];
  const pf = await startPostfix(join(dir, 'postfix'), pki, '127.0.0.1', p1, p2);
  try {
    await waitForPort('127.0.0.1', p1);
    const out = join(dir, 'out');
    const args = ['probe', '--host', '127.0.0.1', '--port', `${p1}:starttls`, '--ca', pki.caCert, '--ehlo-name', 'bench.lab.test', '--quiet', '--out', out];
    // Each way as it runs for real: the runtime started on the loader with the bundle, and the
    // code cache folder deploy.sh and deploy.ps1 give it (warm after the first probe), the npm
    // CLI through its bin (the same bundle and cache code).
    const compileCache = { ...process.env, NODE_COMPILE_CACHE: join(dir, 'compile-cache') };
    const ways: Array<{ name: string; cmd: string; args: string[]; factor: number; env?: NodeJS.ProcessEnv }> = [
      ...(sea ? [{ name: 'single executable', cmd: join(BUILD, sea.name), args, factor: 1.5 }] : []),
      { name: `node ${runtime.version} + loader + bundle (code cache)`, cmd: join(BUILD, runtime.name), args: [join(BUILD, loader.name), join(BUILD, bundle.name), ...args], factor: 1.5, env: compileCache },
      { name: `npm-installed CLI (node ${process.versions.node})`, cmd: process.execPath, args: [join(ROOT, 'dist/payload/bin.js'), ...args], factor: 2 },
    ];
    const swaksArgs = ['--tls', '--quit-after', 'EHLO', '--server', `127.0.0.1:${p1}`, '-h', 'bench.lab.test'];
    const probeOnce = async (w: (typeof ways)[number]): Promise<number> => {
      rmSync(out, { recursive: true, force: true });
      const ms = await timeRun(w.cmd, w.args, undefined, w.env);
      const run = readdirSync(out).find((d) => d.startsWith('smtp-probe-'));
      const zip = run && existsSync(join(out, run, 'attachments/all_files.zip'));
      const s = run ? (JSON.parse(readFileSync(join(out, run, 'probe_summary.json'), 'utf8')) as { verdict: { class: string } }) : null;
      if (!zip || s?.verdict.class !== 'ok') throw new Error(`bench: ${w.name}: the probe of the lab Postfix was not ok or wrote no ZIP`);
      return ms;
    };
    for (const w of ways) await probeOnce(w); // page cache
    await timeRun('swaks', swaksArgs);
    const swaks: number[] = [];
    const ours = ways.map(() => [] as number[]);
    for (let i = 0; i < runs; i++) {
      for (let k = 0; k < ways.length; k++) {
        swaks.push(await timeRun('swaks', swaksArgs));
        ours[k]!.push(await probeOnce(ways[k]!));
      }
    }
    const ref = median(swaks);
    const load = loadavg()[0]!.toFixed(2);
    return ways.map((w, k) => {
      const v = median(ours[k]!);
      return {
        metric: `one STARTTLS probe, whole process with files and ZIP: ${w.name}`,
        value: v,
        unit: 'ms',
        reference: { name: `swaks --tls --quit-after EHLO, whole process; load ${load}`, value: ref },
        target: { text: `within ${w.factor}x of swaks`, ok: v <= w.factor * ref },
      };
    });
  } finally {
    pf.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

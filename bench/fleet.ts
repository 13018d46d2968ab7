// Fleet figures (issue 6): a sweep of N loopback sshd runners with the real payload, next
// to the floor (a bare `ssh host true` to every runner at once): cold (runtime not on the
// runners yet) and warm (cached), bytes uploaded, and the controller's and a worker's
// peak RSS at N=10 and N=N. BENCH_FLEET_N sets N (default 50).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPwsh } from '../lab/pwsh.js';
import { ManifestSchema, artifactsFor } from '../packaging/manifest.js';
import { timeRun, type Row } from './measure.js';
import { sshFloor } from '../lab/ssh-floor.js';
import { ROOT, labFleetAvailable, startLabFleet } from './lab-fleet.js';

const MB = 1024 * 1024;
const pwshAvailable = () => findPwsh() !== undefined;

async function probeAloneMs(n: number, dir: string, args: string[]): Promise<number> {
  const m = ManifestSchema.parse(JSON.parse(readFileSync(join(ROOT, 'build/payload/manifest.json'), 'utf8')));
  const { runtime, bundle, loader } = artifactsFor(m, 'linux-x64');
  // As deploy.sh starts it: the runtime on the loader, with a code cache folder, warmed once.
  const build = (name: string) => join(ROOT, 'build/payload', name);
  const env = { ...process.env, NODE_COMPILE_CACHE: join(dir, 'code-cache') };
  const once = (out: string) => timeRun(build(runtime.name), [build(loader.name), build(bundle.name), 'probe', ...args, '--quiet', '--out', join(dir, out)], undefined, env);
  await once('alone-warm');
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: n }, (_, i) => once(`alone-${i}`)));
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function fleetFigures(): Promise<Row[]> {
  if (!labFleetAvailable()) {
    console.error('bench: skipping the fleet sweep: sshd and Postfix (run as root) are needed');
    return [];
  }
  const n = Number(process.env.BENCH_FLEET_N ?? 50);
  // Windows-style runners (cmd.exe's limit, real PowerShell 7, node.exe under wine): few,
  // since each probe there starts PowerShell and wine on this machine's two cores.
  const winN = pwshAvailable() ? Number(process.env.BENCH_FLEET_WIN_N ?? 5) : 0;
  const lab = await startLabFleet({ n, subnet: 2, winN });
  try {
    const { sshd, dir, pki, sweep } = lab;
    const p1 = lab.smtpPort;
    const floor = await sshFloor(sshd, lab.keyPath, lab.knownHosts);
    const cold = await sweep(['--tag', 'linux']);
    const warm = await sweep(['--tag', 'linux']);
    const small = await sweep(['--tag', 'linux', '--limit', '10']);
    const win = winN ? { cold: await sweep(['--tag', 'windows']), warm: await sweep(['--tag', 'windows']), linux: await sweep(['--tag', 'linux', '--limit', String(winN)]) } : undefined;
    const floorAgain = await sshFloor(sshd, lab.keyPath, lab.knownHosts);
    const floorMs = Math.min(floor, floorAgain);
    // The runner-side work without SSH: on a real fleet each runner spends this on its own CPU;
    // here all N runners share this machine's two cores.
    const probeAlone = await probeAloneMs(n, dir, ['--host', '127.0.0.1', '--port', `${p1}:starttls`, '--ca', pki.caCert]);
    const workerRss = Math.max(...lab.workerRssMb());
    return [
      { metric: `fleet: cold sweep of ${n} sshd runners (runtime uploaded)`, value: cold.ms, unit: 'ms', reference: { name: `ssh true to all ${n} at once`, value: floorMs } },
      // No target of its own: "within 2x of the floor" was restated by issue 16 as the row
      // against the floor + the probe alone below, since here the 50 probes alone, on the two
      // cores the runners share, take longer than the floor itself.
      { metric: `fleet: warm sweep of ${n} sshd runners (runtime cached)`, value: warm.ms, unit: 'ms', reference: { name: `ssh true to all ${n} at once`, value: floorMs } },
      { metric: `fleet: the probe alone, ${n} runs at once on this machine (no SSH)`, value: probeAlone, unit: 'ms', reference: { name: `ssh true to all ${n} at once`, value: floorMs } },
      // An estimate, not the target: what the sweep adds beyond the probe's own CPU, which on a
      // real fleet each runner spends on itself rather than on this machine's two cores.
      // Issue 16: what SSH plus the probe cost on their own is the most a sweep can approach.
      { metric: `fleet: warm sweep of ${n} against the floor + the probe alone`, value: warm.ms, unit: 'ms', reference: { name: `ssh true to all ${n} at once + the probe alone ${n} at once`, value: floorMs + probeAlone }, target: { text: 'within 1.25x', ok: warm.ms <= 1.25 * (floorMs + probeAlone) } },
      { metric: `fleet: warm sweep minus the probe alone (estimate of the fleet's own cost)`, value: Math.max(0, warm.ms - probeAlone), unit: 'ms', reference: { name: `ssh true to all ${n} at once`, value: floorMs } },
      { metric: 'fleet: uploaded per runner, cold sweep', value: cold.uploaded / n / MB, unit: 'MB' },
      { metric: 'fleet: uploaded per runner, warm sweep', value: warm.uploaded / n / MB, unit: 'MB', target: { text: '< 2 MB', ok: warm.uploaded / n < 2 * MB } },
      { metric: `fleet: controller peak RSS, sweep of ${n}`, value: warm.controllerRssMb, unit: 'MB', reference: { name: 'sweep of 10', value: small.controllerRssMb }, target: { text: 'flat as N grows (within 1.25x)', ok: warm.controllerRssMb <= 1.25 * small.controllerRssMb } },
      { metric: `fleet: worker peak RSS (${Math.ceil(n / 2)} runners at once)`, value: workerRss, unit: 'MB' },
      { metric: `fleet: warm sweep, hosts ok`, value: warm.summary.counts.ok, unit: `of ${n}` },
      ...(win
        ? [
            { metric: `fleet: cold sweep of ${winN} Windows-style sshd runners (PowerShell 7, node.exe under wine)`, value: win.cold.ms, unit: 'ms', reference: { name: `warm sweep of ${winN} Linux runners`, value: win.linux.ms } },
            { metric: `fleet: warm sweep of ${winN} Windows-style sshd runners`, value: win.warm.ms, unit: 'ms', reference: { name: `warm sweep of ${winN} Linux runners`, value: win.linux.ms } },
            { metric: 'fleet: uploaded per Windows-style runner, cold sweep', value: win.cold.uploaded / winN / MB, unit: 'MB' },
            { metric: 'fleet: Windows-style warm sweep, hosts ok', value: win.warm.summary.counts.ok, unit: `of ${winN}` },
          ]
        : []),
    ];
  } finally {
    await lab.stop();
  }
}

// Records the committed simulated-runner fixture again (after deploy.sh or the probe's output
// changes): `npx tsc -p tsconfig.bench.json && node build/dev/lab/sim-record.js`, as root
// (sshd, Postfix). Writes test/fixtures/sim-runner/recording.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePki } from './ca.js';
import { waitForPort } from './index.js';
import { freePort } from './ports.js';
import { startPostfix } from './postfix.js';
import { recordSimRunner } from './sim-recording.js';

// Compiled to build/dev/lab: the package root is three levels up.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const SIM_FIXTURE = 'test/fixtures/sim-runner/recording.json';

const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-sim-record-'));
try {
  const pki = makePki(dir);
  const [p1, p2] = [await freePort(['127.0.0.1']), await freePort(['127.0.0.1'])];
  const pf = await startPostfix(join(dir, 'postfix'), pki, '127.0.0.1', p1, p2);
  try {
    await waitForPort('127.0.0.1', p1);
    const rec = await recordSimRunner({ dir, payloadDir: join(ROOT, 'build/payload'), probe: { server: '127.0.0.1', ports: [`${p1}:starttls`], flags: { ca: [pki.caCert] } } });
    const out = join(ROOT, SIM_FIXTURE);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(rec, null, 2) + '\n');
    console.log(`${out}: deploy pass ${rec.warm_deploy.duration_ms} ms, ZIP ${rec.zip.bytes} bytes`);
  } finally {
    pf.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

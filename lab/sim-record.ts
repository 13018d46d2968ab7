// Records the committed simulated-runner fixture again (after deploy.sh or the probe's output
// changes): `npx tsc -p tsconfig.bench.json && node dist/packaging/copy-scripts.js build/dev &&
// node build/dev/lab/sim-record.js`, as root
// (sshd, Postfix). Writes test/fixtures/sim-runner/recording.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordAgainstLabPostfix } from './sim-recording.js';

// Compiled to build/dev/lab: the package root is three levels up.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const SIM_FIXTURE = 'test/fixtures/sim-runner/recording.json';

const rec = await recordAgainstLabPostfix(join(ROOT, 'build/payload'));
const out = join(ROOT, SIM_FIXTURE);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(rec, null, 2) + '\n');
console.log(`${out}: deploy pass ${rec.warm_deploy.duration_ms} ms, ZIP ${rec.zip.bytes} bytes`);

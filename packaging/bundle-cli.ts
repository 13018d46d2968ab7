// The npm-installed `smtp-probe` (payload/bin.ts) runs the CLI as this one bundled file, the
// same bundle the runners get, rather than the ~100 ES modules tsc writes, which Node would
// find, read and compile one by one at every start (issue 16: about 150 ms of a probe).
import { resolve } from 'node:path';
import { bundleProbe } from './build-payload.js';

export const CLI_BUNDLE = resolve('dist', 'payload', 'smtp-probe.cjs');

await bundleProbe(CLI_BUNDLE);

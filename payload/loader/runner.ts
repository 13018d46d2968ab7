// What a runner starts: `node smtp-probe-loader-V.cjs BUNDLE COMMAND ARGS...` (deploy.sh,
// deploy.ps1). It runs the bundle with the code cache of code-cache.ts, in the folder the
// deploy script names with NODE_COMPILE_CACHE. Built to its own small file (npm run
// build:payload): the bundle cannot load itself this way, since Node has compiled it by the
// time any of its code runs.
import { runWithCodeCache } from './code-cache.js';

const bundle = process.argv[2];
if (!bundle) {
  process.stderr.write('smtp-probe loader: usage: node smtp-probe-loader.cjs BUNDLE [ARGS...]\n');
  process.exit(2);
}
// The bundle sees the argv it would see when started itself: [node, bundle, ...args].
process.argv.splice(1, 1);
try {
  runWithCodeCache(bundle);
} catch (err) {
  // An unreadable or broken bundle (the deploy script checked its sha256, so rare): one line, exit 1 (internal).
  const e = err as NodeJS.ErrnoException;
  process.stderr.write(`smtp-probe loader: cannot run ${bundle}: ${e.code ?? e.message ?? String(err)}\n`);
  process.exit(1);
}

// commander requires node:child_process when its module loads, for subcommands that are
// separate executables, which smtp-probe has none of. node:child_process is not in Node's
// start-up snapshot: compiling it (and what it pulls in) was ~7 ms of every probe's start
// on a slow machine (issue 16). In the bundle, commander gets the module on first spawn.
import { readFileSync } from 'node:fs';
import type { Plugin } from 'esbuild';
import { PackagingError } from './fetch-runtimes.js';

const EAGER = "const childProcess = require('node:child_process');";
const LAZY = "let loadedChildProcess; const childProcess = { spawn: (...a) => (loadedChildProcess ??= require('node:child_process')).spawn(...a) };";

/** commander's lib/command.js with its child_process loaded on demand; fails the build when commander changes under it. */
export function lazyChildProcessSource(source: string): string {
  const uses = new Set([...source.matchAll(/\bchildProcess\.(\w+)/g)].map((m) => m[1]));
  if (!source.includes(EAGER) || [...uses].some((u) => u !== 'spawn')) {
    throw new PackagingError(`commander's lib/command.js no longer loads node:child_process as this build expects (uses: ${[...uses].join(', ') || 'none'}): update packaging/lazy-child-process.ts`);
  }
  return source.replace(EAGER, LAZY);
}

export const lazyChildProcess: Plugin = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => ({
      loader: 'js',
      contents: lazyChildProcessSource(readFileSync(args.path, 'utf8')),
    }));
  },
};

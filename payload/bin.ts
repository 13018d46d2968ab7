#!/usr/bin/env node
// What `npm install`'s `smtp-probe` command runs. The whole CLI is one bundled file next to
// this one (dist/payload/smtp-probe.cjs, made by `npm run build`), loaded with a code cache:
// one file read and, from the second run on, little compiling, instead of the ~100 modules of
// dist/ loaded one by one (issue 16). The cache is V8's, made at the end of each command's first
// run (loader/code-cache.ts), on every Node: Node's own compile cache holds only the top level.
// A dist/ without the bundle (a bare `tsc`) still works, through the modules.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runWithCodeCache } from './loader/code-cache.js';

const bundle = fileURLToPath(new URL('./smtp-probe.cjs', import.meta.url));

if (!existsSync(bundle)) await import('./cli.js');
else runWithCodeCache(bundle);

#!/usr/bin/env node
// What `npm install`'s `smtp-probe` command runs. The whole CLI is one bundled file next to
// this one (dist/payload/smtp-probe.cjs, made by `npm run build`), loaded with Node's compile
// cache where the Node has one (22.1 and later): one file read and, from the second run on,
// no compiling, instead of the ~100 modules of dist/ loaded one by one (issue 16). A dist/
// without the bundle (a bare `tsc`) still works, through the modules.
import { existsSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('./smtp-probe.cjs', import.meta.url));
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
if (existsSync(bundle)) createRequire(import.meta.url)(bundle);
else await import('./cli.js');

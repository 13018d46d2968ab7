// tsc compiles only TypeScript: the remote scripts and diagnose's PowerShell files are
// copied next to the modules that read them (dist/transport/scripts, dist/payload/diagnose/scripts).
import { cpSync } from 'node:fs';
import { resolve } from 'node:path';

export const SCRIPT_FOLDERS = ['transport/scripts', 'payload/diagnose/scripts'];

for (const folder of SCRIPT_FOLDERS) cpSync(resolve(folder), resolve('dist', folder), { recursive: true });

// tsc compiles only TypeScript: the remote scripts and diagnose's PowerShell files are
// copied next to the modules that read them (dist/transport/scripts, dist/payload/diagnose/scripts;
// or under another build folder given as the argument: the bench's build/dev).
import { cpSync } from 'node:fs';
import { resolve } from 'node:path';

export const SCRIPT_FOLDERS = ['transport/scripts', 'payload/diagnose/scripts'];

const out = process.argv[2] ?? 'dist';
for (const folder of SCRIPT_FOLDERS) cpSync(resolve(folder), resolve(out, folder), { recursive: true });

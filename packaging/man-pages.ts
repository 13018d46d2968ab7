// Writes the man pages (dist/man/smtp-probe.1, smtp-fleet.1) from the built CLIs' own
// `man` command, so the pages describe exactly the options the parsers take. package.json's
// "man" field installs them with the package.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const MAN_PAGES = [
  ['smtp-probe', 'payload/cli.js'],
  ['smtp-fleet', 'controller/cli.js'],
] as const;

const out = process.argv[2] ?? 'dist';
mkdirSync(resolve(out, 'man'), { recursive: true });
for (const [name, cli] of MAN_PAGES) {
  const page = execFileSync(process.execPath, [resolve(out, cli), 'man'], { encoding: 'utf8' });
  writeFileSync(resolve(out, 'man', `${name}.1`), page);
}

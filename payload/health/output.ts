// What `smtp-probe health` prints: a line per provider and the verdict, or the JSON.
import { copyFileSync, renameSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ZIP_PATH } from '../report/output.js';
import type { HealthSummary } from '../schema/health.js';
import { UsageError, errorCode } from '../util/errors.js';

export function healthText(s: HealthSummary, path: string): string {
  const rel = relative(process.cwd(), path) || '.';
  const shown = rel.startsWith('..') ? path : `./${rel}`;
  return [...s.providers.map((p) => p.line), '', `verdict:    ${s.verdict.kind} - ${s.verdict.summary}`, `next step:  ${s.verdict.next_step}`, `report:     ${shown}/report.md`, `zip:        ${shown}/${ZIP_PATH}`, ''].join('\n');
}

export function finishHealth(flags: { zipTo?: string; json?: boolean; quiet?: boolean }, s: HealthSummary, path: string): void {
  if (flags.zipTo) {
    const tmp = `${flags.zipTo}.partial`;
    try {
      copyFileSync(join(path, ZIP_PATH), tmp);
      renameSync(tmp, flags.zipTo);
    } catch (err) {
      throw new UsageError(`cannot write --zip-to "${flags.zipTo}": ${errorCode(err) ?? 'not writable'}`);
    }
  }
  if (flags.json) process.stdout.write(JSON.stringify(s, null, 2) + '\n');
  else if (!flags.quiet) process.stdout.write(healthText(s, path));
}

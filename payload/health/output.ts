// What `smtp-probe health` prints: a line per provider and the verdict, or the JSON.
import { join, relative } from 'node:path';
import { ZIP_PATH } from '../report/output.js';
import type { HealthSummary } from '../schema/health.js';
import { copyZip } from '../probe/run.js';
import { jsonText } from '../report/json-text.js';

export function healthText(s: HealthSummary, path: string): string {
  const rel = relative(process.cwd(), path) || '.';
  const shown = rel.startsWith('..') ? path : `./${rel}`;
  return [...s.providers.map((p) => p.line), '', `verdict:    ${s.verdict.kind} - ${s.verdict.summary}`, `next step:  ${s.verdict.next_step}`, `report:     ${shown}/report.md (and report.html)`, `zip:        ${shown}/${ZIP_PATH}`, ''].join('\n');
}

export function finishHealth(flags: { zipTo?: string; json?: boolean; quiet?: boolean }, s: HealthSummary, path: string): void {
  if (flags.zipTo) copyZip(join(path, ZIP_PATH), flags.zipTo);
  if (flags.json) process.stdout.write(jsonText(s));
  else if (!flags.quiet) process.stdout.write(healthText(s, path));
}

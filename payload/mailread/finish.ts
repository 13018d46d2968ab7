// After commit: --zip-to, then stdout as --json / --quiet / the human summary ask.
import { copyFileSync, renameSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ZIP_PATH } from '../report/output.js';
import type { MailreadSummary } from '../schema/mailread.js';
import { UsageError, errorCode } from '../util/errors.js';
import { jsonText } from '../report/json-text.js';

export function finishRunPaths(flags: { zipTo?: string; json?: boolean; quiet?: boolean }, s: MailreadSummary, path: string): void {
  if (flags.zipTo) {
    const tmp = `${flags.zipTo}.partial`;
    try {
      copyFileSync(join(path, ZIP_PATH), tmp);
      renameSync(tmp, flags.zipTo);
    } catch (err) {
      throw new UsageError(`cannot write --zip-to "${flags.zipTo}": ${errorCode(err) ?? 'not writable'}`);
    }
  }
  if (flags.json) return void process.stdout.write(jsonText(s));
  if (flags.quiet) return;
  const rel = relative(process.cwd(), path) || '.';
  const shown = rel.startsWith('..') ? path : `./${rel}`;
  const v = s.verdict;
  const lines = [
    `verdict:    ${v.class} - ${v.summary}`,
    `evidence:   ${v.evidence}`,
    `next step:  ${v.next_step}`,
    ...s.attempts.map((a) => `${`${a.port}/${a.mode}:`.padEnd(12)}${a.address} ${a.classification.class}${a.login ? `, login ${a.login.status}` : ''}`),
    `report:     ${shown}/report.md (and report.html)`,
    `zip:        ${shown}/${ZIP_PATH}`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

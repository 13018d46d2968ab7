// Files a pipeline asked for by name (--junit, --jsonl): written to a temporary name next to
// the target and renamed, so a CI step or a monitor polling the path never reads half a file.
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError, errorCode } from '../util/errors.js';

/** `-` for --jsonl: the lines go to stdout. */
export const STDOUT = '-';

/** Checked before any work: a typo in the folder is one line now, not a lost run later. */
export function checkOutputPath(flag: string, path: string | undefined, allowStdout = false): void {
  if (path === undefined || (allowStdout && path === STDOUT)) return;
  if (path === '' || path === STDOUT) throw new UsageError(`${flag} needs a file name${allowStdout ? ' (or - for stdout)' : ''}`);
  const dir = dirname(resolve(path));
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new UsageError(`cannot write ${flag} "${path}": ${errorCode(err) ?? 'no such folder'}`);
  }
  if (!st.isDirectory()) throw new UsageError(`cannot write ${flag} "${path}": ENOTDIR`);
  if (statSync(resolve(path), { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`cannot write ${flag} "${path}": EISDIR`);
}

export function writeOutputFile(flag: string, path: string, text: string): void {
  if (path === STDOUT) {
    process.stdout.write(text);
    return;
  }
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new UsageError(`cannot write ${flag} "${path}": ${errorCode(err) ?? 'not writable'}`);
  }
}

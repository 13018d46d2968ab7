// The run folder: written under a hidden temporary name and renamed into place at the
// end, so an interrupted or failed run never leaves a half-written smtp-probe-* folder.
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { makeDirs } from '../util/make-dirs.js';
import { dirname, join } from 'node:path';
import { UsageError, errorCode } from '../util/errors.js';
import { writeZip } from './zip.js';

export const ZIP_PATH = 'attachments/all_files.zip';

/** `smtp-probe-YYYYMMDD_HHMMSS`, in UTC so runs from runners in many time zones sort together. */
export function runFolderName(d: Date, prefix = 'smtp-probe'): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${prefix}-${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}_${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** Rewrites a file's bytes as it is added (diagnose passes every file through its redactor). */
export type FileFilter = (name: string, data: Buffer) => Buffer;

export class RunFolder {
  private finished = false;
  private readonly files: Array<{ name: string; data: Buffer }> = [];

  private constructor(
    readonly outDir: string,
    readonly tmp: string,
    readonly name: string,
    private readonly filter: FileFilter | null,
  ) {}

  /** Checks --out up front (before any probing) and reserves a temporary folder in it. */
  static open(outDir: string, name: string, filter: FileFilter | null = null): RunFolder {
    try {
      makeDirs(outDir);
      if (!statSync(outDir).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
      const tmp = mkdtempSync(join(outDir, `.${name}.partial-`));
      const folder = new RunFolder(outDir, tmp, name, filter);
      const cleanup = () => folder.abandon();
      process.once('exit', cleanup);
      return folder;
    } catch (err) {
      throw new UsageError(`cannot write to --out "${outDir}": ${errorCode(err) ?? 'not writable'}`);
    }
  }

  add(name: string, data: string | Buffer): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.files.push({ name, data: this.filter ? this.filter(name, bytes) : bytes });
  }

  names(): string[] {
    return this.files.map((f) => f.name);
  }

  /** The files added so far, as they will be written (after the filter). */
  entries(): ReadonlyArray<{ name: string; data: Buffer }> {
    return this.files;
  }

  /** Writes every file, the ZIP of them all, and moves the folder into place. Returns its path. */
  async commit(): Promise<string> {
    for (const f of this.files) {
      mkdirSync(dirname(join(this.tmp, f.name)), { recursive: true });
      writeFileSync(join(this.tmp, f.name), f.data);
    }
    mkdirSync(join(this.tmp, 'attachments'), { recursive: true });
    writeZip(join(this.tmp, ZIP_PATH), this.files);
    let final = join(this.outDir, this.name);
    for (let i = 2; exists(final); i++) final = join(this.outDir, `${this.name}-${i}`);
    renameSync(this.tmp, final);
    this.finished = true;
    return final;
  }

  abandon(): void {
    if (!this.finished) rmSync(this.tmp, { recursive: true, force: true });
    this.finished = true;
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

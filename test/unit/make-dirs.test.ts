// makeDirs: mkdir -p that fails at once where Node's recursive mkdir spins (procfs).
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirs } from '../../payload/util/make-dirs.js';

describe('makeDirs', () => {
  it('creates missing folders, accepts existing ones, refuses a file in the way', () => {
    const base = mkdtempSync(join(tmpdir(), 'mkdirs-'));
    makeDirs(join(base, 'a', 'b', 'c'));
    expect(existsSync(join(base, 'a', 'b', 'c'))).toBe(true);
    makeDirs(join(base, 'a', 'b'));
    writeFileSync(join(base, 'f'), '');
    expect(() => makeDirs(join(base, 'f', 'x'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  it.runIf(existsSync('/proc/self'))('fails with ENOENT under /proc instead of looping (Node recursive mkdir spins there)', () => {
    expect(() => makeDirs('/proc/smtp-probe-x/y')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

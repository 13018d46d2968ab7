// mkdir -p without Node's recursive mkdir, which loops forever where mkdir keeps answering
// ENOENT under an existing parent (procfs: `--out /proc/x` spun at 100% CPU and, being
// synchronous, ignored SIGTERM). Here every step is one system call and the walk is bounded.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const MAX_DEPTH = 256;

export function makeDirs(path: string): void {
  const missing: string[] = [];
  let p = resolve(path);
  for (let depth = 0; ; depth++) {
    if (depth > MAX_DEPTH) throw Object.assign(new Error(`${path}: too deep`), { code: 'ENAMETOOLONG' });
    try {
      if (!statSync(p).isDirectory()) throw Object.assign(new Error(`${p} is not a folder`), { code: 'ENOTDIR' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(p);
      const up = dirname(p);
      if (up === p) throw err;
      p = up;
    }
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

// Expands --aa-logs patterns (`*`, `?`, `**`; / or \ as separator) without a dependency:
// Node 20 has no fs.glob, and the payload ships without extra packages.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MAX_ENTRIES = 20_000;

function segmentRegex(seg: string, caseless: boolean): RegExp {
  const body = seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/\\\\]*').replace(/\?/g, '[^/\\\\]');
  return new RegExp(`^${body}$`, caseless ? 'i' : '');
}

/** Files matching `pattern`, sorted; unreadable folders are skipped. */
export function expandGlob(pattern: string, platform: NodeJS.Platform = process.platform): string[] {
  const caseless = platform === 'win32' || platform === 'darwin';
  const parts = pattern.split(/[/\\]+/);
  let roots: string[];
  if (pattern.startsWith('/') || pattern.startsWith('\\')) {
    roots = [pattern.startsWith('\\\\') ? '\\\\' : '/'];
    parts.shift();
  } else if (/^[A-Za-z]:$/.test(parts[0] ?? '')) roots = [`${parts.shift()}\\`];
  else roots = ['.'];
  let seen = 0;
  const list = (dir: string): string[] => {
    try {
      const names = readdirSync(dir);
      seen += names.length;
      return seen > MAX_ENTRIES ? [] : names;
    } catch {
      return [];
    }
  };
  const isDir = (p: string) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  let current = roots;
  parts.forEach((seg, i) => {
    const last = i === parts.length - 1;
    const next: string[] = [];
    if (seg === '**') {
      // Zero or more folders: this one and every folder below it.
      const stack = [...current];
      while (stack.length) {
        const d = stack.pop()!;
        next.push(d);
        for (const n of list(d)) if (isDir(join(d, n))) stack.push(join(d, n));
      }
    } else if (!/[*?]/.test(seg)) {
      for (const d of current) next.push(join(d, seg));
    } else {
      const re = segmentRegex(seg, caseless);
      for (const d of current) for (const n of list(d)) if (re.test(n)) next.push(join(d, n));
    }
    current = last ? next : next.filter(isDir);
  });
  return [...new Set(current)].filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  }).sort();
}

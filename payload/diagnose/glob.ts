// Expands --aa-logs patterns (`*`, `?`, `[...]`, `{a,b}`, `**`; / or \ as separator). Node 20 has
// no fs.glob; picomatch (no dependencies, bundled by esbuild) matches each path segment, and the
// walk stays here so it can be bounded (MAX_ENTRIES) and read `C:\...` patterns on any system.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';

const MAX_ENTRIES = 20_000;

/** One folder level of the pattern; `dot`: a `*` matches `.name` too, as the AA folders need no hiding. */
function segmentMatcher(seg: string, caseless: boolean): (name: string) => boolean {
  return picomatch(seg, { nocase: caseless, dot: true });
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
    } else if (!picomatch.scan(seg).isGlob) {
      for (const d of current) next.push(join(d, seg));
    } else {
      const matches = segmentMatcher(seg, caseless);
      for (const d of current) for (const n of list(d)) if (matches(n)) next.push(join(d, n));
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

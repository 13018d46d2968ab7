// payload/ runs alone on a runner: it may import only itself, Node built-ins and the
// package's runtime dependencies. (The lint rule says the same for fleet folders; this
// test also catches dev-only packages, which would be missing from a bundle.)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('payload boundary', () => {
  it('imports nothing outside payload/ but built-ins and runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const allowed = new Set(Object.keys(pkg.dependencies));
    const payload = join(ROOT, 'payload');
    const bad: string[] = [];
    for (const file of tsFiles(payload)) {
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        const spec = (m[1] ?? m[2])!;
        const where = relative(ROOT, file);
        if (spec.startsWith('.')) {
          if (relative(payload, resolve(dirname(file), spec)).startsWith('..')) bad.push(`${where}: ${spec}`);
        } else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!allowed.has(name)) bad.push(`${where}: ${spec} (not a runtime dependency)`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});

// Data flows one way: inventory -> controller -> queue -> worker (queue/job-runner.ts) ->
// transport -> payload on the runner -> ZIP -> store -> report. A folder may import only the
// folders below it; none of them imports test/, lab/ or bench/.
const MAY_IMPORT: Record<string, string[]> = {
  controller: ['queue', 'store', 'inventory', 'packaging', 'payload'],
  queue: ['store', 'transport', 'inventory', 'packaging', 'payload'],
  store: ['transport', 'inventory', 'payload'],
  transport: ['payload'],
  inventory: ['payload'],
  packaging: ['payload'],
  payload: [],
};

describe('one-way data flow between folders', () => {
  it('has no import climbing back up', () => {
    const bad: string[] = [];
    for (const [folder, allowed] of Object.entries(MAY_IMPORT)) {
      for (const file of tsFiles(join(ROOT, folder))) {
        const src = readFileSync(file, 'utf8');
        for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
          const target = relative(ROOT, resolve(dirname(file), (m[1] ?? m[2])!)).split('/')[0]!;
          if (target !== folder && !allowed.includes(target)) bad.push(`${relative(ROOT, file)} imports ${target}/`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('README layout', () => {
  it('names every top-level folder of the tree, and only those', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /## Layout\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const named = new Set([...block.matchAll(/^([a-z.][\w.-]*)\/\s/gm)].map((m) => m[1]!));
    const IGNORED = new Set(['node_modules', 'dist', 'build', '.git', '.cache', 'fleet-store', '.ci']);
    const folders = readdirSync(ROOT, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !IGNORED.has(e.name) && !e.name.startsWith('smtp-probe-') && !e.name.startsWith('.smtp-probe-'))
      .map((e) => e.name);
    expect([...named].sort()).toEqual(folders.sort());
  });
});

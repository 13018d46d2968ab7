// The code-cache folder is bounded: a runner upgraded for years must not keep every version's
// compiled code (~0.8 MB per command and version).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CODE_CACHE_MAX_FILES, pruneCodeCache } from '../../payload/loader/code-cache.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const d = mkdtempSync(join(tmpdir(), 'smtp-probe-prune-'));
  dirs.push(d);
  return d;
}

/** A file whose modification time is `ageS` seconds before `now`. */
function put(dir: string, name: string, now: number, ageS: number): void {
  writeFileSync(join(dir, name), 'x');
  const t = (now - ageS * 1000) / 1000;
  utimesSync(join(dir, name), t, t);
}

describe('pruneCodeCache', () => {
  it('keeps the newest files up to the bound and leaves every other file alone', () => {
    const dir = folder();
    const now = Date.now();
    const n = CODE_CACHE_MAX_FILES + 8;
    // File i is i hours old: the 8 oldest must go.
    for (let i = 0; i < n; i++) put(dir, `smtp-probe-v22.11.0-x64-${i.toString(36)}-probe.v8cache`, now, i * 3600);
    put(dir, 'notes.txt', now, 999 * 3600);
    put(dir, 'smtp-probe-v22.11.0-x64-a-probe.v8cache.bak', now, 999 * 3600);
    mkdirSync(join(dir, 'v22.11.0-x64-3f2a1b')); // Node's own compile cache shares NODE_COMPILE_CACHE
    pruneCodeCache(dir, now);
    const left = readdirSync(dir);
    const caches = left.filter((f) => f.endsWith('.v8cache'));
    expect(caches).toHaveLength(CODE_CACHE_MAX_FILES);
    for (let i = 0; i < n; i++) expect(caches.includes(`smtp-probe-v22.11.0-x64-${i.toString(36)}-probe.v8cache`)).toBe(i < CODE_CACHE_MAX_FILES);
    expect(left).toEqual(expect.arrayContaining(['notes.txt', 'smtp-probe-v22.11.0-x64-a-probe.v8cache.bak', 'v22.11.0-x64-3f2a1b']));
  });

  it('removes a dead writer\'s temporary file, not one being written now', () => {
    const dir = folder();
    const now = Date.now();
    put(dir, 'smtp-probe-v20.19.0-x64-a-explain.v8cache.4242.tmp', now, 2 * 3600);
    put(dir, 'smtp-probe-v20.19.0-x64-a-probe.v8cache.4343.tmp', now, 5);
    put(dir, 'smtp-probe-v20.19.0-x64-a-probe.v8cache', now, 5);
    pruneCodeCache(dir, now);
    expect(readdirSync(dir).sort()).toEqual(['smtp-probe-v20.19.0-x64-a-probe.v8cache', 'smtp-probe-v20.19.0-x64-a-probe.v8cache.4343.tmp']);
  });

  it('a folder under the bound is left as it is', () => {
    const dir = folder();
    const now = Date.now();
    for (let i = 0; i < 5; i++) put(dir, `smtp-probe-v20.19.0-x64-${i}-other.v8cache`, now, 400 * 86400);
    pruneCodeCache(dir, now);
    expect(readdirSync(dir)).toHaveLength(5);
  });
});

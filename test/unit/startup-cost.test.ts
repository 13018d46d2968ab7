// Issue 16: what a plain probe loads before it connects. zod and the schemas (~45 ms), the
// socks package and ICU's time-zone service are left out of that path; these tests fail
// when a static import or a call brings one back.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleProbe } from '../../packaging/build-payload.js';
import { englishOnlyLocales } from '../../packaging/zod-english-only.js';
import { lazyChildProcessSource } from '../../packaging/lazy-child-process.js';
import { ipFamily } from '../../payload/util/ip-family.js';
import { describe, expect, it, inject } from 'vitest';
import { timeZoneName } from '../../payload/collect/env.js';
import { selfChecked } from '../../payload/schema/self-check.js';
import { ROOT } from '../helpers.js';

/** Files reachable from `entry` over static imports only (a dynamic import() loads on demand); type-only imports are gone after esbuild. */
async function staticallyLoaded(entry: string): Promise<{ files: Map<string, string | null>; builtins: Map<string, string> }> {
  const r = await build({ entryPoints: [join(ROOT, entry)], absWorkingDir: ROOT, bundle: true, platform: 'node', format: 'esm', splitting: true, write: false, metafile: true, outdir: join(ROOT, 'build/graph'), logLevel: 'silent' });
  const seen = new Map<string, string | null>();
  const builtins = new Map<string, string>();
  const queue: Array<[string, string | null]> = [[entry, null]];
  while (queue.length) {
    const [file, from] = queue.shift()!;
    if (seen.has(file)) continue;
    seen.set(file, from);
    for (const i of r.metafile.inputs[file]?.imports ?? []) {
      if (i.kind !== 'import-statement') continue;
      if (i.external) builtins.set(i.path.replace(/^node:/, ''), file);
      else queue.push([i.path, file]);
    }
  }
  return { files: seen, builtins };
}

describe('a plain probe start', () => {
  it('loads neither zod, the socks package, node:http nor node:child_process before it connects (the CLI and the probe command)', async () => {
    for (const entry of ['payload/cli.ts', 'payload/probe/run.ts', 'payload/probe/presets.ts']) {
      const { files: loaded, builtins } = await staticallyLoaded(entry);
      // Built-ins outside Node's start-up snapshot are compiled on first load; these are needed only with a proxy, --pcap or on Windows.
      expect(['http', 'https', 'child_process'].filter((b) => builtins.has(b)).map((b) => `${b} <- ${builtins.get(b)}`), entry).toEqual([]);
      const heavy = [...loaded].filter(([f]) => /node_modules\/(zod|socks)\//.test(f)).map(([f, from]) => `${f} <- ${from}`);
      expect(heavy.slice(0, 3), entry).toEqual([]);
      expect(loaded.size, entry).toBeGreaterThan(5); // the graph was walked at all
    }
  }, 30_000);

  it('names the time zone from TZ or the /etc/localtime link, as Intl would, without asking Intl', () => {
    expect(timeZoneName({ TZ: 'Europe/Paris' })).toBe('Europe/Paris');
    expect(timeZoneName({ TZ: ':America/New_York' })).toBe('America/New_York');
    expect(timeZoneName({ TZ: 'Etc/UTC' })).toBe('UTC');
    const dir = mkdtempSync(join(inject('scratch'), 'tz-'));
    const link = join(dir, 'localtime');
    symlinkSync('/usr/share/zoneinfo/Asia/Kolkata', link);
    if (process.platform !== 'win32') expect(timeZoneName({}, link)).toBe('Asia/Kolkata');
    // No TZ, no link: Intl's own answer.
    expect(timeZoneName({}, join(dir, 'absent'))).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    // This machine: the same answer both ways.
    expect(timeZoneName({})).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });
});

describe('the bundle a runner starts', () => {
  it('loads neither node:child_process nor any zod locale but English when the CLI starts', async () => {
    const dir = mkdtempSync(join(inject('scratch'), 'bundle-'));
    const bundle = join(dir, 'smtp-probe.cjs');
    await bundleProbe(bundle);
    const text = readFileSync(bundle, 'utf8');
    // zod's catalogues carry their languages' own words (esbuild escapes them): German's is gone.
    expect(text).not.toMatch(/Ung(ü|\\xFC|\\u00FC)ltige Eingabe/);
    expect(text).toContain('Invalid input');
    const hook = join(dir, 'loaded.cjs');
    writeFileSync(hook, "process.on('exit', () => process._rawDebug(JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')))));\n");
    for (const args of [['--version'], ['explain', '550 5.7.1 relaying denied']]) {
      const r = spawnSync(process.execPath, ['-r', hook, bundle, ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const loaded = JSON.parse(r.stderr.trim().split('\n').pop()!) as string[];
      expect(loaded.filter((m) => /child_process/.test(m)), args.join(' ')).toEqual([]);
      expect(loaded.length, args.join(' ')).toBeGreaterThan(10); // the list was read at all
    }
  }, 60_000);

  it('refuses to build when commander or zod no longer look as the build rewrites them', () => {
    const lazy = lazyChildProcessSource("const childProcess = require('node:child_process');\nchildProcess.spawn(a);");
    expect(lazy).not.toContain("const childProcess = require('node:child_process');");
    expect(lazy).toContain('childProcess.spawn(a)');
    expect(() => lazyChildProcessSource("const childProcess = require('node:child_process');\nchildProcess.fork(a);")).toThrow(/fork/);
    expect(() => lazyChildProcessSource("import childProcess from 'node:child_process';")).toThrow(/update packaging/);
    expect(englishOnlyLocales('export { default as ar } from "./ar.js";\nexport { default as en } from "./en.js";\n')).toBe('export { default as en } from "./en.js";\n');
    expect(() => englishOnlyLocales('export * from "./all.js";\nexport { default as en } from "./en.js";\n')).toThrow(/update packaging/);
    expect(() => englishOnlyLocales('export { default as de } from "./de.js";\n')).toThrow(/update packaging/);
  });

  it('tells IP families apart as node:net does, without its IPv6 pattern for names', () => {
    const texts = ['127.0.0.1', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '::', '::1', '1::', 'fe80::1%eth0', '::ffff:192.0.2.1', '2001:db8::1:2:3:4:5', '2001:db8::g', 'a:b', ':', 'smtp.gmail.com', 'localhost', '', ' 127.0.0.1', '[::1]', '1.2.3.4:25'];
    for (const t of texts) expect(ipFamily(t), JSON.stringify(t)).toBe(isIP(t));
  });
});

describe('self-check of written objects (on under test)', () => {
  it('passes an object its schema keeps as it is, and fails one the schema would change or refuse', async () => {
    const matrix = {
      runtime: { node: '22.23.3', openssl: '3.0', default_min_version: 'TLSv1.2', default_max_version: 'TLSv1.3', default_offer: ['TLSv1.2', 'TLSv1.3'], can_offer: ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'], default_ciphers: 'DEFAULT', notes: [] },
      ports: [],
      limits: { max_handshakes_per_port: 40, budget_ms_per_port: 20_000, concurrency: 4 },
      skipped: null,
    };
    await expect(selfChecked('tls-matrix', matrix)).resolves.toBe(matrix);
    await expect(selfChecked('tls-matrix', { ...matrix, stray: 1 })).rejects.toThrow(/self-check: tls-matrix/);
    await expect(selfChecked('attempt-line', { schema: 'smtp-probe/attempt' })).rejects.toThrow(/does not match its schema/);
  });
});

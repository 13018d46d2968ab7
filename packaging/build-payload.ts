// `npm run build:payload`: the probe as one bundled file, the pinned Node runtime per
// target, optionally single executables, and manifest.json with every artifact's sha256.
// Works offline once `npm ci` has cached the runtimes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { VERSION } from '../payload/version.js';
import { PackagingError, extractRuntime } from './fetch-runtimes.js';
import { lazyChildProcess } from './lazy-child-process.js';
import { ensureWinePrefix, findWine, runViaFiles } from './wine.js';
import { zodEnglishOnly } from './zod-english-only.js';
import { MANIFEST_VERSION, ManifestSchema, type Artifact, type Manifest } from './manifest.js';
import { NODE_VERSION, RUNTIMES, TARGETS, type Target } from './runtimes.js';

export const DEFAULT_OUT = resolve('build', 'payload');
export const bundleName = (version = VERSION) => `smtp-probe-${version}.cjs`;
const loaderName = (version = VERSION) => `smtp-probe-loader-${version}.cjs`;
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface BuildOptions {
  out: string;
  targets: Target[];
  /** Targets that also get a single executable. */
  sea: Target[];
  log?: (line: string) => void;
}

export async function buildPayload(opts: BuildOptions): Promise<Manifest> {
  const log = opts.log ?? (() => {});
  const tmpOut = `${opts.out}.partial`;
  rmSync(tmpOut, { recursive: true, force: true });
  mkdirSync(tmpOut, { recursive: true });
  const artifacts: Artifact[] = [];
  const add = (name: string, role: Artifact['role'], platform: Artifact['platform'], version: string, signed?: boolean) => {
    const data = readFileSync(join(tmpOut, name));
    artifacts.push({ name, role, platform, version, bytes: data.length, sha256: sha256(data), ...(signed === undefined ? {} : { signed }) });
  };

  const bundle = bundleName();
  await bundleProbe(join(tmpOut, bundle));
  add(bundle, 'bundle', 'any', VERSION);
  log(`bundle     ${bundle}`);
  const loader = loaderName();
  await bundleLoader(join(tmpOut, loader));
  add(loader, 'loader', 'any', VERSION);
  log(`loader     ${loader}`);

  for (const target of opts.targets) {
    const pin = RUNTIMES[target];
    mkdirSync(join(tmpOut, target));
    const rel = `${target}/${pin.exe}`;
    extractRuntime(target, join(tmpOut, rel));
    chmodSync(join(tmpOut, rel), 0o755);
    add(rel, 'runtime', target, pin.version, target === 'win-x64' ? peHasSignature(join(tmpOut, rel)) : undefined);
    log(`runtime    ${rel} (node ${pin.version})`);
    if (opts.sea.includes(target)) {
      const exe = `${target}/smtp-probe${target === 'win-x64' ? '.exe' : ''}`;
      await makeSingleExecutable(target, join(tmpOut, rel), join(tmpOut, bundle), join(tmpOut, exe));
      // Injecting a blob invalidates node.exe's signature: say so rather than ship it as signed.
      add(exe, 'single-executable', target, VERSION, target === 'win-x64' ? false : undefined);
      log(`executable ${exe}`);
    }
  }

  const manifest = ManifestSchema.parse({
    manifest_version: MANIFEST_VERSION,
    name: 'smtp-probe-payload',
    version: VERSION,
    node_version: NODE_VERSION,
    built_at: new Date().toISOString(),
    artifacts,
  });
  writeFileSync(join(tmpOut, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  rmSync(opts.out, { recursive: true, force: true });
  renameSync(tmpOut, opts.out);
  return manifest;
}

/** payload/diagnose/scripts.ts reads its .ps1 files at run time; in the bundle they are inlined. */
const inlineDiagnoseScripts: Plugin = {
  name: 'inline-diagnose-scripts',
  setup(b) {
    b.onLoad({ filter: /[\\/]payload[\\/]diagnose[\\/]scripts\.ts$/ }, () => {
      const dir = resolve('payload', 'diagnose', 'scripts');
      const scripts = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
      return { loader: 'js', contents: `const SCRIPTS = ${JSON.stringify(scripts)};\nexport function diagnoseScript(name) { return SCRIPTS[name]; }\n` };
    });
  },
};

/** One CommonJS file (what a single executable needs), no native addons, Node 20 syntax. */
export async function bundleProbe(outfile: string): Promise<void> {
  const result = await build({
    entryPoints: [resolve('payload', 'cli.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'eof',
    // import() of a Node built-in becomes require(): the npm bin compiles the bundle as a vm
    // Script on Node 20 (payload/bin.ts), where a dynamic import() has no loader to call.
    supported: { 'dynamic-import': false },
    outfile,
    metafile: true,
    logLevel: 'silent',
    plugins: [inlineDiagnoseScripts, lazyChildProcess, zodEnglishOnly],
  });
  const native = Object.keys(result.metafile.inputs).filter((f) => f.endsWith('.node'));
  if (native.length) throw new PackagingError(`the payload may not contain native addons: ${native.join(', ')}`);
  const foreign = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('payload/') && !f.startsWith('node_modules/'));
  if (foreign.length) throw new PackagingError(`the payload bundle pulled in files outside payload/: ${foreign.join(', ')}`);
}

/** The runner's loader (payload/loader/runner.ts): the bundle started with a full code cache. */
export async function bundleLoader(outfile: string): Promise<void> {
  await build({ entryPoints: [resolve('payload', 'loader', 'runner.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, outfile, logLevel: 'silent' });
}

/**
 * The SEA blob must come from the very Node that will run it, so the target runtime
 * itself makes it: natively for linux-x64, under wine for win-x64 (when wine is here).
 */
async function makeSingleExecutable(target: Target, runtime: string, bundle: string, out: string): Promise<void> {
  const wine = wineFor(target);
  const version = runViaFiles([runtime, '--version'], { wine }).stdout.trim();
  if (version !== `v${NODE_VERSION}`) {
    throw new PackagingError(`cannot build the ${target} single executable: its blob must be made by node ${NODE_VERSION} itself, but running ${relative(process.cwd(), runtime)} gave ${version ? `"${version}"` : 'nothing'}`);
  }
  const dir = `${out}.sea`;
  mkdirSync(dir, { recursive: true });
  try {
    const blob = join(dir, 'sea.blob');
    const config = join(dir, 'sea-config.json');
    // The code cache spares V8 compiling the bundle at every start (about a third of a
    // probe's CPU). No startup snapshot: it needs the main script written against
    // v8.startupSnapshot, and the probe's start is mostly I/O it cannot capture.
    writeFileSync(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: true }));
    const made = runViaFiles([runtime, '--experimental-sea-config', config], { wine });
    if (made.status !== 0) throw new PackagingError(`${target}: making the SEA blob failed: ${(made.stderr || made.stdout).trim().split('\n').pop()}`);
    copyFileSync(runtime, out);
    chmodSync(out, 0o755);
    // postject's CLI in a child: its ELF/PE library prints harmless section warnings we keep out of the log.
    const cli = createRequire(import.meta.url).resolve('postject/dist/cli.js');
    const injected = spawnSync(process.execPath, [cli, out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { encoding: 'utf8', timeout: 120_000 });
    if (injected.status !== 0) throw new PackagingError(`${target}: injecting the SEA blob failed: ${(injected.stderr || injected.stdout).trim().split('\n').pop()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** undefined: run natively. */
function wineFor(target: Target): string | undefined {
  if (target === 'linux-x64') {
    if (process.platform !== 'linux' || process.arch !== 'x64') throw new PackagingError('the linux-x64 single executable can only be built on linux-x64');
    return undefined;
  }
  if (process.platform === 'win32') return undefined;
  const wine = findWine();
  if (!wine) throw new PackagingError(`cannot build the win-x64 single executable here: its blob must be made by node.exe ${NODE_VERSION} itself and wine is not installed (build it on Windows, or leave it out)`);
  ensureWinePrefix(wine);
  return wine;
}

/** Whether a PE file carries a certificate table (Authenticode), read from its headers. */
export function peHasSignature(file: string): boolean {
  const b = readFileSync(file);
  if (b.length < 0x40 || b.toString('latin1', 0, 2) !== 'MZ') return false;
  const pe = b.readUInt32LE(0x3c);
  if (pe + 24 > b.length || b.toString('latin1', pe, pe + 4) !== 'PE\0\0') return false;
  const opt = pe + 24;
  const magic = b.readUInt16LE(opt);
  const dirs = opt + (magic === 0x20b ? 112 : 96);
  const security = dirs + 4 * 8;
  if (security + 8 > b.length) return false;
  return b.readUInt32LE(security + 4) > 0;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function parseTargets(text: string | undefined, fallback: Target[]): Target[] {
  if (text === undefined) return fallback;
  if (text === '' || text === 'none') return [];
  const list = text.split(',').map((t) => t.trim());
  for (const t of list) if (!TARGETS.includes(t as Target)) throw new PackagingError(`unknown target "${t}" (known: ${TARGETS.join(', ')})`);
  return list as Target[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, targets: { type: 'string' }, sea: { type: 'string' } },
  });
  const targets = parseTargets(values.targets, [...TARGETS]);
  const sea = parseTargets(values.sea, []);
  for (const t of sea) if (!targets.includes(t)) throw new PackagingError(`--sea ${t} needs ${t} among --targets`);
  const out = resolve(values.out ?? DEFAULT_OUT);
  const started = Date.now();
  const m = await buildPayload({ out, targets, sea, log: (l) => process.stderr.write(`${l}\n`) });
  for (const a of m.artifacts) process.stdout.write(`${a.name.padEnd(28)} ${String(a.bytes).padStart(10)}  ${a.sha256}\n`);
  process.stderr.write(`payload ${m.version} (node ${m.node_version}) in ${relative(process.cwd(), out) || '.'} in ${Date.now() - started} ms\n`);
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  main().catch((err: unknown) => {
    process.stderr.write(`build-payload: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

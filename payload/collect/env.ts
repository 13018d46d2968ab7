// env_snapshot.json: the machine facts that end "it works on my machine".
import { readlinkSync } from 'node:fs';
import { arch, hostname, networkInterfaces, platform, release, version } from 'node:os';
import type { EnvSnapshot, ProxyDiscovery } from '../schema/summary.js';
import { SUMMARY_SCHEMA_VERSION } from '../schema/constants.js';
import { VERSION } from '../version.js';

const PROXY_VAR = /^(https?|all|no|ftp)_proxy$/i;

// user:password@ before a proxy host, with a scheme (`http://u:p@host`, up to the last `@`
// before the path, so a password with a bare `@` goes whole) or without one (`u:p@host:3128`,
// as curl and many proxy variables accept). Nothing is decoded, so a `%` never throws.
const SCHEMED_CREDENTIALS = /([a-z][a-z0-9+.-]{0,15}:\/\/)([^\s/]{1,512})@/gi;
const BARE_CREDENTIALS = /(^|[\s;,=])([^\s;,=/@:]{1,256}):([^\s/;,]{0,512})@(?=[A-Za-z0-9[])/g;

/** Credentials inside proxy values are masked: `http://user:pw@host` -> `http://***:***@host`, `u:pw@host:3128` -> `***:***@host:3128`. */
export function maskProxyValue(value: string): string {
  return value
    .replace(SCHEMED_CREDENTIALS, (_m, scheme: string, cred: string) => `${scheme}${cred.includes(':') ? '***:***' : '***'}@`)
    .replace(BARE_CREDENTIALS, (m, pre: string, user: string) => (user === '***' ? m : `${pre}***:***@`));
}

/** The user and password in a proxy value (with or without a scheme), as written (still %-encoded). */
export function proxyCredentials(value: string): { user: string; password: string | null } | null {
  const m = /^(?:[a-z][a-z0-9+.-]{0,15}:\/\/)?([^\s/]{1,512})@[^\s@/]+/i.exec(value.trim());
  if (!m) return null;
  const cred = m[1]!;
  const colon = cred.indexOf(':');
  if (colon < 0) return /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim()) ? { user: cred, password: null } : null;
  return { user: cred.slice(0, colon), password: cred.slice(colon + 1) };
}

export function proxyEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (PROXY_VAR.test(k) && v !== undefined) out[k] = maskProxyValue(v);
  return out;
}

export function envSnapshot(now = new Date(), proxyDiscovery: ProxyDiscovery | null = null): EnvSnapshot {
  const offset = -now.getTimezoneOffset();
  return {
    schema: 'smtp-probe/env-snapshot',
    schema_version: SUMMARY_SCHEMA_VERSION,
    collected_at: now.toISOString(),
    os: { platform: platform(), release: release(), version: version(), arch: arch(), hostname: hostname() },
    runtime: { node: process.versions.node, openssl: process.versions.openssl ?? 'unknown', tool_version: VERSION },
    clock: {
      utc: now.toISOString(),
      local: now.toString(),
      timezone: timeZoneName(),
      utc_offset_minutes: offset,
    },
    proxy_env: proxyEnv(),
    proxy_discovery: proxyDiscovery,
    interfaces: Object.entries(networkInterfaces()).flatMap(([name, list]) =>
      (list ?? []).map((i) => ({ name, address: i.address, family: String(i.family), internal: i.internal })),
    ),
  };
}

/**
 * The IANA name of the local time zone. Asking Intl starts ICU's time-zone service, ~15 ms of
 * a probe's start (issue 16); on Linux and macOS TZ or the /etc/localtime link names the same
 * zone for free, so Intl is the fallback (and Windows' answer).
 */
export function timeZoneName(env: NodeJS.ProcessEnv = process.env, localtime = '/etc/localtime'): string {
  const tz = env.TZ?.replace(/^:/, '');
  const fromLink = (): string | null => {
    if (process.platform === 'win32') return null;
    try {
      return /\/zoneinfo\/([A-Za-z0-9_+\-/]{1,64})$/.exec(readlinkSync(localtime))?.[1] ?? null;
    } catch {
      return null;
    }
  };
  // A POSIX rule (EST5EDT) or a zone name; a path (TZ=/usr/share/zoneinfo/X) is Intl's to read.
  const name = (tz && /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz) ? tz : null) ?? (tz ? null : fromLink());
  if (name) return /^(Etc\/)?(UTC|UCT|Universal|Zulu|GMT)$/.test(name) ? 'UTC' : name;
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'unknown';
}

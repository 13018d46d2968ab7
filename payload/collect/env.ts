// env_snapshot.json: the machine facts that end "it works on my machine".
import { arch, hostname, networkInterfaces, platform, release, version } from 'node:os';
import type { EnvSnapshot } from '../schema/summary.js';
import { SUMMARY_SCHEMA_VERSION } from '../schema/summary.js';
import { VERSION } from '../version.js';

const PROXY_VAR = /^(https?|all|no|ftp)_proxy$/i;

/** Credentials inside proxy URLs are masked: `http://user:pw@host` -> `http://***:***@host`. */
export function maskProxyValue(value: string): string {
  return value.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s]+)@/gi, (_m, scheme: string, cred: string) => `${scheme}${cred.includes(':') ? '***:***' : '***'}@`);
}

export function proxyEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (PROXY_VAR.test(k) && v !== undefined) out[k] = maskProxyValue(v);
  return out;
}

export function envSnapshot(now = new Date()): EnvSnapshot {
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
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'unknown',
      utc_offset_minutes: offset,
    },
    proxy_env: proxyEnv(),
    interfaces: Object.entries(networkInterfaces()).flatMap(([name, list]) =>
      (list ?? []).map((i) => ({ name, address: i.address, family: String(i.family), internal: i.internal })),
    ),
  };
}

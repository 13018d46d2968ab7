// Which proxy this machine is set up for: the proxy variables (HTTPS_PROXY, ALL_PROXY,
// HTTP_PROXY, NO_PROXY) and, on Windows, the WinHTTP proxy (services, bot agents) and the
// account's WinINET settings with the PAC URL. Most SMTP libraries ignore all of these,
// which is why `--proxy auto` probes the direct path and the discovered proxy side by side.
import { maskProxyValue, proxyEnv } from '../collect/env.js';
import { parseNetshWinhttp } from '../diagnose/windows/netsh.js';
import { connectionFlags, dword, parseRegQuery } from '../diagnose/windows/reg.js';
import type { ProxyDiscovery } from '../schema/summary.js';
import { formatProxy, parseProxyUrl, type ProxySpec } from './proxy-url.js';

// Checked in this order: SMTP over TLS is closest to HTTPS traffic, ALL_PROXY covers
// everything, HTTP_PROXY is what many tools fall back to.
const ENV_ORDER = ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'HTTP_PROXY', 'http_proxy'];

export interface WindowsProxyText {
  netsh: string | null;
  internetSettings: string | null;
  connections: string | null;
}

/** Whether NO_PROXY (comma- or space-separated names, `.suffix`, `*`, optional :port) covers host:port. */
export function noProxyCovers(noProxy: string, host: string, port: number): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((raw) => {
      const m = /^(.*?)(?::(\d+))?$/.exec(raw.trim().toLowerCase())!;
      let name = m[1]!.replace(/^\[(.*)\]$/, '$1');
      if (m[2] && Number(m[2]) !== port) return false;
      if (name === '*') return true;
      name = name.replace(/^\*?\./, '.');
      return name.startsWith('.') ? h.endsWith(name) || h === name.slice(1) : h === name;
    });
}

/**
 * A WinHTTP/WinINET "proxy server" value: `host:port`, or per scheme `http=h:p;https=h:p;socks=h:p`.
 * The https= entry is what a TLS client would use, then a bare or http= one. WinINET's socks=
 * speaks SOCKS4, which the probe does not, so it is named but not used.
 */
export function pickFromServerList(value: string): { url: string | null; note: string | null } {
  const parts = value.split(/[;\s]+/).filter(Boolean);
  const per: Record<string, string> = {};
  let bare: string | null = null;
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq < 0) bare ??= p;
    else per[p.slice(0, eq).toLowerCase()] = p.slice(eq + 1);
  }
  const url = per.https ?? bare ?? per.http ?? null;
  if (url) return { url, note: null };
  if (per.socks) return { url: null, note: `only a socks= (SOCKS4) entry: ${maskProxyValue(per.socks)}; not probed` };
  return { url: null, note: 'no usable entry' };
}

function envCandidate(env: NodeJS.ProcessEnv): { spec: ProxySpec | null; note: string | null } {
  for (const name of ENV_ORDER) {
    const v = env[name];
    if (!v) continue;
    try {
      // A password in a proxy variable is how those variables work; it is used, never recorded.
      const p = parseProxyUrl(v);
      return { spec: { ...p, source: name, passwordFrom: p.password !== null ? name : null }, note: null };
    } catch (err) {
      return { spec: null, note: `${name} is not usable: ${(err as Error).message}` };
    }
  }
  return { spec: null, note: null };
}

function winCandidate(source: string, server: string | null): { spec: ProxySpec | null; note: string | null } {
  if (!server) return { spec: null, note: null };
  const pick = pickFromServerList(server);
  if (!pick.url) return { spec: null, note: `${source}: ${pick.note}` };
  try {
    const p = parseProxyUrl(pick.url);
    return { spec: { ...p, source, passwordFrom: p.password !== null ? source : null }, note: null };
  } catch (err) {
    return { spec: null, note: `${source} is not usable: ${(err as Error).message}` };
  }
}

/** Reads the Windows settings with the tools diagnose uses; each failure just leaves a null. */
export async function readWindowsProxyText(): Promise<WindowsProxyText> {
  // Loaded here, on Windows only: child_process is not in Node's start-up snapshot, and a
  // probe elsewhere would pay for compiling it.
  const { execFile } = await import('node:child_process');
  const run = (file: string, args: string[]) =>
    new Promise<string | null>((resolve) => execFile(file, args, { timeout: 5000, windowsHide: true, maxBuffer: 1024 * 1024 }, (err, out) => resolve(err ? null : String(out))));
  const key = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';
  const [netsh, internetSettings, connections] = await Promise.all([run('netsh', ['winhttp', 'show', 'proxy']), run('reg', ['query', key]), run('reg', ['query', `${key}\\Connections`])]);
  return { netsh, internetSettings, connections };
}

export interface Discovered {
  record: ProxyDiscovery;
  /** The proxy `--proxy auto` uses, password included (never recorded). */
  chosen: ProxySpec | null;
}

/** Everything found, masked for the record, and the one proxy `auto` would use. */
export function discoverProxy(env: NodeJS.ProcessEnv, host: string, port: number, win: WindowsProxyText | null): Discovered {
  const notes: string[] = [];
  const noProxy = env.NO_PROXY ?? env.no_proxy ?? null;
  let winhttp: ProxyDiscovery['winhttp'] = null;
  let wininet: ProxyDiscovery['wininet'] = null;
  let winhttpServer: string | null = null;
  if (win?.netsh) {
    try {
      const w = parseNetshWinhttp(win.netsh);
      winhttpServer = w.direct ? null : w.proxyServer;
      winhttp = { direct: w.direct, proxy_server: w.proxyServer ? maskProxyValue(w.proxyServer) : null, bypass_list: w.bypassList };
    } catch {
      notes.push('netsh winhttp show proxy printed something unrecognised');
    }
  }
  let wininetServer: string | null = null;
  if (win?.internetSettings) {
    const values = parseRegQuery(win.internetSettings);
    const v = (n: string) => values.find((x) => x.name.toLowerCase() === n.toLowerCase());
    const conn = win.connections ? parseRegQuery(win.connections).find((x) => x.name === 'DefaultConnectionSettings') : undefined;
    const enable = dword(v('ProxyEnable'));
    const flags = conn ? connectionFlags(conn.data) : null;
    if (enable === 1) wininetServer = v('ProxyServer')?.data ?? null;
    wininet = {
      proxy_enable: enable === null ? null : enable === 1,
      proxy_server: v('ProxyServer') ? maskProxyValue(v('ProxyServer')!.data) : null,
      proxy_override: v('ProxyOverride')?.data ?? null,
      pac_url: v('AutoConfigURL') ? maskProxyValue(v('AutoConfigURL')!.data) : null,
      auto_detect: flags ? flags.autoDetect : null,
    };
    // A PAC script is JavaScript run by WinINET per URL: not evaluated here, only named.
    if (wininet.pac_url) notes.push(`a PAC script is configured (${wininet.pac_url}); it is not evaluated: give its proxy with --proxy to probe it`);
  }

  const candidates: ProxyDiscovery['candidates'] = [];
  let chosen: ProxySpec | null = null;
  for (const c of [envCandidate(env), winCandidate('WinHTTP', winhttpServer), winCandidate('WinINET', wininetServer)]) {
    if (c.note) notes.push(c.note);
    if (!c.spec) continue;
    candidates.push({ source: c.spec.source, proxy: formatProxy(c.spec) });
    chosen ??= c.spec;
  }
  const covered = noProxy !== null && noProxyCovers(noProxy, host, port);
  if (covered) notes.push(`NO_PROXY covers ${host}: a proxy-aware client would connect directly`);
  return {
    record: {
      env: proxyEnv(env),
      no_proxy: noProxy,
      no_proxy_covers_host: covered,
      winhttp,
      wininet,
      candidates,
      chosen: chosen ? { source: chosen.source, proxy: formatProxy(chosen) } : null,
      notes,
    },
    chosen,
  };
}

// `--proxy` values and proxy variables as the probe understands them: an HTTP proxy spoken
// to with CONNECT, or SOCKS5 (names resolved here) / SOCKS5h (names resolved by the proxy).
// A password never comes from argv: it would show in process lists and bot logs.
import { UsageError } from '../util/errors.js';
import { ipFamily } from '../util/ip-family.js';

export const PROXY_KINDS = ['http', 'socks5', 'socks5h'] as const;
export type ProxyKind = (typeof PROXY_KINDS)[number];

export interface ProxySpec {
  kind: ProxyKind;
  host: string;
  port: number;
  user: string | null;
  password: string | null;
  /** Where the password came from (never the password), e.g. "env PROXY_PW" or "HTTPS_PROXY". */
  passwordFrom: string | null;
  /** Where the proxy came from: "--proxy", "HTTPS_PROXY", "WinHTTP"... */
  source: string;
}

const DEFAULT_PORTS: Record<ProxyKind, number> = { http: 3128, socks5: 1080, socks5h: 1080 };
const SCHEMES: Record<string, ProxyKind> = { 'http:': 'http', 'socks5:': 'socks5', 'socks5h:': 'socks5h', 'socks:': 'socks5' };

/** What went wrong with a proxy URL, without repeating the URL: it may hold a password. */
export class ProxyUrlError extends Error {
  override readonly name = 'ProxyUrlError';
}

/**
 * Parses `scheme://[user[:password]@]host[:port]`. A bare `host:port` is an HTTP proxy, as
 * curl and most proxy variables read it. The password is returned %-decoded; the caller
 * decides whether one may be there at all.
 */
export function parseProxyUrl(text: string): Omit<ProxySpec, 'passwordFrom' | 'source'> {
  const t = text.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `http://${t}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ProxyUrlError('expected scheme://[user@]host:port, e.g. http://proxy.corp:3128 or socks5h://127.0.0.1:1080');
  }
  const kind = SCHEMES[url.protocol.toLowerCase()];
  if (!kind) throw new ProxyUrlError(`unsupported scheme "${url.protocol.replace(/:$/, '')}": expected http, socks5 or socks5h`);
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash) throw new ProxyUrlError('a proxy URL has no path, query or fragment');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host || (!ipFamily(host) && !/^[a-z0-9_.-]+$/i.test(host))) throw new ProxyUrlError('expected a proxy host name or IP address');
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new ProxyUrlError('the user name or password is not valid %-encoding');
    }
  };
  return {
    kind,
    host,
    port: url.port ? Number(url.port) : DEFAULT_PORTS[kind],
    user: url.username ? decode(url.username) : null,
    password: url.password ? decode(url.password) : null,
  };
}

/**
 * `http://user@127.0.0.1:3128`: safe to print, log and store (the password is never part of
 * it). A user read from a proxy variable or the registry is masked as those values are in
 * env_snapshot.json; one typed in --proxy is already on the command line.
 */
export function formatProxy(p: Pick<ProxySpec, 'kind' | 'host' | 'port' | 'user'> & { source?: string }): string {
  const host = ipFamily(p.host) === 6 ? `[${p.host}]` : p.host;
  const user = p.user === null ? '' : p.source === undefined || p.source === '--proxy' ? `${encodeURIComponent(p.user)}@` : '***@';
  return `${p.kind}://${user}${host}:${p.port}`;
}

/** `host:port` as a proxy is asked to reach it (IPv6 in brackets, as CONNECT wants). */
export function authority(host: string, port: number): string {
  return ipFamily(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Whether the proxy, not this machine, turns the SMTP host name into addresses. */
export function proxyResolves(p: Pick<ProxySpec, 'kind'>, host: string): boolean {
  return !ipFamily(host) && p.kind !== 'socks5';
}

/** --proxy on the command line: any password inside it is refused (exit 2), not used. */
export function parseProxyFlag(text: string): Omit<ProxySpec, 'passwordFrom' | 'source'> {
  let p: Omit<ProxySpec, 'passwordFrom' | 'source'>;
  try {
    p = parseProxyUrl(text);
  } catch (err) {
    throw new UsageError(`invalid --proxy: ${(err as Error).message}`);
  }
  if (p.password !== null) {
    throw new UsageError('--proxy must not carry a password (argv is visible to other processes and logs): give user@host:port and --proxy-password-env VAR or --proxy-password-file FILE');
  }
  return p;
}

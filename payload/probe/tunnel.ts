// The TCP stage through a proxy: a TCP connection to the proxy, then CONNECT or SOCKS5 to
// the SMTP server. Both steps are timed and kept apart, so "the proxy is unreachable",
// "the proxy says no" and "the proxy cannot reach the server" read differently.
import { performance } from '../util/clock.js';
import type { ErrorInfo, ProxyAttempt } from '../schema/summary.js';
import { authority, formatProxy, type ProxySpec } from './proxy-url.js';
import { tcpConnect, type TcpResult } from './tcp.js';

export interface TunnelResult extends TcpResult {
  proxy: ProxyAttempt;
}

/**
 * Opens a tunnel to `host:port` (an address, or a name the proxy resolves) within
 * `timeoutMs` for the whole of it, as a bot's connect timeout would count it.
 */
export async function proxyConnect(spec: ProxySpec, host: string, port: number, timeoutMs: number, resolvedBy: 'local' | 'proxy'): Promise<TunnelResult> {
  const t0 = performance.now();
  const base: ProxyAttempt = {
    proxy: formatProxy(spec),
    kind: spec.kind,
    source: spec.source,
    destination: authority(host, port),
    resolved_by: resolvedBy,
    connect_ms: null,
    tunnel_ms: null,
    reply: null,
    reply_code: null,
    failed_step: null,
    error: null,
  };
  const fail = (tcp: Partial<TcpResult>, error: ErrorInfo, p: Partial<ProxyAttempt>): TunnelResult => ({
    socket: null,
    connectMs: null,
    connectedAt: null,
    localAddress: tcp.localAddress ?? null,
    localPort: tcp.localPort ?? null,
    error,
    proxy: { ...base, ...p, error },
  });

  // Loaded only when a proxy is in the path (node:http and the socks package are not free to
  // load), before the clock starts, so a first load is not timed as the proxy's.
  const { httpConnect } = spec.kind === 'http' ? await import('./http-connect.js') : { httpConnect: null };
  const socksConnect = spec.kind === 'http' ? null : (await import('./socks-connect.js')).socksConnect;
  const tcp = await tcpConnect(spec.host, spec.port, timeoutMs);
  if (!tcp.socket) {
    const e = tcp.error!;
    return fail(tcp, { kind: 'proxy-unreachable', code: e.code, message: `cannot connect to the proxy ${authority(spec.host, spec.port)}: ${e.kind} (${e.message})` }, { failed_step: 'proxy-connect' });
  }
  const connectMs = tcp.connectMs!;
  const left = Math.max(1, timeoutMs - (performance.now() - t0));
  const auth = spec.user !== null ? { user: spec.user, password: spec.password ?? '' } : null;
  const t1 = performance.now();
  if (spec.kind === 'http') {
    const r = await httpConnect!(tcp.socket, authority(host, port), auth, left);
    const tunnelMs = performance.now() - t1;
    if (!r.ok) {
      const step = r.status === 407 ? 'proxy-auth' : 'tunnel';
      return fail(tcp, { kind: `proxy-${r.kind}`, code: r.status !== null ? `HTTP ${r.status}` : null, message: r.message }, { connect_ms: connectMs, tunnel_ms: tunnelMs, reply: r.statusLine, reply_code: r.status, failed_step: step });
    }
    return ok(tcp, r.socket, t0, { ...base, connect_ms: connectMs, tunnel_ms: tunnelMs, reply: r.statusLine, reply_code: r.status });
  }
  const r = await socksConnect!(tcp.socket, { host: spec.host, port: spec.port }, { host, port }, auth, left);
  const tunnelMs = performance.now() - t1;
  if (!r.ok) {
    return fail(tcp, { kind: `proxy-${r.kind}`, code: r.replyCode !== null ? `SOCKS5 0x${r.replyCode.toString(16).padStart(2, '0')}` : null, message: r.message }, { connect_ms: connectMs, tunnel_ms: tunnelMs, reply: r.reply, reply_code: r.replyCode, failed_step: r.step });
  }
  return ok(tcp, r.socket, t0, { ...base, connect_ms: connectMs, tunnel_ms: tunnelMs, reply: r.reply, reply_code: 0 });
}

function ok(tcp: TcpResult, socket: TcpResult['socket'], t0: number, proxy: ProxyAttempt): TunnelResult {
  socket!.setNoDelay(true);
  return { socket, connectMs: performance.now() - t0, connectedAt: Date.now(), localAddress: tcp.localAddress, localPort: tcp.localPort, error: null, proxy };
}

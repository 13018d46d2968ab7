// Stage 2: the TCP connection to one address, with the failure told apart:
// refused (RST to the SYN), reset, timeout (SYN dropped: firewall), unreachable (no route).
import { connect, type Socket } from 'node:net';
import { performance } from '../util/clock.js';
import type { ErrorInfo } from '../schema/summary.js';
import { errorCode, errorMessage } from '../util/errors.js';

const TCP_KINDS: Record<string, string> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  EAFNOSUPPORT: 'unreachable',
  EACCES: 'blocked',
  EPERM: 'blocked',
};

export function socketError(err: unknown): ErrorInfo {
  const code = errorCode(err) ?? null;
  return { kind: (code && TCP_KINDS[code]) || 'error', code, message: errorMessage(err) };
}

export interface TcpResult {
  socket: Socket | null;
  connectMs: number | null;
  connectedAt: number | null;
  localAddress: string | null;
  localPort: number | null;
  error: ErrorInfo | null;
}

export function tcpConnect(ip: string, port: number, timeoutMs: number): Promise<TcpResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = connect({ host: ip, port, noDelay: true });
    const done = (r: TcpResult) => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.removeAllListeners('connect');
      resolve(r);
    };
    const fail = (error: ErrorInfo) => {
      socket.destroy();
      socket.on('error', () => {});
      done({ socket: null, connectMs: null, connectedAt: null, localAddress: null, localPort: null, error });
    };
    const timer = setTimeout(
      () => fail({ kind: 'timeout', code: 'ETIMEDOUT', message: `no answer to the TCP handshake within ${timeoutMs} ms (packets dropped: firewall, or no route)` }),
      timeoutMs,
    );
    socket.once('error', (err) => fail(socketError(err)));
    socket.once('connect', () =>
      done({
        socket,
        connectMs: performance.now() - t0,
        connectedAt: Date.now(),
        localAddress: socket.localAddress ?? null,
        localPort: socket.localPort ?? null,
        error: null,
      }),
    );
  });
}

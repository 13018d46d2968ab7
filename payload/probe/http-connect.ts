// An HTTP CONNECT tunnel over an open socket to the proxy, with node:http doing the
// framing (no agent: createConnection hands it our socket): it parses the status line and headers, caps their size, and hands the socket
// back on 'connect' whatever the status. Credentials go in Proxy-Authorization only.
import { request } from 'node:http';
import type { Socket } from 'node:net';

/** Bigger proxy response headers than this are not a proxy worth talking to. */
export const MAX_CONNECT_HEADER_BYTES = 16 * 1024;

export type ConnectOutcome =
  | { ok: true; socket: Socket; statusLine: string; status: number }
  | { ok: false; statusLine: string | null; status: number | null; kind: string; message: string };

export function httpConnect(socket: Socket, destination: string, auth: { user: string; password: string } | null, timeoutMs: number): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (o: ConnectOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const headers: Record<string, string> = { Host: destination };
    if (auth) headers['Proxy-Authorization'] = `Basic ${Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64')}`;
    const req = request({ method: 'CONNECT', path: destination, headers, createConnection: () => socket, maxHeaderSize: MAX_CONNECT_HEADER_BYTES });
    const timer = setTimeout(() => {
      finish({ ok: false, statusLine: null, status: null, kind: 'timeout', message: `the proxy sent no answer to CONNECT within ${timeoutMs} ms` });
      req.destroy();
      socket.destroy();
    }, timeoutMs);
    req.once('connect', (res, tunnel: Socket, head: Buffer) => {
      const via = res.headers['via'] ?? res.headers['server'] ?? res.headers['proxy-agent'];
      const statusLine = `HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage ?? ''}`.trim() + (via ? ` (${String(via).slice(0, 80)})` : '');
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        // Bytes after the header belong to the tunnel (the SMTP banner may already be there).
        if (head.length) tunnel.unshift(head);
        finish({ ok: true, socket: tunnel, statusLine, status });
      } else {
        tunnel.destroy();
        finish({ ok: false, statusLine, status, kind: 'refused', message: `the proxy answered CONNECT with ${statusLine}` });
      }
    });
    req.once('response', (res) => {
      // Only a non-CONNECT-aware server gets here; CONNECT replies come as 'connect'.
      finish({ ok: false, statusLine: `HTTP/${res.httpVersion} ${res.statusCode}`, status: res.statusCode ?? null, kind: 'bad-response', message: 'the proxy answered CONNECT like a plain request' });
      req.destroy();
    });
    req.once('error', (err: NodeJS.ErrnoException) => {
      const overflow = err.code === 'HPE_HEADER_OVERFLOW';
      const parse = typeof err.code === 'string' && err.code.startsWith('HPE_');
      finish({
        ok: false,
        statusLine: null,
        status: null,
        kind: overflow ? 'bad-response' : parse ? 'bad-response' : err.code === 'ECONNRESET' ? 'reset' : 'closed',
        message: overflow ? `the proxy's response headers exceed ${MAX_CONNECT_HEADER_BYTES} bytes` : parse ? `the proxy's answer is not HTTP (${err.code})` : `the proxy closed the connection during CONNECT (${err.code ?? err.message})`,
      });
      socket.destroy();
    });
    req.end();
  });
}

// The bot leg's TLS: the tee is the server here, with the certificate it made at start.
import type { Socket } from 'node:net';
import { performance } from '../util/clock.js';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { BotTls } from '../schema/tee.js';
import { tlsError } from '../probe/tls.js';

export function acceptTls(raw: Socket, ctx: SecureContext, after: BotTls['after'], timeoutMs: number): Promise<{ socket: TLSSocket | null; tls: BotTls }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = new TLSSocket(raw, { isServer: true, secureContext: ctx });
    const base: BotTls = { after, handshake_ms: null, protocol: null, cipher: null, sni: null, error: null };
    let settled = false;
    const finish = (socket: TLSSocket | null, tls: BotTls) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.removeAllListeners('error');
      s.removeAllListeners('close');
      if (!socket) s.destroy();
      resolve({ socket, tls });
    };
    const timer = setTimeout(() => finish(null, { ...base, error: { kind: 'timeout', code: 'ETIMEDOUT', message: `the bot did not finish the TLS handshake within ${timeoutMs} ms` } }), timeoutMs);
    s.once('error', (err) => finish(null, { ...base, error: tlsError(err) }));
    s.once('close', () => finish(null, { ...base, error: { kind: 'closed', code: null, message: 'the bot closed the connection during the TLS handshake (it may not trust the tee\'s certificate)' } }));
    s.once('secure', () => {
      const c = s.getCipher();
      const sni = (s as TLSSocket & { servername?: string | false }).servername;
      finish(s, { ...base, handshake_ms: performance.now() - t0, protocol: s.getProtocol() ?? null, cipher: c?.name ?? null, sni: sni || null });
    });
  });
}

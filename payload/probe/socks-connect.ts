// A SOCKS5 tunnel over an open socket to the proxy, with the `socks` package doing the
// protocol. Its errors are text; the reply code is read back from the name it prints so
// the evidence can say "0x02 not allowed by ruleset" as RFC 1928 does.
import type { Socket } from 'node:net';
import { SocksClient } from 'socks';

/** RFC 1928 section 6 reply codes, keyed by the name the socks package prints. */
export const SOCKS5_REPLIES: ReadonlyArray<{ code: number; name: string; text: string }> = [
  { code: 0x01, name: 'Failure', text: 'general SOCKS server failure' },
  { code: 0x02, name: 'NotAllowed', text: 'connection not allowed by ruleset' },
  { code: 0x03, name: 'NetworkUnreachable', text: 'network unreachable' },
  { code: 0x04, name: 'HostUnreachable', text: 'host unreachable' },
  { code: 0x05, name: 'ConnectionRefused', text: 'connection refused' },
  { code: 0x06, name: 'TTLExpired', text: 'TTL expired' },
  { code: 0x07, name: 'CommandNotSupported', text: 'command not supported' },
  { code: 0x08, name: 'AddressNotSupported', text: 'address type not supported' },
];

export function socksReplyText(code: number): string {
  const r = SOCKS5_REPLIES.find((x) => x.code === code);
  return `SOCKS5 reply 0x${code.toString(16).padStart(2, '0')} ${r ? r.text : 'unassigned'}`;
}

export type SocksOutcome =
  | { ok: true; socket: Socket; reply: string }
  | { ok: false; reply: string | null; replyCode: number | null; step: 'proxy-auth' | 'tunnel'; kind: string; message: string };

/** Turns the socks package's error text into the reply code and the step it failed at. */
export function socksFailure(message: string): Omit<Extract<SocksOutcome, { ok: false }>, 'ok'> {
  const m = /Socks5 proxy rejected connection - (\w+)/i.exec(message);
  if (m) {
    const r = SOCKS5_REPLIES.find((x) => x.name === m[1]);
    const code = r?.code ?? null;
    return { reply: code !== null ? socksReplyText(code) : `SOCKS5 reply ${m[1]}`, replyCode: code, step: 'tunnel', kind: 'refused', message: `the SOCKS5 proxy refused the connection: ${code !== null ? socksReplyText(code) : m[1]}` };
  }
  if (/Authentication failed/i.test(message)) return { reply: 'SOCKS5 username/password authentication failed', replyCode: null, step: 'proxy-auth', kind: 'auth-failed', message: 'the SOCKS5 proxy refused the user name or password' };
  if (/no accepted authentication type/i.test(message)) return { reply: 'SOCKS5 no acceptable authentication method (0xFF)', replyCode: 0xff, step: 'proxy-auth', kind: 'auth-required', message: 'the SOCKS5 proxy accepts none of the offered authentication methods (it wants a user name and password, or a method the probe does not speak)' };
  if (/timed out/i.test(message)) return { reply: null, replyCode: null, step: 'tunnel', kind: 'timeout', message: 'the SOCKS5 proxy did not finish the negotiation in time' };
  if (/Socket closed/i.test(message)) return { reply: null, replyCode: null, step: 'tunnel', kind: 'closed', message: 'the SOCKS5 proxy closed the connection during the negotiation' };
  return { reply: null, replyCode: null, step: 'tunnel', kind: 'bad-response', message: `SOCKS5 negotiation failed: ${message.slice(0, 200)}` };
}

export async function socksConnect(
  socket: Socket,
  proxy: { host: string; port: number },
  destination: { host: string; port: number },
  auth: { user: string; password: string } | null,
  timeoutMs: number,
): Promise<SocksOutcome> {
  try {
    const r = await SocksClient.createConnection({
      existing_socket: socket,
      proxy: { host: proxy.host, port: proxy.port, type: 5, ...(auth ? { userId: auth.user, password: auth.password } : {}) },
      destination,
      command: 'connect',
      timeout: timeoutMs,
    });
    return { ok: true, socket: r.socket, reply: 'SOCKS5 reply 0x00 succeeded' };
  } catch (err) {
    socket.destroy();
    return { ok: false, ...socksFailure(err instanceof Error ? err.message : String(err)) };
  }
}

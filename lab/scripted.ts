// Byte-level SMTP personalities that a real server library will not produce: a garbage
// banner, an HTTP proxy on the SMTP port, Gmail's 421 right after EHLO, and TLS servers
// that only speak old protocol versions or ciphers nobody shares.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';

export type Script = (sock: Socket) => void;

export async function listen(server: Server, host: string, port = 0): Promise<number> {
  await new Promise<void>((r, j) => server.listen(port, host, () => r()).on('error', j));
  return (server.address() as { port: number }).port;
}

/** Replies line by line: `replies` maps a command verb to the reply sent for it. */
export function scripted(banner: string, replies: Record<string, string>): Server {
  return createServer((sock) => {
    sock.on('error', () => {});
    sock.write(`${banner}\r\n`);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        const verb = line.split(/\s+/)[0]!.toUpperCase();
        const reply = replies[verb] ?? '502 5.5.1 Unrecognized command';
        sock.write(`${reply.replace(/\n/g, '\r\n')}\r\n`);
        if (/^421|^221/.test(reply)) sock.end();
      }
    });
  });
}

/** Writes `text` as soon as a client connects, then closes: a proxy or another service on the port. */
export function rawGreeting(text: string): Server {
  return createServer((sock) => {
    sock.on('error', () => {});
    sock.end(text);
  });
}

/** An implicit-TLS SMTP greeter with a restricted TLS configuration. */
export function tlsGreeter(opts: { key: string; cert: string; minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2'; maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; ciphers?: string }): Server {
  const server = createTlsServer({ ...opts }, (sock: TLSSocket) => {
    sock.on('error', () => {});
    sock.end('220 old.lab.test ESMTP\r\n');
  });
  server.on('tlsClientError', () => {});
  return server;
}

// The CONNECT client's bounds, against a scripted peer on loopback: a header larger than
// the cap, a proxy that never answers, a 200 followed at once by tunnel bytes, and a peer
// that is not HTTP.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CONNECT_HEADER_BYTES, httpConnect } from '../payload/probe/http-connect.js';

let server: Server | null = null;
const open: Socket[] = [];

afterEach(async () => {
  for (const s of open) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

async function peer(onData: (sock: Socket, request: string) => void): Promise<Socket> {
  server = createServer((sock) => {
    open.push(sock);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) onData(sock, buf);
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port }, () => resolve(c));
    open.push(c);
  });
}

describe('HTTP CONNECT client', () => {
  it('sends CONNECT with Host and Basic credentials, and hands over bytes that came with the 200', async () => {
    let seen = '';
    const sock = await peer((s, req) => {
      seen = req;
      s.write('HTTP/1.1 200 Connection established\r\nVia: 1.1 lab\r\n\r\n220 banner already here\r\n');
    });
    const r = await httpConnect(sock, 'smtp.gmail.com:587', { user: 'bot', password: 'pw' }, 2000);
    expect(r.ok).toBe(true);
    expect(seen).toMatch(/^CONNECT smtp\.gmail\.com:587 HTTP\/1\.1\r\n/);
    expect(seen).toContain('Host: smtp.gmail.com:587');
    expect(seen).toContain(`Proxy-Authorization: Basic ${Buffer.from('bot:pw').toString('base64')}`);
    if (!r.ok) return;
    expect(r.statusLine).toBe('HTTP/1.1 200 Connection established (1.1 lab)');
    const first = await new Promise<string>((resolve) => r.socket.once('data', (d: Buffer) => resolve(d.toString())));
    expect(first).toBe('220 banner already here\r\n');
  });

  it('gives up on response headers larger than the cap', async () => {
    const sock = await peer((s) => s.write(`HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(MAX_CONNECT_HEADER_BYTES + 100)}\r\n\r\n`));
    const r = await httpConnect(sock, 'h:1', null, 2000);
    expect(r).toMatchObject({ ok: false, kind: 'bad-response', message: `the proxy's response headers exceed ${MAX_CONNECT_HEADER_BYTES} bytes` });
  });

  it('times out when the proxy never answers', async () => {
    const sock = await peer(() => {});
    const t0 = Date.now();
    const r = await httpConnect(sock, 'h:1', null, 300);
    expect(r).toMatchObject({ ok: false, kind: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('tells a peer that is not HTTP apart', async () => {
    const sock = await peer((s) => s.write('220 smtp.example ESMTP\r\n\r\n'));
    const r = await httpConnect(sock, 'h:1', null, 2000);
    expect(r).toMatchObject({ ok: false, kind: 'bad-response' });
  });
});

import { createServer } from 'node:net';

/** A TCP port free on every one of `hosts`, so one service can answer on several loopback addresses. */
export async function freePort(hosts: string[]): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer().listen(0, hosts[0], () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
      s.on('error', reject);
    });
    const ok = await Promise.all(
      hosts.map(
        (h) =>
          new Promise<boolean>((resolve) => {
            const s = createServer().listen(port, h, () => s.close(() => resolve(true)));
            s.on('error', () => resolve(false));
          }),
      ),
    );
    if (ok.every(Boolean)) return port;
  }
  throw new Error(`no common free port on ${hosts.join(', ')}`);
}

/**
 * Closes a server and destroys its open connections: net.Server.close() alone waits for
 * every client to hang up, and a relay or a held connection would keep the lab up forever.
 */
export function closeHard(server: import('node:net').Server): Promise<void> {
  return new Promise((resolve) => {
    const open = (server as unknown as { [OPEN]?: Set<import('node:net').Socket> })[OPEN];
    server.close(() => resolve());
    for (const s of open ?? []) s.destroy();
  });
}

const OPEN = Symbol('open connections');

/** Remembers a server's connections so closeHard() can end them. */
export function track<T extends import('node:net').Server>(server: T): T {
  const open = new Set<import('node:net').Socket>();
  (server as unknown as { [OPEN]: Set<import('node:net').Socket> })[OPEN] = open;
  server.on('connection', (s: import('node:net').Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  server.on('secureConnection', (s: import('node:net').Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  return server;
}

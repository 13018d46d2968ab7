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

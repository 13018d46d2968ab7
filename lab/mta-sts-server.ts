// An HTTPS server on loopback port 443 serving MTA-STS policies, with a certificate for the
// mta-sts.<domain> names issued by the lab CA (openssl), so the probe fetches a policy the way a
// sending MTA does: by name (resolved by the test's DNS server), verified, on 443.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { closeHard, track } from './ports.js';

export interface PolicyRoute {
  status?: number;
  type?: string;
  body?: string;
  location?: string;
}

/** A certificate for `names` signed by the lab CA in `labDir` (ca.crt, ca.key). */
export function issueLabCert(labDir: string, names: string[], tag: string): { cert: string; key: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: labDir, stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(join(labDir, `${tag}.ext`), `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${tag}.key`, '-out', `${tag}.csr`, '-subj', `/CN=${names[0]}`]);
  run(['x509', '-req', '-in', `${tag}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${tag}.crt`, '-days', '2', '-extfile', `${tag}.ext`]);
  return { cert: readFileSync(join(labDir, `${tag}.crt`), 'utf8'), key: readFileSync(join(labDir, `${tag}.key`), 'utf8') };
}

/** `routes` maps a Host header (mta-sts.<domain>) to what /.well-known/mta-sts.txt answers. */
export async function startMtaStsServer(address: string, tls: { cert: string; key: string }, routes: Record<string, PolicyRoute>): Promise<{ hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = track(
    createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      hits.push(`${host}${req.url}`);
      const r = req.url === '/.well-known/mta-sts.txt' ? routes[host] : undefined;
      if (!r) return res.writeHead(404).end();
      res.writeHead(r.status ?? 200, { 'content-type': r.type ?? 'text/plain', ...(r.location ? { location: r.location } : {}) }).end(r.body ?? '');
    }),
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(443, address, () => resolve()));
  return { hits, close: () => closeHard(server) };
}

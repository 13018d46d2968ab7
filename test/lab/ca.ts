// A throwaway PKI for the lab, made with the openssl CLI: one root CA and a server
// certificate for the names and loopback addresses the lab answers on.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LabPki {
  dir: string;
  caCert: string; // path
  serverCert: string;
  serverKey: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

export const SERVER_NAMES = ['smtp.gmail.com', 'localhost', 'lab.smtp-probe.test'];
export const SERVER_IPS = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '::1'];

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makePki(dir: string): LabPki {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/O=smtp-probe lab/CN=smtp-probe Lab Root CA'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=smtp.gmail.com'], dir);
  const san = [...SERVER_NAMES.map((n) => `DNS:${n}`), ...SERVER_IPS.map((i) => `IP:${i}`)].join(',');
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '30', '-extfile', 'server.ext'], dir);
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    caPem: readFileSync(p('ca.crt'), 'utf8'),
    certPem: readFileSync(p('server.crt'), 'utf8'),
    keyPem: readFileSync(p('server.key'), 'utf8'),
  };
}

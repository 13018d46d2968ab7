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

export interface ExtraCerts {
  expired: { cert: string; key: string };
  notYetValid: { cert: string; key: string };
  /** smtp.gmail.com issued by a CA named like a TLS-inspection product. */
  zscaler: { cert: string; key: string; ca: string };
  /** smtp.gmail.com issued by an inspection CA with a neutral name, to be trusted only by the "OS store". */
  corporate: { cert: string; key: string; ca: string; caFile: string };
}

function caConf(dir: string, name: string): string {
  const conf = join(dir, `${name}.cnf`);
  writeFileSync(join(dir, `${name}.index`), '');
  writeFileSync(
    conf,
    [
      '[ ca ]',
      'default_ca = lab',
      '[ lab ]',
      `dir = ${dir}`,
      `database = ${join(dir, `${name}.index`)}`,
      `new_certs_dir = ${dir}`,
      `serial = ${join(dir, `${name}.serial`)}`,
      'default_md = sha256',
      'policy = any',
      'copy_extensions = copy',
      'unique_subject = no',
      '[ any ]',
      'commonName = supplied',
      '[ ext ]',
      `subjectAltName = ${[...SERVER_NAMES.map((n) => `DNS:${n}`), ...SERVER_IPS.map((i) => `IP:${i}`)].join(',')}`,
      'extendedKeyUsage = serverAuth',
      'basicConstraints = CA:FALSE',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, `${name}.serial`), '1000\n');
  return conf;
}

/** A server certificate with explicit validity dates, signed by `ca` (openssl ca allows past and future dates). */
function signedCert(dir: string, name: string, caCrt: string, caKey: string, start: string, end: string): { cert: string; key: string } {
  const conf = caConf(dir, name);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=smtp.gmail.com'], dir);
  openssl(['ca', '-batch', '-config', conf, '-extensions', 'ext', '-cert', caCrt, '-keyfile', caKey, '-in', `${name}.csr`, '-out', `${name}.crt`, '-startdate', start, '-enddate', end, '-notext'], dir);
  return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

function makeCa(dir: string, name: string, subject: string): { crt: string; key: string } {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', subject], dir);
  return { crt: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

export function makeExtraCerts(pki: LabPki): ExtraCerts {
  const dir = pki.dir;
  const caKey = join(dir, 'ca.key');
  const day = 86_400_000;
  const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  const now = Date.now();
  const z = makeCa(dir, 'zscaler-ca', '/O=Zscaler Inc./CN=Zscaler Intermediate Root CA');
  const corp = makeCa(dir, 'corp-ca', '/O=Example Corp/CN=Example Corp Outbound Inspection');
  const zs = signedCert(dir, 'zscaler-leaf', z.crt, z.key, stamp(new Date(now - day)), stamp(new Date(now + 30 * day)));
  const co = signedCert(dir, 'corp-leaf', corp.crt, corp.key, stamp(new Date(now - day)), stamp(new Date(now + 30 * day)));
  return {
    expired: signedCert(dir, 'expired', pki.caCert, caKey, stamp(new Date(now - 60 * day)), stamp(new Date(now - 30 * day))),
    notYetValid: signedCert(dir, 'future', pki.caCert, caKey, stamp(new Date(now + 30 * day)), stamp(new Date(now + 60 * day))),
    zscaler: { ...zs, ca: readFileSync(z.crt, 'utf8') },
    corporate: { ...co, ca: readFileSync(corp.crt, 'utf8'), caFile: corp.crt },
  };
}

// trustContext() builds the --ca context by adding the anchors to a copy of Node's root store
// rather than handing Node every root's PEM again (issue 16: a third of a probe's CPU). These
// tests check it trusts what the slow documented way trusts: the anchors AND Node's roots.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createSecureContext, createServer, rootCertificates, type SecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustContext } from '../payload/probe/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-trust-'));
const file = (f: string) => join(dir, f);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

/** A leaf for localhost signed by `caName`'s key; no key identifiers, so issuers match by name. */
function leaf(ca: string, out: string): void {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${out}.key`, '-out', `${out}.csr`, '-subj', '/CN=localhost');
  writeFileSync(file('leaf.ext'), 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost\nauthorityKeyIdentifier=none\nsubjectKeyIdentifier=none\n');
  openssl('x509', '-req', '-in', `${out}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${out}.crt`, '-days', '10', '-extfile', 'leaf.ext');
}

/** The verification error a client with `trust` gets from a server showing only `name`'s leaf. */
async function verdict(name: string, trust: SecureContext | undefined): Promise<string | null> {
  // The server's own store holds nothing the leaf names, so it sends the leaf alone.
  const server = createServer({ key: readFileSync(file(`${name}.key`)), cert: readFileSync(file(`${name}.crt`)), ca: [readFileSync(file('anchor.crt'))] }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as { port: number }).port;
    return await new Promise((resolve, reject) => {
      const c = connect({ port, host: '127.0.0.1', servername: 'localhost', secureContext: trust, rejectUnauthorized: false }, () => {
        const e = c.authorizationError as (Error & { code?: string }) | string | null;
        resolve(e === null ? null : typeof e === 'string' ? e : (e.code ?? e.message));
        c.destroy();
      });
      c.once('error', reject);
    });
  } finally {
    server.close();
  }
}

beforeAll(() => {
  // The --ca anchor, and a leaf it signed.
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'anchor.key', '-out', 'anchor.crt', '-days', '10', '-subj', '/CN=smtp-probe trust test anchor');
  leaf('anchor', 'by-anchor');
  // An impostor with the subject of a root Node bundles: a client that holds that root finds
  // it as the leaf's issuer and fails the signature; one that does not, finds no issuer.
  const root = rootCertificates.find((p) => new X509Certificate(p).subject.split('\n').includes('CN=ISRG Root X1'));
  expect(root, 'ISRG Root X1 among Node\'s bundled roots').toBeDefined();
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'impostor.key', '-out', 'impostor.crt', '-days', '10', '-subj', '/C=US/O=Internet Security Research Group/CN=ISRG Root X1');
  leaf('impostor', 'by-impostor');
}, 30_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trustContext (the --ca context)', () => {
  const anchor = () => readFileSync(file('anchor.crt'), 'utf8');

  it('is undefined without anchors: Node\'s default context', () => {
    expect(trustContext([])).toBeUndefined();
  });

  it('trusts a --ca anchor, which Node\'s default does not', async () => {
    expect(await verdict('by-anchor', trustContext([anchor()]))).toBeNull();
    expect(await verdict('by-anchor', undefined)).not.toBeNull();
  });

  it('keeps Node\'s bundled roots, as `ca: [...rootCertificates, anchor]` does, unlike `ca: [anchor]`', async () => {
    const slow = createSecureContext({ ca: [...rootCertificates, anchor()] });
    expect(await verdict('by-impostor', slow)).toBe('CERT_SIGNATURE_FAILURE');
    expect(await verdict('by-impostor', trustContext([anchor()]))).toBe('CERT_SIGNATURE_FAILURE');
    expect(await verdict('by-impostor', createSecureContext({ ca: [anchor()] }))).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('keeps the options it is given (the TLS matrix pins one version)', async () => {
    const only12 = trustContext([anchor()], { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })!;
    const server = createServer({ key: readFileSync(file('by-anchor.key')), cert: readFileSync(file('by-anchor.crt')), minVersion: 'TLSv1.3' }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const err = await new Promise<string>((resolve) => {
        const c = connect({ port, host: '127.0.0.1', servername: 'localhost', secureContext: only12, rejectUnauthorized: false }, () => resolve('connected'));
        c.once('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message));
      });
      expect(err).not.toBe('connected');
    } finally {
      server.close();
    }
  });
});

// A second opinion on the served chain: does the operating system's root store trust it?
// Node verifies against its own bundled roots; many bots (.NET, PowerShell, curl) use the
// OS store instead. Trusted by the OS but not by the bundle is the signature of a locally
// installed root (TLS inspection), and explains why some clients on a runner work.
//
// Cost: the store is read once per process and kept as DER bytes; only the roots whose
// subject can be the issuer of a served certificate become X509Certificate objects.
// Parsing all of them (about 140 on Debian, 580 through Node's system store, which also
// reads every hashed file of /etc/ssl/certs) took longer than the probe itself.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { derIssuerName } from './der.js';

const BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

export interface OsStore {
  source: string;
  /** Each root as DER, parsed on demand by rootsFor(). */
  roots: Buffer[];
}

let cached: OsStore | null | undefined;

function splitPem(text: string): Buffer[] {
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return pems.map((p) => Buffer.from(p.slice(27, -25).replace(/\s+/g, ''), 'base64'));
}

/**
 * The OS roots: SSL_CERT_FILE when set; on Linux and other Unixes the distribution's bundle
 * file (what OpenSSL, curl and Python read, one file); otherwise Node's system store where
 * it has one (22.15+: the Windows and macOS stores).
 */
export function osStore(env: NodeJS.ProcessEnv = process.env): OsStore | null {
  if (cached !== undefined) return cached;
  const file = env.SSL_CERT_FILE;
  const getCa = (tls as { getCACertificates?: (kind: string) => string[] }).getCACertificates;
  const bundle = process.platform === 'win32' || process.platform === 'darwin' ? undefined : BUNDLES.find((b) => existsSync(b));
  if (file && existsSync(file)) cached = { source: `SSL_CERT_FILE ${file}`, roots: splitPem(readFileSync(file, 'utf8')) };
  else if (bundle) cached = { source: bundle, roots: splitPem(readFileSync(bundle, 'utf8')) };
  else if (getCa) cached = { source: 'operating system store', roots: splitPem(getCa('system').join('\n')) };
  else cached = null;
  return cached;
}

function parse(der: Buffer): X509Certificate | null {
  try {
    return new X509Certificate(der);
  } catch {
    return null; // a broken entry in the store is skipped, as OpenSSL does
  }
}

/**
 * The roots that can have issued `cert`: RFC 5280 (4.1.2.6) has a CA's subject encoded
 * byte for byte as the issuer of what it signs, so a root whose DER does not contain the
 * issuer name cannot be its issuer. A cheap byte search picks the few worth parsing.
 */
function rootsFor(cert: X509Certificate, roots: readonly Buffer[]): X509Certificate[] {
  const issuer = derIssuerName(cert.raw);
  if (!issuer) return roots.map(parse).filter((r): r is X509Certificate => r !== null);
  return roots.filter((r) => r.includes(issuer)).map(parse).filter((r): r is X509Certificate => r !== null);
}

/** Builds a path from the leaf through the served intermediates to one of `roots`. */
export function chainTrusted(served: readonly Buffer[], roots: readonly Buffer[], now = new Date()): boolean {
  const certs = served.map((raw) => new X509Certificate(raw));
  let cur = certs[0];
  const valid = (c: X509Certificate) => new Date(c.validFrom) <= now && now <= new Date(c.validTo);
  for (let depth = 0; cur && depth < 10; depth++) {
    if (!valid(cur)) return false;
    const c = cur;
    const issuedBy = (i: X509Certificate) => c.checkIssued(i) && c.verify(i.publicKey);
    if (rootsFor(c, roots).some((r) => issuedBy(r) && valid(r))) return true;
    // A served certificate that is itself in the store ends the path too.
    if (roots.some((r) => r.equals(c.raw))) return true;
    const next = certs.find((i) => i !== c && i.fingerprint256 !== c.fingerprint256 && issuedBy(i));
    cur = next;
  }
  return false;
}

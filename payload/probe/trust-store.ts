// A second opinion on the served chain: does the operating system's root store trust it?
// Node verifies against its own bundled roots; many bots (.NET, PowerShell, curl) use the
// OS store instead. Trusted by the OS but not by the bundle is the signature of a locally
// installed root (TLS inspection), and explains why some clients on a runner work.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as tls from 'node:tls';

const BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

export interface OsStore {
  source: string;
  roots: X509Certificate[];
}

let cached: OsStore | null | undefined;

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function parse(pems: string[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const p of pems) {
    try {
      out.push(new X509Certificate(p));
    } catch {
      /* a broken entry in the store is skipped, as OpenSSL does */
    }
  }
  return out;
}

/** The OS roots: SSL_CERT_FILE when set, Node's system store where it has one (22.15+), or the usual bundle files. */
export function osStore(env: NodeJS.ProcessEnv = process.env): OsStore | null {
  if (cached !== undefined) return cached;
  const file = env.SSL_CERT_FILE;
  const getCa = (tls as { getCACertificates?: (kind: string) => string[] }).getCACertificates;
  if (file && existsSync(file)) cached = { source: `SSL_CERT_FILE ${file}`, roots: parse(splitPem(readFileSync(file, 'utf8'))) };
  else if (getCa) cached = { source: 'operating system store', roots: parse(getCa('system')) };
  else {
    const bundle = BUNDLES.find((b) => existsSync(b));
    cached = bundle ? { source: bundle, roots: parse(splitPem(readFileSync(bundle, 'utf8'))) } : null;
  }
  return cached;
}

/** Builds a path from the leaf through the served intermediates to one of `roots`. */
export function chainTrusted(served: readonly Buffer[], roots: readonly X509Certificate[], now = new Date()): boolean {
  const certs = served.map((raw) => new X509Certificate(raw));
  let cur = certs[0];
  const valid = (c: X509Certificate) => new Date(c.validFrom) <= now && now <= new Date(c.validTo);
  for (let depth = 0; cur && depth < 10; depth++) {
    if (!valid(cur)) return false;
    const c = cur;
    const issuedBy = (i: X509Certificate) => c.checkIssued(i) && c.verify(i.publicKey);
    const root = roots.find((r) => issuedBy(r) && valid(r));
    if (root) return true;
    // A served certificate that is itself in the store ends the path too.
    if (roots.some((r) => r.fingerprint256 === c.fingerprint256)) return true;
    const next = certs.find((i) => i !== c && i.fingerprint256 !== c.fingerprint256 && issuedBy(i));
    cur = next;
  }
  return false;
}

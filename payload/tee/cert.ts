// The tee's certificates toward the bot: a throwaway CA made at start and a server
// certificate it signs for the names the bot may use. A CA (not one self-signed leaf)
// because OpenSSL-based bots refuse a self-signed end-entity certificate as a trust anchor
// in some versions; trusting a CA is also what a Windows store expects. ECDSA P-256: fast
// to make and accepted by every TLS stack a bot runs on. The keys live in memory only.
import { X509Certificate, createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { bits, bool, explicit, implicit, octets, oid, seq, set, time, uint, utf8 } from './der.js';
import { ipFamily } from '../util/ip-family.js';

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const CN = '2.5.4.3';
const O = '2.5.4.10';

export interface TeeCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
  caFingerprint: string; // SHA-256, colon-separated hex, as Windows and OpenSSL show it
  certFingerprint: string;
  names: string[];
  validTo: string;
}

function name(cn: string): Buffer {
  return seq(set(seq(oid(O), utf8('smtp-probe tee (testing only)'))), set(seq(oid(CN), utf8(cn))));
}

function ext(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

function ipBytes(ip: string): Buffer {
  if (ipFamily(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // Expand "::" and write eight 16-bit groups.
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(groups.flatMap((g) => [(parseInt(g, 16) >> 8) & 0xff, parseInt(g, 16) & 0xff]));
}

function keyId(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest();
}

function certificate(o: { subject: Buffer; issuer: Buffer; spki: Buffer; issuerSpki: Buffer; signer: KeyObject; extensions: Buffer[]; from: Date; to: Date }): Buffer {
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const tbs = seq(
    explicit(0, uint(Buffer.from([2]))),
    uint(serial),
    ECDSA_SHA256,
    o.issuer,
    seq(time(o.from), time(o.to)),
    o.subject,
    o.spki,
    explicit(3, seq(...o.extensions, ext('2.5.29.14', false, octets(keyId(o.spki))), ext('2.5.29.35', false, seq(implicit(0, keyId(o.issuerSpki)))))),
  );
  return seq(tbs, ECDSA_SHA256, bits(sign('sha256', tbs, o.signer)));
}

function pem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** A CA and a server certificate for `names` (host names and IP addresses), valid from an hour ago for `days`. */
export function makeTeeCertificates(names: string[], days = 7, now = new Date()): TeeCertificates {
  const from = new Date(now.getTime() - 3_600_000);
  const to = new Date(now.getTime() + days * 86_400_000);
  const stamp = now.toISOString().slice(0, 19).replace('T', ' ');
  const ca = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const leaf = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caSpki = ca.publicKey.export({ type: 'spki', format: 'der' });
  const leafSpki = leaf.publicKey.export({ type: 'spki', format: 'der' });
  const caName = name(`smtp-probe tee test CA ${stamp}Z`);
  const caDer = certificate({
    subject: caName,
    issuer: caName,
    spki: caSpki,
    issuerSpki: caSpki,
    signer: ca.privateKey,
    from,
    to,
    extensions: [
      ext('2.5.29.19', true, seq(bool(true), uint(Buffer.from([0])))), // CA, path length 0
      ext('2.5.29.15', true, bits(Buffer.from([0x06]), 1)), // keyCertSign, cRLSign
    ],
  });
  const unique = [...new Set(names)];
  const san = seq(...unique.map((n) => (ipFamily(n) ? implicit(7, ipBytes(n)) : implicit(2, Buffer.from(n, 'ascii')))));
  const leafDer = certificate({
    subject: name(unique.find((n) => !ipFamily(n)) ?? unique[0] ?? 'localhost'),
    issuer: caName,
    spki: leafSpki,
    issuerSpki: caSpki,
    signer: ca.privateKey,
    from,
    to,
    extensions: [
      ext('2.5.29.19', true, seq()),
      ext('2.5.29.15', true, bits(Buffer.from([0x80]), 7)), // digitalSignature
      ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // serverAuth
      ext('2.5.29.17', false, san),
    ],
  });
  const caPem = pem(caDer);
  const certPem = pem(leafDer);
  return {
    caPem,
    certPem,
    keyPem: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    caFingerprint: new X509Certificate(caPem).fingerprint256,
    certFingerprint: new X509Certificate(certPem).fingerprint256,
    names: unique,
    validTo: to.toISOString(),
  };
}

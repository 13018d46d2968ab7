import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derIssuerName } from '../../payload/probe/der.js';
import { chainTrusted } from '../../payload/probe/trust-store.js';
import { makeTeeCertificates } from '../../payload/tee/cert.js';

const der = (pem: string) => new X509Certificate(pem).raw;

describe('OS trust check on DER roots, parsing only issuer candidates', () => {
  const a = makeTeeCertificates(['smtp.gmail.com']);
  const b = makeTeeCertificates(['smtp.gmail.com']);

  it('finds the issuer name bytes of a leaf inside its CA and not inside another CA', () => {
    const issuer = derIssuerName(der(a.certPem))!;
    expect(issuer).not.toBeNull();
    expect(der(a.caPem).includes(issuer)).toBe(true);
    // Both CAs have the same subject: the byte search only narrows, the signature decides (next test).
    expect(derIssuerName(Buffer.from('not a certificate'))).toBeNull();
  });

  it('trusts a chain whose root is in the store, and not one signed by another root of the same name', () => {
    const leaf = [der(a.certPem)];
    expect(chainTrusted(leaf, [der(b.caPem), der(a.caPem)])).toBe(true);
    expect(chainTrusted(leaf, [der(b.caPem)])).toBe(false);
    expect(chainTrusted(leaf, [])).toBe(false);
  });

  it('ends the path at a served certificate that is itself in the store, and refuses an expired one', () => {
    expect(chainTrusted([der(a.caPem)], [der(a.caPem)])).toBe(true);
    const old = makeTeeCertificates(['smtp.gmail.com'], 1, new Date('2020-01-01T00:00:00Z'));
    expect(chainTrusted([der(old.certPem)], [der(old.caPem)])).toBe(false);
  });

  it('skips a broken store entry as OpenSSL does', () => {
    expect(chainTrusted([der(a.certPem)], [Buffer.from('garbage'), der(a.caPem)])).toBe(true);
  });
});

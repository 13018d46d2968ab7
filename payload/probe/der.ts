// Just enough DER to find a certificate's issuer name: Certificate ::= SEQUENCE {
// tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, ... } }.

/** [start of contents, end] of the element at `at`, or null when it runs past `end`. */
function element(der: Buffer, at: number, end: number): { tag: number; start: number; next: number } | null {
  if (at + 2 > end) return null;
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4 || start + n > end) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  return start + len > end ? null : { tag, start, next: start + len };
}

/** The issuer Name of a DER certificate, tag and length included; null if it is not a certificate. */
export function derIssuerName(der: Buffer): Buffer | null {
  const cert = element(der, 0, der.length);
  if (!cert || cert.tag !== 0x30) return null;
  const tbs = element(der, cert.start, cert.next);
  if (!tbs || tbs.tag !== 0x30) return null;
  let e = element(der, tbs.start, tbs.next);
  if (e && e.tag === 0xa0) e = element(der, e.next, tbs.next); // version
  if (!e) return null; // serialNumber
  e = element(der, e.next, tbs.next); // signature algorithm
  if (!e) return null;
  const issuer = element(der, e.next, tbs.next);
  return issuer && issuer.tag === 0x30 ? der.subarray(e.next, issuer.next) : null;
}

// What an EHLO reply advertises (RFC 5321 4.1.1.1 and the extension RFCs).
import type { SmtpResult } from '../schema/summary.js';
import { ipFamily } from '../util/ip-family.js';

export function parseExtensions(ext: readonly string[]): SmtpResult['features'] {
  const map = new Map<string, string>();
  for (const line of ext) {
    const [kw, ...rest] = line.trim().split(/\s+/);
    if (kw) map.set(kw.toUpperCase(), rest.join(' '));
  }
  const size = map.has('SIZE') ? Number(map.get('SIZE')) : NaN;
  const sizeBytes = Number.isFinite(size) && size > 0 ? size : null;
  return {
    size_bytes: sizeBytes,
    size_mb: sizeBytes === null ? null : Math.round((sizeBytes / 1048576) * 10) / 10,
    auth_mechanisms: (map.get('AUTH') ?? '').split(/\s+/).filter(Boolean).map((m) => m.toUpperCase()),
    starttls: map.has('STARTTLS'),
    pipelining: map.has('PIPELINING'),
    eightbitmime: map.has('8BITMIME'),
    smtputf8: map.has('SMTPUTF8'),
    chunking: map.has('CHUNKING'),
    enhancedstatuscodes: map.has('ENHANCEDSTATUSCODES'),
    dsn: map.has('DSN'),
  };
}

/** Gmail greets with "smtp.gmail.com at your service, [203.0.113.7]": the address it saw us come from. */
export function egressIp(firstLine: string): string | null {
  for (const m of firstLine.matchAll(/\[(?:IPv6:)?([0-9a-fA-F:.]+)\]/g)) {
    if (ipFamily(m[1]!)) return m[1]!;
  }
  return null;
}

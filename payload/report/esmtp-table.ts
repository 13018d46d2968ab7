// The ESMTP feature matrix as rows of text, shared by report.md and report.html so both
// say the same thing in the same words.
import type { Esmtp } from '../schema/summary.js';
import { formatMs } from '../util/duration.js';

export const ESMTP_HEADERS = ['port', 'SIZE', '8BITMIME', 'SMTPUTF8', 'PIPELINING', 'CHUNKING', 'DSN', 'ENHANCEDSTATUSCODES', 'AUTH before TLS', 'AUTH after TLS', 'MAIL FROM before STARTTLS', 'slowest banner / reply'];

const yn = (b: boolean) => (b ? 'yes' : 'no');
const mechs = (m: string[] | null) => (m === null ? '-' : m.join(' ') || 'none');

export function esmtpRows(e: Esmtp): string[][] {
  return e.ports.map((p) => [
    `${p.port}/${p.mode}`,
    p.size_bytes === null ? 'not advertised' : `${p.size_bytes} bytes (${p.size_mb} MB)`,
    yn(p.eightbitmime),
    yn(p.smtputf8),
    yn(p.pipelining),
    yn(p.chunking),
    yn(p.dsn),
    yn(p.enhancedstatuscodes),
    mechs(p.auth_before_tls),
    mechs(p.auth_after_tls),
    p.mail_before_tls === 'not-checked' ? 'not checked' : `${p.mail_before_tls}${p.mail_before_tls_reply ? `: ${p.mail_before_tls_reply.slice(0, 80)}` : ''}`,
    `${formatMs(p.banner_ms_max)} / ${formatMs(p.command_ms_max)}`,
  ]);
}

export function findingLines(e: Esmtp): string[] {
  return e.findings.map((f) => `${f.severity}: ${f.id}: ${f.text}`);
}

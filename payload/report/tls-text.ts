// tls_handshake_<ip>_<port>.txt: what a TLS person asks for first, one file per address and port.
import type { Attempt } from '../schema/summary.js';

export function tlsText(first: Attempt, all: Attempt[]): string {
  const t = first.tls!;
  const out = [
    `# TLS handshake with ${first.ip} port ${first.port} (${first.mode}), attempt ${first.id} at ${first.started_at}`,
    `sni:            ${t.sni ?? '(none: IP address target)'}`,
    `started after:  ${t.after}`,
    `handshake:      ${t.handshake_ms === null ? '-' : `${t.handshake_ms.toFixed(1)} ms`}`,
    `protocol:       ${t.protocol ?? '-'}`,
    `cipher:         ${t.cipher ?? '-'}${t.cipher_standard_name ? ` (${t.cipher_standard_name})` : ''}`,
    `alpn:           ${t.alpn ?? '(none negotiated)'}`,
    `verified:       ${t.authorized ? 'yes' : `NO: ${t.verify_error} - ${t.verify_reason}`} (Node's bundled roots and any --ca)`,
    `OS store:       ${t.os_trusted === null ? 'not checked (no store found)' : t.os_trusted ? 'trusted' : 'NOT trusted'}${t.os_store ? ` (${t.os_store})` : ''}`,
  ];
  if (t.error) out.push(`error:          ${t.error.kind}: ${t.error.code ?? ''} ${t.error.message}`);
  out.push('', `chain (${t.chain.length} certificate${t.chain.length === 1 ? '' : 's'}, leaf first):`);
  t.chain.forEach((c, i) => {
    out.push(
      `  [${i}] subject:  ${c.subject}`,
      `      issuer:   ${c.issuer}`,
      `      SANs:     ${c.subject_alt_names.join(', ') || '-'}`,
      `      valid:    ${c.valid_from} .. ${c.valid_to}`,
      `      serial:   ${c.serial}`,
      `      sha256:   ${c.fingerprint_sha256}`,
      ...(c.self_signed ? ['      (self-signed)'] : []),
    );
  });
  // Different leaves across attempts to the same address point at a middlebox or a pool.
  const leaves = new Set(all.map((a) => a.tls?.chain[0]?.fingerprint_sha256).filter(Boolean));
  if (leaves.size > 1) out.push('', `note: ${leaves.size} different leaf certificates were served across ${all.length} attempts to this address`);
  return out.join('\n') + '\n';
}

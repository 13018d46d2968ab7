// Issuer names of TLS-inspection products (web gateways, firewalls, antivirus mail/web
// shields). A chain issued by one of these instead of the provider's CA means the
// connection is decrypted on the way. Matched case-insensitively against the issuer DN
// of every certificate in the served chain.
export const INTERCEPTOR_ISSUERS: ReadonlyArray<{ product: string; pattern: RegExp }> = [
  { product: 'Zscaler', pattern: /zscaler/i },
  { product: 'Palo Alto Networks', pattern: /palo ?alto/i },
  { product: 'Fortinet FortiGate', pattern: /forti(gate|net)/i },
  { product: 'Sophos', pattern: /sophos/i },
  { product: 'Symantec / Blue Coat', pattern: /blue ?coat|symantec web/i },
  { product: 'Cisco Umbrella', pattern: /cisco umbrella|opendns/i },
  { product: 'Netskope', pattern: /netskope/i },
  { product: 'Forcepoint / Websense', pattern: /forcepoint|websense/i },
  { product: 'McAfee / Skyhigh Web Gateway', pattern: /mcafee|skyhigh/i },
  { product: 'Check Point', pattern: /check ?point/i },
  { product: 'Barracuda', pattern: /barracuda/i },
  { product: 'WatchGuard', pattern: /watchguard/i },
  { product: 'Avast Web/Mail Shield', pattern: /avast/i },
  { product: 'AVG Web/Mail Shield', pattern: /\bavg\b/i },
  { product: 'Kaspersky', pattern: /kaspersky/i },
  { product: 'ESET SSL Filter', pattern: /eset/i },
  { product: 'Bitdefender', pattern: /bitdefender/i },
  { product: 'Menlo Security', pattern: /menlo security/i },
  { product: 'iboss', pattern: /\biboss\b/i },
  { product: 'Cloudflare Gateway', pattern: /cloudflare (gateway|for teams)/i },
];

export function interceptorOf(issuers: readonly string[]): string | null {
  for (const issuer of issuers) {
    const hit = INTERCEPTOR_ISSUERS.find((i) => i.pattern.test(issuer));
    if (hit) return hit.product;
  }
  return null;
}

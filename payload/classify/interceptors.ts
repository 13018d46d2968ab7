// Whose certificate is this: the TLS-inspection products (data/interceptors.json) whose
// issuer names give them away, and the issuer each known provider's certificates come
// from (data/providers.json). A chain from an interceptor, or for a known provider from
// anyone but its usual CA, means the connection is decrypted on the way.
import { loadInterceptors, loadProviders } from './knowledge.js';

/** The inspection product named by any of these issuer (or subject) names, if one is. */
export function interceptorOf(issuers: readonly string[]): string | null {
  const products = loadInterceptors();
  for (const issuer of issuers) {
    const hit = products.find((i) => i.issuer.test(issuer));
    if (hit) return hit.product;
  }
  return null;
}

/** Who is expected to issue this host's certificate, when the host belongs to a known provider. */
export function expectedIssuer(host: string): { issuer: RegExp; name: string } | null {
  const p = loadProviders().find((x) => x.certificate_issuers && x.hosts.some((h) => h.test(host)));
  return p?.certificate_issuers ? { issuer: p.certificate_issuers.pattern, name: p.certificate_issuers.name } : null;
}

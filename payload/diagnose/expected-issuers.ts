// Who is expected to issue a mail provider's server certificate. A served chain from
// someone else, for a host listed here, is the TLS-inspection heuristic's main signal.
export const EXPECTED_ISSUERS: ReadonlyArray<{ host: RegExp; issuer: RegExp; name: string }> = [
  { host: /(^|\.)(gmail|googlemail|google)\.com\.?$/i, issuer: /Google Trust Services|GTS CA/i, name: 'Google Trust Services' },
  { host: /(^|\.)(office365|outlook)\.com\.?$/i, issuer: /DigiCert|Microsoft/i, name: 'DigiCert or Microsoft' },
  { host: /(^|\.)amazonaws\.com\.?$/i, issuer: /Amazon/i, name: 'Amazon' },
  { host: /(^|\.)(yahoo|aol)\.com\.?$/i, issuer: /DigiCert/i, name: 'DigiCert' },
];

export function expectedIssuer(host: string): { issuer: RegExp; name: string } | null {
  return EXPECTED_ISSUERS.find((e) => e.host.test(host)) ?? null;
}

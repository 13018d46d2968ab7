// Which IP family a text is, as node:net's isIP answers, without its IPv6 pattern for texts
// that cannot be IPv6. isIP tries IPv4 and then IPv6, and the IPv6 pattern is compiled at its
// first use: ~8 ms of a probe's start on a slow machine, paid for an EHLO name or a host name
// (issue 16). Every IPv6 address has a colon; no host name or IPv4 address has one.
import { isIPv4, isIPv6 } from 'node:net';

export function ipFamily(text: string): 0 | 4 | 6 {
  if (text.includes(':')) return isIPv6(text) ? 6 : 0;
  return isIPv4(text) ? 4 : 0;
}

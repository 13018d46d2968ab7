// The runner's egress IP (as Gmail's EHLO greeting names it, or --egress-ip) against the
// DNSBLs. Private, loopback, link-local and shared (CGNAT) addresses are not on any public
// blocklist and asking about them only leaks the network's layout: they are not queried.
import { BlockList } from 'node:net';
import type { SenderAudit } from '../../schema/sender.js';
import { checkDnsbl, type ALookup } from './dnsbl.js';
import type { Finding } from './spf.js';
import { ipFamily } from '../../util/ip-family.js';

const NOT_PUBLIC = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) NOT_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) NOT_PUBLIC.addSubnet(net, bits, 'ipv6');

/** False for private, loopback, link-local, shared, multicast and reserved addresses (IPv4-mapped IPv6 judged as its IPv4). */
export function isPublicIp(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped) return isPublicIp(mapped);
  const family = ipFamily(ip);
  if (!family) return false;
  return !NOT_PUBLIC.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

type Egress = SenderAudit['egress'][number];

export async function checkEgress(ip: string, source: Egress['source'], lookup: ALookup, timeoutMs: number): Promise<{ egress: Egress; findings: Finding[] }> {
  if (!isPublicIp(ip)) {
    return {
      egress: { ip, source, public: false, dnsbl: [] },
      findings: [{ id: 'egress-not-public', severity: 'info', summary: `egress IP ${ip} is not a public address: the DNSBLs were not asked`, evidence: `${ip} (${source}) is private, loopback, link-local or shared address space`, next_step: source === 'ehlo-greeting' ? 'The server saw a private address (the path to it stays inside a private network); if mail is rejected elsewhere, check the public address with --egress-ip.' : 'Give the public address the runner\'s traffic leaves from (what Gmail\'s EHLO greeting names), not an internal one.' }],
    };
  }
  const r = await checkDnsbl(ip, lookup, undefined, { concurrency: 8, timeoutMs });
  return { egress: { ip, source, public: true, dnsbl: r.results }, findings: r.findings };
}

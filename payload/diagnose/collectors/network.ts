// Network snapshot: default routes, the active interface, local addresses, whether IPv6
// is really usable (a global address and a default route), and the egress address the
// SMTP server saw. Also decides "online": a machine with no network at all says so.
import { networkInterfaces } from 'node:os';
import { NetworkSnapshotDataSchema } from '../../schema/diagnose.js';
import type { z } from 'zod';
import type { Collector } from '../collector.js';
import { parseIpconfig } from '../windows/ipconfig.js';
import { ipconfigAll, readText } from './dns.js';

type Data = z.infer<typeof NetworkSnapshotDataSchema>;
type Route = Data['default_routes'][number];
type Scope = Data['interfaces'][number]['addresses'][number]['scope'];

export function scopeOf(address: string): Scope {
  const a = address.toLowerCase();
  if (a === '::1' || a.startsWith('127.')) return 'loopback';
  if (a.startsWith('fe80:') || a.startsWith('169.254.')) return 'link-local';
  if (/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/.test(a) || /^f[cd][0-9a-f]{2}:/.test(a)) return 'private';
  return 'global';
}

/** /proc/net/route: little-endian hex addresses; the default route has destination and mask 0. */
export function parseProcRoute(text: string): Route[] {
  const out: Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[1] !== '00000000' || f[7] !== '00000000') continue;
    const flags = Number.parseInt(f[3]!, 16);
    if (!(flags & 1)) continue; // RTF_UP
    const g = f[2]!;
    const gateway = [6, 4, 2, 0].map((i) => Number.parseInt(g.slice(i, i + 2), 16)).join('.');
    out.push({ family: 4, gateway: gateway === '0.0.0.0' ? null : gateway, interface: f[0]!, metric: Number(f[6]) });
  }
  return out;
}

/** 32 hex digits -> the compressed text form (longest run of zero groups as ::). */
export function ipv6FromHex(hex: string): string {
  const groups = hex.match(/.{4}/g)!.map((g) => Number.parseInt(g, 16).toString(16));
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

/** /proc/net/ipv6_route: a ::/0 route that is up and not a reject route (lo carries those). */
export function parseProcIpv6Route(text: string): Route[] {
  const out: Route[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^0{32}$/.test(f[0]!) || f[1] !== '00') continue;
    const flags = Number.parseInt(f[8]!, 16);
    if (!(flags & 1) || flags & 0x200 || f[9] === 'lo') continue;
    out.push({ family: 6, gateway: /^0{32}$/.test(f[4]!) ? null : ipv6FromHex(f[4]!), interface: f[9]!, metric: Number.parseInt(f[5]!, 16) });
  }
  return out;
}

export const networkCollector: Collector<Data> = {
  name: 'network',
  file: 'network_snapshot.json',
  data: NetworkSnapshotDataSchema,
  async run(ctx, rec) {
    const ifs = networkInterfaces();
    const interfaces: Data['interfaces'] = Object.entries(ifs).map(([name, list]) => ({
      name,
      addresses: (list ?? []).map((i) => ({ address: i.address, family: i.family === 'IPv6' || (i.family as unknown) === 6 ? 6 : 4, cidr: i.cidr ?? null, scope: scopeOf(i.address) })),
      mac: list?.find((i) => i.mac && i.mac !== '00:00:00:00:00:00')?.mac ?? null,
      dns_servers: [],
    }));
    rec.source('os.networkInterfaces()', true);
    let routes: Route[] = [];
    if (ctx.platform === 'linux') {
      const v4 = readText(rec, '/proc/net/route', 'raw/proc_net_route.txt');
      const v6 = readText(rec, '/proc/net/ipv6_route', 'raw/proc_net_ipv6_route.txt');
      routes = [...(v4 ? parseProcRoute(v4) : []), ...(v6 ? parseProcIpv6Route(v6) : [])];
    } else if (ctx.platform === 'win32') {
      const r = await ipconfigAll(ctx, rec);
      if (r.ok) {
        for (const a of parseIpconfig(r.stdout).adapters) {
          if (a.mediaDisconnected) continue;
          for (const g of a.gateways) routes.push({ family: g.includes(':') ? 6 : 4, gateway: g, interface: a.name, metric: null });
          const known = interfaces.find((i) => i.name === a.name);
          if (known) known.dns_servers = a.dnsServers;
          else interfaces.push({ name: a.name, addresses: [...a.ipv4.map((x) => ({ address: x.address, family: 4 as const, cidr: null, scope: scopeOf(x.address) })), ...a.ipv6.map((x) => ({ address: x, family: 6 as const, cidr: null, scope: scopeOf(x) }))], mac: a.mac, dns_servers: a.dnsServers });
        }
      }
    } else {
      const r = await rec.run(ctx, 'netstat', ['-rn'], 'raw/netstat_rn.txt');
      if (r.ok) {
        for (const line of r.stdout.split('\n')) {
          const f = line.trim().split(/\s+/);
          if (f[0] === 'default' && f[1]) routes.push({ family: f[1].includes(':') ? 6 : 4, gateway: f[1].replace(/%.*$/, ''), interface: f[3] ?? f.at(-1) ?? '', metric: null });
        }
      }
    }
    const addrs = interfaces.flatMap((i) => i.addresses.map((a) => ({ ...a, name: i.name })));
    const usable = addrs.filter((a) => a.scope !== 'loopback' && a.scope !== 'link-local');
    const v4route = routes.find((r) => r.family === 4);
    const v6route = routes.find((r) => r.family === 6);
    const globalV6 = addrs.some((a) => a.family === 6 && a.scope === 'global');
    const online = usable.length > 0 && routes.length > 0;
    const data: Data = {
      online,
      default_routes: routes,
      active_interface: (v4route ?? v6route)?.interface ?? null,
      interfaces,
      ipv6: { global_address: globalV6, default_route: !!v6route, usable: globalV6 && !!v6route },
      egress_ips: ctx.probe.summary.egress_ips,
      local_addresses_used: [...new Set(ctx.probe.summary.attempts.map((a) => a.tcp.local_address).filter((x): x is string => !!x))],
    };
    if (!online) {
      rec.note(
        usable.length
          ? 'No network: this machine has addresses but no default route, so nothing beyond its own subnet can be reached.'
          : 'No network: this machine has no network interface other than loopback with an address, and no default route.',
      );
    }
    if (!data.ipv6.usable && ctx.probe.summary.dns.targets.some((t) => t.family === 6)) {
      rec.note(`The target has IPv6 addresses but IPv6 is not usable here (global address: ${globalV6 ? 'yes' : 'no'}, IPv6 default route: ${v6route ? 'yes' : 'no'}); a client that prefers AAAA will fail.`);
    }
    return data;
  },
};

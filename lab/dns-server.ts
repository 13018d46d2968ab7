// A small authoritative DNS server for the lab (UDP and TCP on loopback), so tests decide
// what "smtp.gmail.com" resolves to. Written on dns-packet; behaviour per name is data.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { closeHard, track } from './ports.js';
import dnsPacket, { type Answer, type Packet } from 'dns-packet';

export interface ZoneEntry {
  A?: string[];
  AAAA?: string[];
  /** Each record's strings (one TXT record may hold several). */
  TXT?: string[][];
  MX?: { preference: number; exchange: string }[];
  TLSA?: { usage: number; selector: number; matchingType: number; certificate: Buffer }[];
  /** Set the AD bit, as a DNSSEC-validating resolver does for a signed, valid answer (dnsmasq cannot for its own data). */
  ad?: boolean;
  /** Answer UDP with the TC bit and no records, so the client has to retry over TCP. */
  truncateUdp?: boolean;
  ttl?: number;
  rcode?: 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
  /** Never answer (resolver timeout). */
  drop?: boolean;
}
export type Zone = Record<string, ZoneEntry>;

export interface LabDns {
  address: string;
  port: number;
  queries: number;
  close(): Promise<void>;
}

const RCODES = { SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

function answer(zone: Zone, query: Packet, udp = false): Buffer | null {
  const q = query.questions?.[0];
  const name = q?.name.toLowerCase().replace(/\.$/, '') ?? '';
  const entry = zone[name];
  if (entry?.drop) return null;
  const base = { id: query.id, type: 'response' as const, flags: dnsPacket.AUTHORITATIVE_ANSWER | (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED, questions: query.questions };
  if (!entry || entry.rcode) {
    // dns-packet carries the RCODE in the low four bits of the flags.
    return dnsPacket.encode({ ...base, flags: base.flags | RCODES[entry?.rcode ?? 'NXDOMAIN'] });
  }
  if (udp && entry.truncateUdp) return dnsPacket.encode({ ...base, flags: base.flags | dnsPacket.TRUNCATED_RESPONSE });
  if (entry.ad) base.flags |= dnsPacket.AUTHENTIC_DATA;
  const answers: Answer[] = [];
  if (q?.type === 'TLSA') for (const data of entry.TLSA ?? []) answers.push({ type: 'TLSA', class: 'IN', name: q.name, ttl: entry.ttl ?? 300, data });
  if (q && (q.type === 'A' || q.type === 'AAAA')) {
    for (const data of entry[q.type] ?? []) answers.push({ type: q.type, class: 'IN', name: q.name, ttl: entry.ttl ?? 300, data });
  }
  if (q?.type === 'TXT') for (const data of entry.TXT ?? []) answers.push({ type: 'TXT', class: 'IN', name: q.name, ttl: entry.ttl ?? 300, data });
  if (q?.type === 'MX') for (const data of entry.MX ?? []) answers.push({ type: 'MX', class: 'IN', name: q.name, ttl: entry.ttl ?? 300, data });
  return dnsPacket.encode({ ...base, answers });
}

/** `fixedPort` 0 takes a free port; a fixed one (53, for a resolv.conf, which cannot name a port) is tried once. */
export async function startDns(zone: Zone, address = '127.0.0.1', fixedPort = 0): Promise<LabDns> {
  const state = { queries: 0 };
  const newUdp = (): UdpSocket => {
    const udp: UdpSocket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    udp.on('message', (msg, rinfo) => {
      state.queries++;
      try {
        const reply = answer(zone, dnsPacket.decode(msg), true);
        if (reply) udp.send(reply, rinfo.port, rinfo.address);
      } catch {
        /* malformed query: ignore, as a real server would */
      }
    });
    return udp;
  };
  // TCP as well, for clients that fall back to it.
  const tcp: Server = track(createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        state.queries++;
        try {
          const reply = answer(zone, dnsPacket.decode(msg));
          if (reply) sock.write(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 255]), reply]));
        } catch {
          sock.destroy();
        }
      }
    });
    sock.on('error', () => {});
  }));
  // TCP on the UDP port's number: another process may hold that number for TCP already, so
  // a clash means another UDP port, not a failed lab.
  let udp: UdpSocket;
  let port = 0;
  for (let tries = 0; ; tries++) {
    udp = newUdp();
    await new Promise<void>((r, j) => udp.once('error', j).bind(fixedPort, address, () => (udp.off('error', j), r())));
    port = udp.address().port;
    try {
      await new Promise<void>((r, j) => {
        tcp.once('error', j);
        tcp.listen(port, address, () => (tcp.off('error', j), r()));
      });
      break;
    } catch (err) {
      udp.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || fixedPort || tries >= 20) throw err;
    }
  }
  return {
    address,
    port,
    get queries() {
      return state.queries;
    },
    close: () =>
      new Promise<void>((r) => {
        udp.close();
        void closeHard(tcp).then(r);
      }),
  };
}

// TLSA records (RFC 6698, RFC 7671) asked on the wire with dns-packet, since Node's resolver
// has no TLSA type and hides the AD bit: UDP with EDNS0, TCP when the answer is truncated,
// bounded by one time limit. The AD bit is reported as the resolver set it: DANE only
// protects anything when the resolver validated DNSSEC (or the runner validates itself).
import { createHash, X509Certificate } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect as tcpConnect } from 'node:net';
import { performance } from '../../util/clock.js';
import dnsPacket, { type DecodedPacket, type Packet } from 'dns-packet';
import type { TlsaRecord } from '../../schema/sender.js';
import { ipFamily } from '../../util/ip-family.js';

export interface DnsServerAddr {
  address: string;
  port: number;
}

export interface TlsaAnswer {
  records: TlsaRecord[];
  ad: boolean;
  rcode: string;
  transport: 'udp' | 'tcp';
  ms: number;
}

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
const MAX_ANSWER_BYTES = 65_535;

function query(name: string, id: number): Buffer {
  const packet: Packet = {
    type: 'query',
    id,
    // AD in a query asks the resolver to say whether it validated (RFC 6840 5.7); RD: recurse.
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
    questions: [{ type: 'TLSA', name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
  };
  return dnsPacket.encode(packet);
}

function overUdp(server: DnsServerAddr, msg: Buffer, id: number, signal: AbortSignal): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(ipFamily(server.address) === 6 ? 'udp6' : 'udp4');
    const stop = (err: Error | null, p?: DecodedPacket) => {
      signal.removeEventListener('abort', onAbort);
      sock.close();
      if (err) reject(err);
      else resolve(p!);
    };
    const onAbort = () => stop(new Error('timed out'));
    signal.addEventListener('abort', onAbort);
    sock.on('error', (err) => stop(err));
    sock.on('message', (buf) => {
      try {
        const p = dnsPacket.decode(buf);
        if (p.id === id) stop(null, p); // a stray datagram with another id is not our answer
      } catch {
        stop(new Error('malformed DNS answer'));
      }
    });
    sock.send(msg, server.port, server.address);
  });
}

function overTcp(server: DnsServerAddr, msg: Buffer, signal: AbortSignal): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ host: server.address, port: server.port });
    let buf = Buffer.alloc(0);
    const stop = (err: Error | null, p?: DecodedPacket) => {
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve(p!);
    };
    const onAbort = () => stop(new Error('timed out'));
    signal.addEventListener('abort', onAbort);
    sock.on('error', (err) => stop(err));
    sock.on('connect', () => sock.write(Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 255]), msg])));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > MAX_ANSWER_BYTES + 2) return stop(new Error('DNS answer too large'));
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        try {
          stop(null, dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        } catch {
          stop(new Error('malformed DNS answer'));
        }
      }
    });
    sock.on('end', () => stop(new Error('connection closed before the answer')));
  });
}

/** The TLSA records of `name` as `server` answers them; throws (one line) on timeout or a transport error. */
export async function queryTlsa(name: string, server: DnsServerAddr, timeoutMs: number): Promise<TlsaAnswer> {
  const t0 = performance.now();
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const id = Math.floor(Math.random() * 65_536);
    const msg = query(name, id);
    let p = await overUdp(server, msg, id, ac.signal);
    let transport: TlsaAnswer['transport'] = 'udp';
    if (p.flag_tc) {
      p = await overTcp(server, msg, ac.signal);
      transport = 'tcp';
    }
    const rcode = RCODES[(p.flags ?? 0) & 0xf] ?? `RCODE${(p.flags ?? 0) & 0xf}`;
    const records: TlsaRecord[] = [];
    for (const a of p.answers ?? []) {
      if (a.type !== 'TLSA') continue;
      records.push({ usage: a.data.usage, selector: a.data.selector, matching_type: a.data.matchingType, data: a.data.certificate.toString('hex') });
    }
    return { records, ad: p.flag_ad, rcode, transport, ms: performance.now() - t0 };
  } catch (err) {
    throw new Error(`TLSA ${name} via ${server.address}:${server.port}: ${err instanceof Error ? err.message : String(err)}${ac.signal.aborted ? ` after ${timeoutMs} ms` : ''}`);
  } finally {
    clearTimeout(timer);
  }
}

/** One certificate of a served chain as TLSA can pin it: digests always, the DER when known. */
export interface CertDigest {
  cert_sha256: string;
  spki_sha256: string | null;
  cert_der?: Buffer;
  spki_der?: Buffer;
}

/** All forms of a DER certificate (tests, and callers that hold the raw chain). */
export function certDigest(der: Buffer): CertDigest {
  const spki = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  return { cert_sha256: createHash('sha256').update(der).digest('hex'), spki_sha256: createHash('sha256').update(spki).digest('hex'), cert_der: der, spki_der: spki };
}

/** "AB:CD:..." (Node's fingerprint256) or plain hex, as lower-case hex. */
export function normHex(s: string): string {
  return s.replace(/:/g, '').toLowerCase();
}

/** The value a record with this selector and matching type would hold for `c`; null when it cannot be computed from what is known. */
function valueFor(c: CertDigest, selector: number, matching: number): string | null {
  const der = selector === 0 ? c.cert_der : selector === 1 ? c.spki_der : undefined;
  if (matching === 1) {
    if (selector === 0) return normHex(c.cert_sha256);
    if (selector === 1) return c.spki_sha256 ? normHex(c.spki_sha256) : null;
    return null;
  }
  if (!der) return null;
  if (matching === 0) return der.toString('hex');
  if (matching === 2) return createHash('sha512').update(der).digest('hex');
  return null;
}

export const TLSA_USAGE = ['PKIX-TA', 'PKIX-EE', 'DANE-TA', 'DANE-EE'];

export interface TlsaMatch {
  match: 'match' | 'mismatch' | 'not-checked';
  matched: string | null;
  /** The usage of the record that matched: 0 and 1 (PKIX-TA/EE) also need the chain to validate. */
  usage: number | null;
  /** Records whose form could not be computed from the chain known here. */
  unchecked: number;
}

/**
 * RFC 6698 2.1 / RFC 7671: usage 3 and 1 pin the leaf, 2 and 0 a CA certificate in the served
 * chain. `chain` is leaf first. Usages 0/1 also need PKIX validation, which the caller judges.
 */
export function matchTlsa(records: readonly TlsaRecord[], chain: readonly CertDigest[]): TlsaMatch {
  let unchecked = 0;
  let checked = 0;
  for (const r of records) {
    const candidates = r.usage === 3 || r.usage === 1 ? chain.slice(0, 1) : r.usage === 2 || r.usage === 0 ? chain.slice(1) : [];
    if (!candidates.length && r.usage > 3) continue;
    let any = false;
    for (const [i, c] of candidates.entries()) {
      const v = valueFor(c, r.selector, r.matching_type);
      if (v === null) continue;
      any = true;
      if (v === r.data.toLowerCase()) {
        const at = r.usage === 3 || r.usage === 1 ? 'the leaf' : `chain certificate ${i + 1}`;
        return { match: 'match', matched: `${r.usage} ${r.selector} ${r.matching_type} (${TLSA_USAGE[r.usage] ?? r.usage}) on ${at}`, usage: r.usage, unchecked };
      }
    }
    if (any) checked++;
    else unchecked++;
  }
  return { match: checked ? 'mismatch' : 'not-checked', matched: null, usage: null, unchecked };
}

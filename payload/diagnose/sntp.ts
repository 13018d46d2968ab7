// A minimal SNTP client (RFC 4330): one 48-byte request over UDP, the clock offset from the
// four timestamps. Enough to tell a skewed clock that breaks certificate checks; not a
// time-keeping daemon.
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { ipFamily } from '../util/ip-family.js';

const NTP_EPOCH_OFFSET = 2_208_988_800; // seconds from 1900 to 1970

export interface SntpResult {
  address: string;
  offsetMs: number;
  roundTripMs: number;
  stratum: number;
}

function readTimestamp(buf: Buffer, at: number): number {
  const seconds = buf.readUInt32BE(at);
  const fraction = buf.readUInt32BE(at + 4);
  return (seconds - NTP_EPOCH_OFFSET) * 1000 + (fraction * 1000) / 2 ** 32;
}

export function writeTimestamp(buf: Buffer, at: number, ms: number): void {
  const seconds = Math.floor(ms / 1000) + NTP_EPOCH_OFFSET;
  buf.writeUInt32BE(seconds >>> 0, at);
  buf.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32) >>> 0, at + 4);
}

export async function sntpQuery(host: string, port: number, timeoutMs: number, now: () => number = Date.now): Promise<SntpResult> {
  const address = ipFamily(host) ? host : (await lookup(host)).address;
  const sock = createSocket(ipFamily(address) === 6 ? 'udp6' : 'udp4');
  try {
    return await new Promise<SntpResult>((resolve, reject) => {
      const req = Buffer.alloc(48);
      req[0] = (4 << 3) | 3; // version 4, mode 3 (client)
      const t1 = now();
      writeTimestamp(req, 40, t1);
      const timer = setTimeout(() => reject(Object.assign(new Error(`no SNTP answer from ${address}:${port} in ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.on('message', (msg) => {
        const t4 = now();
        if (msg.length < 48 || (msg[0]! & 0x07) !== 4) return; // not a server reply
        clearTimeout(timer);
        const stratum = msg[1]!;
        if (stratum === 0) return reject(new Error(`SNTP server ${address} sent a kiss-of-death (${msg.subarray(12, 16).toString('latin1')})`));
        const t2 = readTimestamp(msg, 32);
        const t3 = readTimestamp(msg, 40);
        resolve({ address, offsetMs: (t2 - t1 + (t3 - t4)) / 2, roundTripMs: Math.max(0, t4 - t1 - (t3 - t2)), stratum });
      });
      sock.send(req, port, address, (e) => {
        if (!e) return;
        clearTimeout(timer);
        reject(e);
      });
    });
  } finally {
    sock.close();
  }
}

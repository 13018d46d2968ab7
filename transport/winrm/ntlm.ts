// NTLMv2 authentication messages, written from MS-NLMP. Only what HTTP authentication
// needs: NEGOTIATE, reading the server's CHALLENGE, and an AUTHENTICATE with an NTLMv2
// response, a MIC and (over HTTPS) channel bindings. No key exchange and no sealing, so no
// RC4: that is why HTTP with NTLM message encryption is not offered (see README).
// MD4 comes from js-md4 because Node 20's OpenSSL 3 refuses it; HMAC-MD5 and MD5 are
// still in OpenSSL's default provider.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import md4 from 'js-md4';
import { SmtpProbeError } from '../../payload/util/errors.js';

export const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export const FLAGS = {
  unicode: 0x00000001,
  requestTarget: 0x00000004,
  ntlm: 0x00000200,
  alwaysSign: 0x00008000,
  extendedSessionSecurity: 0x00080000,
  targetInfo: 0x00800000,
  version: 0x02000000,
  n128: 0x20000000,
  n56: 0x80000000,
} as const;

const CLIENT_FLAGS =
  FLAGS.unicode | FLAGS.requestTarget | FLAGS.ntlm | FLAGS.alwaysSign | FLAGS.extendedSessionSecurity | FLAGS.targetInfo | FLAGS.version | FLAGS.n128 | FLAGS.n56;

// Version field: 10.0, build 19041, NTLM revision 15. Informational only.
const VERSION = Buffer.from([10, 0, 0x61, 0x4a, 0, 0, 0, 15]);

export const AV = { eol: 0, nbComputer: 1, nbDomain: 2, dnsComputer: 3, dnsDomain: 4, flags: 6, timestamp: 7, channelBindings: 10 } as const;

export class NtlmError extends SmtpProbeError {
  override name = 'NtlmError';
  constructor(message: string) {
    super('ntlm', message);
  }
}

const utf16 = (s: string) => Buffer.from(s, 'utf16le');
const hmacMd5 = (key: Buffer, ...data: Buffer[]) => {
  const h = createHmac('md5', key);
  for (const d of data) h.update(d);
  return h.digest();
};

export function ntHash(password: string): Buffer {
  return Buffer.from(md4.arrayBuffer(utf16(password)));
}

/** NTOWFv2: the user's NTLMv2 key, from MS-NLMP 3.3.2. */
export function ntowfv2(password: string, user: string, domain: string): Buffer {
  return hmacMd5(ntHash(password), utf16(user.toUpperCase() + domain));
}

/** Splits DOMAIN\user; a UPN (user@domain) stays whole with an empty domain, as Windows expects. */
export function splitUser(username: string): { user: string; domain: string } {
  const i = username.indexOf('\\');
  return i < 0 ? { user: username, domain: '' } : { user: username.slice(i + 1), domain: username.slice(0, i) };
}

/** Reads a security buffer (length, max length, offset) at `at`. */
export function field(msg: Buffer, at: number): Buffer {
  if (msg.length < at + 8) throw new NtlmError('NTLM message too short');
  const len = msg.readUInt16LE(at);
  const off = msg.readUInt32LE(at + 4);
  if (off + len > msg.length) throw new NtlmError('NTLM field points outside the message');
  return msg.subarray(off, off + len);
}

export function messageType(msg: Buffer): number {
  if (msg.length < 12 || !msg.subarray(0, 8).equals(SIGNATURE)) throw new NtlmError('not an NTLMSSP message');
  return msg.readUInt32LE(8);
}

export function parseAvPairs(buf: Buffer): Array<{ id: number; value: Buffer }> {
  const out: Array<{ id: number; value: Buffer }> = [];
  for (let at = 0; at + 4 <= buf.length; ) {
    const id = buf.readUInt16LE(at);
    const len = buf.readUInt16LE(at + 2);
    if (id === AV.eol) break;
    out.push({ id, value: buf.subarray(at + 4, at + 4 + len) });
    at += 4 + len;
  }
  return out;
}

export function encodeAvPairs(pairs: Array<{ id: number; value: Buffer }>): Buffer {
  const parts = pairs.flatMap(({ id, value }) => {
    const h = Buffer.alloc(4);
    h.writeUInt16LE(id, 0);
    h.writeUInt16LE(value.length, 2);
    return [h, value];
  });
  return Buffer.concat([...parts, Buffer.alloc(4)]); // MsvAvEOL
}

/** Lays out a message: fixed header, then each payload with its security buffer filled in. */
export function layout(header: Buffer, fields: Array<{ at: number; data: Buffer }>): Buffer {
  let off = header.length;
  for (const f of fields) {
    header.writeUInt16LE(f.data.length, f.at);
    header.writeUInt16LE(f.data.length, f.at + 2);
    header.writeUInt32LE(off, f.at + 4);
    off += f.data.length;
  }
  return Buffer.concat([header, ...fields.map((f) => f.data)]);
}

export function negotiateMessage(): Buffer {
  const h = Buffer.alloc(40);
  SIGNATURE.copy(h, 0);
  h.writeUInt32LE(1, 8);
  h.writeUInt32LE(CLIENT_FLAGS >>> 0, 12);
  VERSION.copy(h, 32);
  return layout(h, [
    { at: 16, data: Buffer.alloc(0) },
    { at: 24, data: Buffer.alloc(0) },
  ]);
}

export interface Challenge {
  flags: number;
  serverChallenge: Buffer;
  targetInfo: Buffer;
}

export function parseChallenge(msg: Buffer): Challenge {
  if (messageType(msg) !== 2 || msg.length < 48) throw new NtlmError('expected an NTLM CHALLENGE message');
  return { flags: msg.readUInt32LE(20), serverChallenge: Buffer.from(msg.subarray(24, 32)), targetInfo: Buffer.from(field(msg, 40)) };
}

/**
 * RFC 5929 tls-server-end-point channel binding, hashed as MS-NLMP's MsvAvChannelBindings
 * wants: MD5 of a gss_channel_bindings_struct whose only content is the application data.
 */
export function channelBindingsHash(serverCertDer: Buffer): Buffer {
  const app = Buffer.concat([Buffer.from('tls-server-end-point:'), createHash(certHashName(serverCertDer)).update(serverCertDer).digest()]);
  const lengths = Buffer.alloc(20);
  lengths.writeUInt32LE(app.length, 16);
  return createHash('md5').update(lengths).update(app).digest();
}

// RFC 5929: the certificate's own signature hash, with MD5 and SHA-1 raised to SHA-256.
function certHashName(der: Buffer): string {
  const oids: Array<[string, string]> = [
    ['2a864886f70d01010c', 'sha384'], // sha384WithRSAEncryption
    ['2a864886f70d01010d', 'sha512'],
    ['2a8648ce3d040303', 'sha384'], // ecdsa-with-SHA384
    ['2a8648ce3d040304', 'sha512'],
  ];
  const hex = der.toString('hex');
  return oids.find(([oid]) => hex.includes(oid))?.[1] ?? 'sha256';
}

export interface AuthenticateInput {
  negotiate: Buffer;
  challenge: Buffer;
  username: string;
  password: string;
  workstation?: string;
  channelBindings?: Buffer;
  /** For tests: fixed client challenge and time. */
  clientChallenge?: Buffer;
  now?: Date;
}

function fileTime(d: Date): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE((BigInt(d.getTime()) + 11_644_473_600_000n) * 10_000n);
  return b;
}

export function authenticateMessage(input: AuthenticateInput): Buffer {
  const ch = parseChallenge(input.challenge);
  const { user, domain } = splitUser(input.username);
  const pairs = parseAvPairs(ch.targetInfo);
  const stamp = pairs.find((p) => p.id === AV.timestamp)?.value;
  const oldFlags = pairs.find((p) => p.id === AV.flags)?.value.readUInt32LE(0) ?? 0;
  const avFlags = Buffer.alloc(4);
  avFlags.writeUInt32LE((oldFlags | 0x2) >>> 0); // 0x2: a MIC is present
  const kept = pairs.filter((p) => p.id !== AV.flags && p.id !== AV.channelBindings);
  const targetInfo = encodeAvPairs([
    ...kept,
    { id: AV.flags, value: avFlags },
    ...(input.channelBindings ? [{ id: AV.channelBindings, value: input.channelBindings }] : []),
  ]);

  const key = ntowfv2(input.password, user, domain);
  const clientChallenge = input.clientChallenge ?? randomBytes(8);
  const temp = Buffer.concat([Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]), stamp ?? fileTime(input.now ?? new Date()), clientChallenge, Buffer.alloc(4), targetInfo, Buffer.alloc(4)]);
  const proof = hmacMd5(key, ch.serverChallenge, temp);
  const ntResponse = Buffer.concat([proof, temp]);
  // With a server timestamp the LMv2 response must be zeros (MS-NLMP 3.1.5.1.2).
  const lmResponse = stamp ? Buffer.alloc(24) : Buffer.concat([hmacMd5(key, ch.serverChallenge, clientChallenge), clientChallenge]);
  const sessionKey = hmacMd5(key, proof);

  const flags = (ch.flags & CLIENT_FLAGS) | FLAGS.unicode;
  const h = Buffer.alloc(88);
  SIGNATURE.copy(h, 0);
  h.writeUInt32LE(3, 8);
  h.writeUInt32LE(flags >>> 0, 60);
  VERSION.copy(h, 64);
  const msg = layout(h, [
    { at: 12, data: lmResponse },
    { at: 20, data: ntResponse },
    { at: 28, data: utf16(domain) },
    { at: 36, data: utf16(user) },
    { at: 44, data: utf16(input.workstation ?? '') },
    { at: 52, data: Buffer.alloc(0) },
  ]);
  hmacMd5(sessionKey, input.negotiate, input.challenge, msg).copy(msg, 72);
  return msg;
}

/** The parts of an AUTHENTICATE message a server checks. */
export function parseAuthenticate(msg: Buffer): { user: string; domain: string; ntResponse: Buffer; lmResponse: Buffer; flags: number } {
  if (messageType(msg) !== 3 || msg.length < 64) throw new NtlmError('expected an NTLM AUTHENTICATE message');
  return {
    lmResponse: field(msg, 12),
    ntResponse: field(msg, 20),
    domain: field(msg, 28).toString('utf16le'),
    user: field(msg, 36).toString('utf16le'),
    flags: msg.readUInt32LE(60),
  };
}

/** Server side: true when ntResponse is a valid NTLMv2 response to serverChallenge for this password. */
export function verifyNtlmv2(ntResponse: Buffer, serverChallenge: Buffer, password: string, user: string, domain: string): boolean {
  if (ntResponse.length < 48) return false; // NTLMv1 responses are 24 bytes: refused
  const key = ntowfv2(password, user, domain);
  const expect = hmacMd5(key, serverChallenge, ntResponse.subarray(16));
  return expect.equals(ntResponse.subarray(0, 16));
}

export { fileTime };

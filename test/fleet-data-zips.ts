// Hand-built ZIP archives for the untrusted-ZIP tests: yazl refuses to write most of what a
// hostile runner could send (lying sizes, links, "..", duplicate names, headers that disagree,
// records the end record does not count), so we write the bytes.
import { crc32, deflateRawSync } from 'node:zlib';

export interface RawEntry {
  name: string | Buffer;
  data: Buffer | string;
  /** 8 = deflate (default), 0 = stored; anything else is written as stored bytes. */
  method?: number;
  /** Uncompressed size written in the headers; defaults to the true one. */
  declaredSize?: number;
  /** Default: made by Unix, regular file 0644. */
  versionMadeBy?: number;
  externalAttrs?: number;
  flags?: number;
  extra?: Buffer;
  /** CRC-32 written in both headers; defaults to the true one. */
  crc?: number;
  /** The local header's own values, where they should differ from the central directory's. */
  local?: { name?: string | Buffer; flags?: number; method?: number; crc?: number; size?: number; extra?: Buffer };
  /** Sets the data-descriptor flag: the local header carries zeros, a descriptor after the data the values. */
  dataDescriptor?: { signature?: boolean; crc?: number };
  /** Bytes stored as the entry's (compressed) data instead of `data` compressed. */
  body?: Buffer;
  /** Compressed size written in both headers; defaults to the body's length. */
  compressedSize?: number;
  /** The local header offset written in the central record; defaults to the true one. */
  offset?: number;
  /** Bytes written after this entry's data, counted by no record. */
  after?: Buffer;
  /** Written as a local entry only, with no central record. */
  localOnly?: boolean;
}

export interface ZipOptions {
  /** Entry count written in the end record; defaults to the number of central records. */
  declaredCount?: number;
  /** Central directory size written in the end record; defaults to the true one. */
  cdSize?: (trueSize: number) => number;
  /** Bytes before the first entry; the offsets account for them unless `keepOffsets`. */
  prefix?: Buffer;
  keepOffsets?: boolean;
  /** Bytes between the central directory and the end record. */
  beforeEocd?: Buffer;
  /** Bytes after the end record. */
  trailing?: Buffer;
  comment?: Buffer;
  /** Disk number written in the end record. */
  disk?: number;
}

export const UNIX_MADE_BY = (3 << 8) | 20;
export const unixMode = (mode: number) => (mode << 16) >>> 0;

export function buildZip(entries: RawEntry[], opts: ZipOptions = {}): Buffer {
  const prefix = opts.prefix ?? Buffer.alloc(0);
  const locals: Buffer[] = [prefix];
  const centrals: Buffer[] = [];
  let offset = opts.keepOffsets ? 0 : prefix.length;
  let records = 0;
  for (const e of entries) {
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data, 'utf8');
    const name = toBuf(e.name);
    const method = e.method ?? 8;
    const body = e.body ?? (method === 8 ? deflateRawSync(data) : data);
    const csize = e.compressedSize ?? body.length;
    const size = e.declaredSize ?? data.length;
    const crc = e.crc ?? crc32(data);
    const dd = e.dataDescriptor;
    const flags = (e.flags ?? 0x800) | (dd ? 0x8 : 0);
    const extra = e.extra ?? Buffer.alloc(0);
    const l = e.local ?? {};
    const lname = l.name === undefined ? name : toBuf(l.name);
    const lextra = l.extra ?? extra;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(l.flags ?? flags, 6);
    local.writeUInt16LE(l.method ?? method, 8);
    local.writeUInt32LE(dd ? 0 : (l.crc ?? crc), 14);
    local.writeUInt32LE(dd ? 0 : csize, 18);
    local.writeUInt32LE(dd ? 0 : (l.size ?? size), 22);
    local.writeUInt16LE(lname.length, 26);
    local.writeUInt16LE(lextra.length, 28);
    const descriptor = Buffer.alloc(dd ? (dd.signature === false ? 12 : 16) : 0);
    if (dd) {
      let p = 0;
      if (dd.signature !== false) p = descriptor.writeUInt32LE(0x08074b50, 0);
      p = descriptor.writeUInt32LE(dd.crc ?? crc, p);
      p = descriptor.writeUInt32LE(csize, p);
      descriptor.writeUInt32LE(size, p);
    }
    const after = e.after ?? Buffer.alloc(0);
    locals.push(local, lname, lextra, body, descriptor, after);

    if (!e.localOnly) {
      const central = Buffer.alloc(46);
      central.writeUInt32LE(0x02014b50, 0);
      central.writeUInt16LE(e.versionMadeBy ?? UNIX_MADE_BY, 4);
      central.writeUInt16LE(20, 6);
      central.writeUInt16LE(flags, 8);
      central.writeUInt16LE(method, 10);
      central.writeUInt32LE(crc, 16);
      central.writeUInt32LE(csize, 20);
      central.writeUInt32LE(size, 24);
      central.writeUInt16LE(name.length, 28);
      central.writeUInt16LE(extra.length, 30);
      central.writeUInt32LE(e.externalAttrs ?? unixMode(0o100644), 38);
      central.writeUInt32LE(e.offset ?? offset, 42);
      centrals.push(central, name, extra);
      records++;
    }
    offset += 30 + lname.length + lextra.length + body.length + descriptor.length + after.length;
  }
  const cd = Buffer.concat(centrals);
  const comment = opts.comment ?? Buffer.alloc(0);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(opts.disk ?? 0, 4);
  const count = opts.declaredCount ?? records;
  eocd.writeUInt16LE(count, 8);
  eocd.writeUInt16LE(count, 10);
  eocd.writeUInt32LE(opts.cdSize ? opts.cdSize(cd.length) : cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  eocd.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...locals, cd, opts.beforeEocd ?? Buffer.alloc(0), eocd, comment, opts.trailing ?? Buffer.alloc(0)]);
}

const toBuf = (s: string | Buffer) => (Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));

/** An extra field: id, length, data. */
export function extraField(id: number, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(data.length, 2);
  return Buffer.concat([head, data]);
}

/** Info-ZIP Unicode Path extra field (0x7075) naming the entry `name`. */
export function unicodePathExtra(name: string): Buffer {
  const n = Buffer.from(name, 'utf8');
  const head = Buffer.alloc(5);
  head.writeUInt8(1, 0);
  head.writeUInt32LE(0, 1);
  return extraField(0x7075, Buffer.concat([head, n]));
}

/** A zip64 end-of-central-directory locator, as written just before the end record. */
export function zip64Locator(): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(0x07064b50, 0);
  b.writeUInt32LE(1, 16);
  return b;
}

/** A central directory record for `name` pointing at offset 0, to smuggle in past the count. */
export function centralRecord(name: string, attrs = unixMode(0o100644)): Buffer {
  const n = Buffer.from(name, 'utf8');
  const c = Buffer.alloc(46);
  c.writeUInt32LE(0x02014b50, 0);
  c.writeUInt16LE(UNIX_MADE_BY, 4);
  c.writeUInt16LE(20, 6);
  c.writeUInt16LE(0x800, 8);
  c.writeUInt16LE(n.length, 28);
  c.writeUInt32LE(attrs, 38);
  return Buffer.concat([c, n]);
}

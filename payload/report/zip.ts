// attachments/all_files.zip: every file of the run in one archive for the ticket.
//
// Written here in one synchronous pass, not with yazl: the files are already in memory, and
// yazl deflates each entry with zlib's asynchronous call, whose first use starts libuv's four
// pool threads, each with its own malloc arena to fault in. For a probe's 12 KB archive that
// was 8 ms and ~500 page faults of a ~170 ms run on a machine with slow page faults, against
// under 2 ms and ~40 faults deflated here on the main thread (issue 16). The format is the
// plain one yazl writes and store/zip-check.ts accepts: UTF-8 names, Unix mode bits, deflate
// (or stored where deflate would not shrink an entry), no data descriptors, no zip64.
import { writeFileSync } from 'node:fs';
import * as zlib from 'node:zlib';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const FLAG_UTF8 = 0x800;
const VERSION_NEEDED = 20; // 2.0: deflate and folders
const MADE_BY_UNIX = (3 << 8) | VERSION_NEEDED;
const STORED = 0;
const DEFLATED = 8;
const MAX_32 = 0xffffffff;

export interface ZipEntry {
  name: string;
  data: Buffer;
}

/** zlib.crc32 arrived in Node 20.15 and 22.2; the npm-installed CLI may run on an older 20. */
const crc32: (data: Buffer) => number = (zlib as { crc32?: (data: Buffer) => number }).crc32 ?? tableCrc32;

let table: Uint32Array | undefined;
function tableCrc32(data: Buffer): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Raw deflate with a window no larger than the entry: the same matches reach the whole entry,
 * and zlib's state (four buffers sized by the window) stays small for the small files of a run.
 */
function deflate(data: Buffer): Buffer {
  const windowBits = Math.max(9, Math.min(15, Math.ceil(Math.log2(data.length + 262))));
  return zlib.deflateRawSync(data, { windowBits });
}

/** Local date and time as MS-DOS stores them (two-second steps, years 1980-2107), as unzip shows them. */
function dosDateTime(d: Date): { date: number; time: number } {
  const year = Math.min(2107, Math.max(1980, d.getFullYear()));
  return {
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
  };
}

/** The archive's bytes: every entry as a regular file (mode 0644) dated `mtime`. */
export function zipBytes(entries: ReadonlyArray<ZipEntry>, mtime = new Date()): Buffer {
  if (entries.length > 0xffff) throw new Error(`a ZIP without zip64 holds at most 65535 entries, not ${entries.length}`);
  const { date, time } = dosDateTime(mtime);
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    if (name.length > 0xffff) throw new Error(`ZIP entry name too long: ${e.name.slice(0, 80)}...`);
    const crc = crc32(e.data);
    const packed = e.data.length ? deflate(e.data) : e.data;
    const method = packed.length < e.data.length ? DEFLATED : STORED;
    const body = method === DEFLATED ? packed : e.data;
    if (e.data.length > MAX_32 || offset > MAX_32) throw new Error('the run is too large for a ZIP without zip64');

    // From "version needed" to the extra field's length, a local header and its central
    // directory record hold the same 26 bytes.
    const common = Buffer.alloc(26);
    common.writeUInt16LE(VERSION_NEEDED, 0);
    common.writeUInt16LE(FLAG_UTF8, 2);
    common.writeUInt16LE(method, 4);
    common.writeUInt16LE(time, 6);
    common.writeUInt16LE(date, 8);
    common.writeUInt32LE(crc, 10);
    common.writeUInt32LE(body.length, 14);
    common.writeUInt32LE(e.data.length, 18);
    common.writeUInt16LE(name.length, 22);
    // extra field length (24): none

    const local = Buffer.alloc(30);
    local.writeUInt32LE(SIG_LOCAL, 0);
    common.copy(local, 4);

    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(SIG_CENTRAL, 0);
    dir.writeUInt16LE(MADE_BY_UNIX, 4);
    common.copy(dir, 6);
    // comment (32), disk (34), internal attributes (36): none
    dir.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    dir.writeUInt32LE(offset, 42);

    parts.push(local, name, body);
    central.push(dir, name);
    offset += local.length + name.length + body.length;
  }
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  if (offset + cdSize > MAX_32) throw new Error('the run is too large for a ZIP without zip64');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(SIG_EOCD, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, end]);
}

/** Writes the archive to `target`; returns its size in bytes. */
export function writeZip(target: string, entries: ReadonlyArray<ZipEntry>, mtime = new Date()): number {
  const bytes = zipBytes(entries, mtime);
  writeFileSync(target, bytes);
  return bytes.length;
}

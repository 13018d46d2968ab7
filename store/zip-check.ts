// A runner's ZIP is untrusted input: the runner may be compromised, its disk full, or the
// transfer cut. Nothing in the store reads a ZIP that has not passed validateResultZip.
// Sizes are counted while inflating, never taken from headers (a zip bomb lies there), and
// names are checked on the raw bytes, before any library turns them into paths.
//
// Two passes. The first reads the structure itself, byte by byte: the end record, every
// central directory record, every local header, and requires them to agree and to account
// for every byte of the file. Extractors disagree about ZIPs that are not so tidy (Info-ZIP
// lists central records past the end record's count, some read the local name, others the
// central one), and a runner could use that to show us one set of files and an operator's
// unzip another. The second pass inflates each entry through yauzl, counting bytes and CRC.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { ProbeSummarySchema, type ProbeSummary } from '../payload/schema/summary.js';
import { SmtpProbeError } from '../payload/util/errors.js';

export const SUMMARY_ENTRY = 'probe_summary.json';

export interface ZipLimits {
  /** The ZIP file itself. Transports cap their download with this too. */
  maxZipBytes: number;
  maxEntries: number;
  /** All entries inflated, counted as they inflate. */
  maxUncompressedBytes: number;
  /** probe_summary.json inflated. */
  maxJsonBytes: number;
  maxNameLength: number;
}

export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxZipBytes: 32 * 1024 * 1024,
  maxEntries: 1000,
  maxUncompressedBytes: 64 * 1024 * 1024,
  maxJsonBytes: 8 * 1024 * 1024,
  maxNameLength: 255,
});

export interface CheckedZip {
  summary: ProbeSummary;
  entries: { name: string; bytes: number }[];
  /** Folder entries (names ending in "/"), which hold no data. */
  folders: string[];
  sha256: string;
  bytes: number;
}

export type ZipRejectKind =
  | 'unreadable'
  | 'too-large'
  | 'malformed'
  | 'too-many-entries'
  | 'bad-name'
  | 'duplicate'
  | 'link'
  | 'special-file'
  | 'encrypted'
  | 'unsupported'
  | 'bomb'
  | 'size-mismatch'
  | 'crc'
  | 'hidden-entry'
  | 'name-mismatch'
  | 'header-mismatch'
  | 'zip64'
  | 'bad-mode'
  | 'made-by'
  | 'missing-summary'
  | 'bad-json'
  | 'schema';

export class ZipRejectedError extends SmtpProbeError {
  override name = 'ZipRejectedError';
  constructor(
    readonly kind: ZipRejectKind,
    reason: string,
  ) {
    super('zip-rejected', reason);
  }
}

const reject = (kind: ZipRejectKind, reason: string) => new ZipRejectedError(kind, reason);

export async function validateResultZip(path: string, limits: Partial<ZipLimits> = {}): Promise<CheckedZip> {
  const lim = { ...DEFAULT_ZIP_LIMITS, ...limits };
  let fd: number;
  try {
    // O_NOFOLLOW: a symlink planted where the ZIP should be is not followed.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw reject('unreadable', `cannot open the ZIP: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  let handedToYauzl = false;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw reject('unreadable', 'the ZIP is not a regular file');
    if (st.size > lim.maxZipBytes) throw reject('too-large', `the ZIP is ${st.size} bytes, above the ${lim.maxZipBytes}-byte cap`);
    const sha256 = hashFd(fd, st.size);
    const records = readStructure(fd, st.size, lim);
    const zip = await openZip(fd);
    handedToYauzl = true;
    try {
      const { summary, entries } = await readEntries(zip, records, lim);
      const folders = records.filter((r) => r.name.endsWith('/')).map((r) => r.name);
      return { summary, entries, folders, sha256, bytes: st.size };
    } finally {
      zip.close();
    }
  } finally {
    if (!handedToYauzl) closeSync(fd);
  }
}

function hashFd(fd: number, size: number): string {
  const h = createHash('sha256');
  const buf = Buffer.alloc(64 * 1024);
  for (let pos = 0; pos < size; ) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    h.update(buf.subarray(0, n));
    pos += n;
  }
  return h.digest('hex');
}

function openZip(fd: number): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject_) => {
    // decodeStrings off: we check raw names ourselves rather than let yauzl rewrite them.
    yauzl.fromFd(fd, { lazyEntries: true, autoClose: true, decodeStrings: false, validateEntrySizes: false }, (err, zip) => {
      if (err || !zip) return reject_(reject('malformed', `not a readable ZIP: ${err?.message ?? 'unknown error'}`));
      resolve(zip);
    });
  });
}

// ---- pass 1: the structure, from the raw bytes ----

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_DATA_DESCRIPTOR = 0x08074b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;

const FLAG_ENCRYPTED = 0x1;
const FLAG_DATA_DESCRIPTOR = 0x8;
const FLAG_STRONG_ENCRYPTION = 0x40;
const FLAG_UTF8 = 0x800;
const FLAG_MASKED_HEADERS = 0x2000;
/** Deflate options (bits 1, 2), data descriptor, UTF-8 names: all yazl or any plain writer sets. */
const FLAGS_KNOWN = 0x2 | 0x4 | FLAG_DATA_DESCRIPTOR | FLAG_UTF8;

const MSDOS = 0;
const UNIX = 3;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_SPECIAL_BITS = 0o7000;
const DOS_DIRECTORY = 0x10;
const WIN_REPARSE_POINT = 0x400;
const ZIP64_EXTRA = 0x0001;
const UNICODE_PATH_EXTRA = 0x7075;

/** One central directory record, as its bytes say, checked against its local header. */
interface ZipRecord {
  name: string;
  nameRaw: Buffer;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
  local: LocalHeader;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  if (got < len) throw reject('malformed', `not a readable ZIP: it ends early (wanted ${len} bytes at offset ${pos})`);
  return buf;
}

function readStructure(fd: number, size: number, lim: ZipLimits): ZipRecord[] {
  if (size < EOCD_SIZE) throw reject('malformed', 'not a readable ZIP: too short to hold an end-of-central-directory record');
  // The end record must end the file: with its comment, exactly. Nothing may follow it, and the
  // comment may not carry signatures a scanning extractor could take for a second end record.
  const tailLen = Math.min(size, EOCD_SIZE + 0xffff);
  const tail = readAt(fd, size - tailLen, tailLen);
  const ends: number[] = [];
  for (let i = tailLen - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === SIG_EOCD && i + EOCD_SIZE + tail.readUInt16LE(i + 20) === tailLen) ends.push(i);
  }
  if (ends.length === 0) throw reject('malformed', 'not a readable ZIP: no end-of-central-directory record ends the file');
  // One hidden in another's comment: extractors scanning from the end and from the start pick different ones.
  if (ends.length > 1) throw reject('hidden-entry', 'the ZIP ends in more than one end-of-central-directory record');
  const at = ends[0]!;
  const eocdPos = size - tailLen + at;
  const eocd = tail.subarray(at, at + EOCD_SIZE);
  const comment = tail.subarray(at + EOCD_SIZE);
  if (hasSignature(comment)) throw reject('hidden-entry', 'the ZIP comment holds ZIP record signatures');
  const count = eocd.readUInt16LE(10);
  const cdSize = eocd.readUInt32LE(12);
  const cdOffset = eocd.readUInt32LE(16);
  // Result ZIPs are far below zip64's limits (yazl writes zip64 only past 65535 entries or 4 GiB):
  // a zip64 record here can only be there to give extractors two entry counts to choose from.
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff || (eocdPos >= 20 && readAt(fd, eocdPos - 20, 4).readUInt32LE(0) === SIG_ZIP64_LOCATOR)) {
    throw reject('zip64', 'the ZIP uses zip64 end records, which a result ZIP never needs');
  }
  if (eocd.readUInt16LE(4) !== 0 || eocd.readUInt16LE(6) !== 0 || eocd.readUInt16LE(8) !== count) {
    throw reject('unsupported', 'the ZIP claims to span several disks');
  }
  if (count > lim.maxEntries) throw reject('too-many-entries', `the ZIP lists ${count} entries, above the cap of ${lim.maxEntries}`);
  if (cdOffset + cdSize > eocdPos) throw reject('malformed', 'not a readable ZIP: the central directory runs past its end record');
  // Every byte from the directory's start to the end record must belong to a counted record:
  // Info-ZIP keeps reading records past the count, so uncounted ones are files only it sees.
  const cd = readAt(fd, cdOffset, eocdPos - cdOffset);
  const records: ZipRecord[] = [];
  /** Case-folded name to the name as written. */
  const seen = new Map<string, string>();
  let pos = 0;
  for (let i = 0; i < count; i++) {
    if (pos + CENTRAL_SIZE > cdSize || cd.readUInt32LE(pos) !== SIG_CENTRAL) throw reject('malformed', `not a readable ZIP: central directory record ${i + 1} of ${count} is missing`);
    const len = CENTRAL_SIZE + cd.readUInt16LE(pos + 28) + cd.readUInt16LE(pos + 30) + cd.readUInt16LE(pos + 32);
    if (pos + len > cdSize) throw reject('malformed', `not a readable ZIP: central directory record ${i + 1} runs past the directory`);
    records.push(checkRecord(fd, cd.subarray(pos, pos + len), seen, lim));
    pos += len;
  }
  if (pos < cd.length) {
    const more = pos + 4 <= cd.length && cd.readUInt32LE(pos) === SIG_CENTRAL;
    throw reject(
      'hidden-entry',
      more
        ? `the central directory holds more records than the ${count} its end record counts`
        : `${cd.length - pos} bytes in the central directory that no counted record accounts for`,
    );
  }
  checkFolders(seen);
  checkLayout(fd, records, cdOffset);
  return records;
}

/** "PK" and two bytes from 1 to 8: how every ZIP record signature starts. */
function hasSignature(buf: Buffer): boolean {
  for (let i = buf.indexOf('PK'); i >= 0 && i + 4 <= buf.length; i = buf.indexOf('PK', i + 1)) {
    if (buf[i + 2]! >= 1 && buf[i + 2]! <= 8 && buf[i + 3]! >= 1 && buf[i + 3]! <= 8) return true;
  }
  return false;
}

/** Checks one central directory record and its local header; returns what pass 2 compares yauzl with. */
function checkRecord(fd: number, rec: Buffer, seen: Map<string, string>, lim: ZipLimits): ZipRecord {
  const madeBy = rec.readUInt16LE(4);
  const flags = rec.readUInt16LE(8);
  const method = rec.readUInt16LE(10);
  const crc = rec.readUInt32LE(16);
  const compressedSize = rec.readUInt32LE(20);
  const uncompressedSize = rec.readUInt32LE(24);
  const nameLen = rec.readUInt16LE(28);
  const extraLen = rec.readUInt16LE(30);
  const attrs = rec.readUInt32LE(38);
  const localOffset = rec.readUInt32LE(42);
  const nameRaw = rec.subarray(CENTRAL_SIZE, CENTRAL_SIZE + nameLen);
  const extras = parseExtras(rec.subarray(CENTRAL_SIZE + nameLen, CENTRAL_SIZE + nameLen + extraLen));
  const local = readLocal(fd, localOffset);

  const name = checkName(nameRaw, flags, [...extras, ...local.extras], lim);
  const shown = `entry "${printable(name)}"`;
  const folded = name.normalize('NFC').toLowerCase();
  // Case-folded: on a Windows or macOS disk two such entries would overwrite each other.
  if (seen.has(folded)) throw reject('duplicate', `duplicate entry name "${printable(name)}"`);
  seen.set(folded, name);
  checkKind(madeBy, attrs, name);
  if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS) || local.flags & FLAG_ENCRYPTED) throw reject('encrypted', `${shown} is encrypted`);
  if (method !== 0 && method !== 8) throw reject('unsupported', `${shown} uses compression method ${method}`);
  if (flags & ~FLAGS_KNOWN) throw reject('unsupported', `${shown} uses general-purpose flags 0x${flags.toString(16)}`);
  if ([...extras, ...local.extras].some((f) => f.id === ZIP64_EXTRA)) throw reject('zip64', `${shown} carries a zip64 field, which a result ZIP never needs`);
  if (rec.readUInt16LE(34) !== 0) throw reject('unsupported', `${shown} claims to start on another disk`);
  if (name.endsWith('/') && (compressedSize !== 0 || uncompressedSize !== 0)) throw reject('special-file', `${shown} is a folder that holds data`);

  // The local header is what streaming extractors read: it must say what the directory says.
  if (!local.nameRaw.equals(nameRaw)) {
    throw reject('name-mismatch', `${shown} is named "${printable(local.nameRaw.toString('latin1'))}" in its local header`);
  }
  const differs = (what: string, l: number, c: number) => {
    if (l !== c) throw reject('header-mismatch', `${shown}: its local header says ${what} ${l}, the central directory ${c}`);
  };
  differs('flags', local.flags, flags);
  differs('compression method', local.method, method);
  // With a data descriptor the local CRC and sizes may be zero, the descriptor then carries them.
  if (!(flags & FLAG_DATA_DESCRIPTOR) || local.crc !== 0 || local.compressedSize !== 0 || local.uncompressedSize !== 0) {
    differs('CRC-32', local.crc, crc);
    differs('compressed size', local.compressedSize, compressedSize);
    differs('size', local.uncompressedSize, uncompressedSize);
  }
  return { name, nameRaw, method, crc, compressedSize, uncompressedSize, localOffset, local };
}

interface LocalHeader {
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  nameRaw: Buffer;
  extras: ExtraField[];
  /** Header, name and extra field: where the entry's data starts, from the header's offset. */
  headerBytes: number;
}

function readLocal(fd: number, offset: number): LocalHeader {
  const head = readAt(fd, offset, LOCAL_SIZE);
  if (head.readUInt32LE(0) !== SIG_LOCAL) throw reject('malformed', `not a readable ZIP: no local header at offset ${offset}`);
  const nameLen = head.readUInt16LE(26);
  const extraLen = head.readUInt16LE(28);
  const rest = readAt(fd, offset + LOCAL_SIZE, nameLen + extraLen);
  return {
    flags: head.readUInt16LE(6),
    method: head.readUInt16LE(8),
    crc: head.readUInt32LE(14),
    compressedSize: head.readUInt32LE(18),
    uncompressedSize: head.readUInt32LE(22),
    nameRaw: rest.subarray(0, nameLen),
    extras: parseExtras(rest.subarray(nameLen)),
    headerBytes: LOCAL_SIZE + nameLen + extraLen,
  };
}

interface ExtraField {
  id: number;
  data: Buffer;
}

function parseExtras(buf: Buffer): ExtraField[] {
  const out: ExtraField[] = [];
  for (let i = 0; i < buf.length; ) {
    if (i + 4 > buf.length) throw reject('malformed', 'not a readable ZIP: a truncated extra field');
    const id = buf.readUInt16LE(i);
    const len = buf.readUInt16LE(i + 2);
    if (i + 4 + len > buf.length) throw reject('malformed', 'not a readable ZIP: an extra field runs past its end');
    // Two fields of one kind: which one counts depends on the extractor.
    if (out.some((f) => f.id === id)) throw reject('malformed', `not a readable ZIP: extra field 0x${id.toString(16)} appears twice`);
    out.push({ id, data: buf.subarray(i + 4, i + 4 + len) });
    i += 4 + len;
  }
  return out;
}

/**
 * Entries must tile the file from offset 0 to the central directory, in order, without gaps
 * or overlaps: a gap could hold an entry only a scanning extractor finds, and overlapping
 * entries are how small ZIPs inflate to terabytes.
 */
function checkLayout(fd: number, records: ZipRecord[], cdOffset: number): void {
  let expected = 0;
  for (const r of [...records].sort((a, b) => a.localOffset - b.localOffset)) {
    const shown = `entry "${printable(r.name)}"`;
    if (r.localOffset < expected) throw reject('malformed', `not a readable ZIP: ${shown} overlaps the entry before it`);
    if (r.localOffset > expected) throw reject('hidden-entry', `${r.localOffset - expected} bytes before ${shown} that no entry accounts for`);
    let end = r.localOffset + r.local.headerBytes + r.compressedSize;
    if (r.local.flags & FLAG_DATA_DESCRIPTOR) {
      const dd = readAt(fd, end, 16);
      const skip = dd.readUInt32LE(0) === SIG_DATA_DESCRIPTOR ? 4 : 0;
      if (dd.readUInt32LE(skip) !== r.crc || dd.readUInt32LE(skip + 4) !== r.compressedSize || dd.readUInt32LE(skip + 8) !== r.uncompressedSize) {
        throw reject('header-mismatch', `${shown}: its data descriptor disagrees with the central directory`);
      }
      end += skip + 12;
    }
    if (end > cdOffset) throw reject('malformed', `not a readable ZIP: ${shown} runs into the central directory`);
    expected = end;
  }
  if (expected < cdOffset) throw reject('hidden-entry', `${cdOffset - expected} bytes before the central directory that no entry accounts for`);
}

/** No entry may sit under a name that is a file: extracting both would fail or replace one with the other. */
function checkFolders(seen: Map<string, string>): void {
  for (const [folded, name] of seen) {
    const parts = folded.replace(/\/$/, '').split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = seen.get(parts.slice(0, i).join('/'));
      if (parent !== undefined) throw reject('duplicate', `entry "${printable(name)}" lies under "${printable(parent)}", which is a file`);
    }
  }
}

/** The entry's name as a relative path we would be willing to extract, or a rejection. */
function checkName(raw: Buffer, flags: number, extras: ExtraField[], lim: ZipLimits): string {
  const name = decodeName(raw, (flags & FLAG_UTF8) !== 0);
  validateName(name, lim);
  // Info-ZIP's Unicode Path field (central or local) overrides the name in some extractors: it must say the same.
  for (const f of extras) {
    if (f.id !== UNICODE_PATH_EXTRA) continue;
    const alt = f.data.length >= 5 ? decodeName(f.data.subarray(5), true) : '';
    if (alt !== name) throw reject('bad-name', `entry "${printable(name)}" carries a second, different name "${printable(alt)}"`);
  }
  return name;
}

function decodeName(raw: Buffer, utf8: boolean): string {
  if (!utf8) {
    // Without the UTF-8 flag, extractors decode bytes above 0x7f as CP437, Latin-1 or the locale's
    // charset, each a different name; ASCII reads the same in all of them.
    if (raw.some((b) => b > 0x7f)) throw reject('bad-name', `entry "${printable(raw.toString('latin1'))}" has non-ASCII bytes in a name not marked UTF-8`);
    return raw.toString('latin1');
  }
  try {
    // ignoreBOM keeps a leading U+FEFF in the name (to be refused), where the decoder would drop it silently.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw reject('bad-name', `an entry name is not valid UTF-8 (${printable(raw.toString('latin1'))})`);
  }
}

// C0, DEL and C1 controls; and the bidi/invisible characters that make a name display as another.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\x01-\x1f\x7f-\x9f]/;
const INVISIBLE_CHARS = /[\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;
/** Characters Windows does not allow in names (":" also opens alternate data streams). */
const WINDOWS_CHARS = /[<>:"|?*]/;
/** Windows device names: "nul.txt" or "COM1 .log" open the device, not a file. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$) *(\.|$)/i;

function validateName(name: string, lim: ZipLimits): void {
  const shown = `entry "${printable(name)}"`;
  if (name.length === 0) throw reject('bad-name', 'an entry has an empty name');
  if (name.length > lim.maxNameLength) throw reject('bad-name', `${shown} has a name longer than ${lim.maxNameLength} characters`);
  if (name.includes('\0')) throw reject('bad-name', `${shown} has a NUL byte in its name`);
  if (CONTROL_CHARS.test(name)) throw reject('bad-name', `${shown} has control characters in its name`);
  if (INVISIBLE_CHARS.test(name)) throw reject('bad-name', `${shown} has invisible or text-direction characters in its name`);
  if (name.includes('\\')) throw reject('bad-name', `${shown} has a backslash in its name`);
  if (name.startsWith('/')) throw reject('bad-name', `${shown} is an absolute path`);
  if (/^[A-Za-z]:/.test(name)) throw reject('bad-name', `${shown} starts with a drive letter`);
  if (WINDOWS_CHARS.test(name)) throw reject('bad-name', `${shown} has a character Windows does not allow in names (<>:"|?*)`);
  const parts = name.replace(/\/$/, '').split('/');
  if (parts.includes('..')) throw reject('bad-name', `${shown} climbs out of its folder with ".."`);
  if (parts.some((p) => p === '' || p === '.')) throw reject('bad-name', `${shown} has empty or "." path segments`);
  // Windows drops trailing dots and spaces: "a.txt." lands on "a.txt".
  if (parts.some((p) => /[. ]$/.test(p))) throw reject('bad-name', `${shown} has a path segment ending in a dot or space`);
  if (parts.some((p) => WINDOWS_DEVICE.test(p))) throw reject('bad-name', `${shown} uses a Windows device name`);
}

/** Only regular files (and plain folders): a link or device could point outside the store when extracted. */
function checkKind(madeBy: number, attrs: number, name: string): void {
  const shown = `entry "${printable(name)}"`;
  const host = madeBy >> 8;
  // The payload's writer (payload/report/zip.ts, on Linux and Windows alike) writes Unix; MS-DOS is the plain default of
  // other writers. Other hosts give their attributes other meanings, each extractor its own.
  if (host !== MSDOS && host !== UNIX) throw reject('made-by', `${shown} was made on host system ${host}; only MS-DOS (0) and Unix (3) are accepted`);
  // Info-ZIP takes the high 16 bits as a Unix mode when they are set, whatever the host says.
  const mode = attrs >>> 16;
  if (mode !== 0) {
    const fmt = mode & S_IFMT;
    if (fmt === S_IFLNK) throw reject('link', `${shown} is a symbolic link`);
    if (fmt !== 0 && fmt !== S_IFREG && fmt !== S_IFDIR) throw reject('special-file', `${shown} is a special file (mode ${fmt.toString(8)})`);
    if (fmt === S_IFDIR && !name.endsWith('/')) throw reject('special-file', `${shown} is marked as a folder but named like a file`);
    if (fmt === S_IFREG && name.endsWith('/')) throw reject('special-file', `${shown} is marked as a file but named like a folder`);
    if (mode & S_SPECIAL_BITS) throw reject('bad-mode', `${shown} has setuid, setgid or sticky bits (mode ${mode.toString(8)})`);
  }
  if (attrs & WIN_REPARSE_POINT) throw reject('link', `${shown} is a Windows reparse point (link)`);
  if (attrs & DOS_DIRECTORY && !name.endsWith('/')) throw reject('special-file', `${shown} is marked as a folder but named like a file`);
}

// ---- pass 2: the data, through yauzl ----

async function readEntries(zip: yauzl.ZipFile, records: ZipRecord[], lim: ZipLimits): Promise<{ summary: ProbeSummary; entries: { name: string; bytes: number }[] }> {
  // yauzl read the same directory we did; if it saw it differently, trust neither.
  if (zip.entryCount !== records.length) throw reject('malformed', `not a readable ZIP: ${zip.entryCount} entries for yauzl, ${records.length} in the directory`);
  const entries: { name: string; bytes: number }[] = [];
  let total = 0;
  let summaryText: string | null = null;

  for (const rec of records) {
    const entry = await nextEntry(zip);
    if (
      !entry ||
      !entry.fileNameRaw.equals(rec.nameRaw) ||
      entry.relativeOffsetOfLocalHeader !== rec.localOffset ||
      entry.compressedSize !== rec.compressedSize ||
      entry.uncompressedSize !== rec.uncompressedSize ||
      entry.compressionMethod !== rec.method
    ) {
      throw reject('malformed', `not a readable ZIP: yauzl reads entry "${printable(rec.name)}" differently`);
    }
    const name = rec.name;
    if (name.endsWith('/')) continue;
    const isSummary = name === SUMMARY_ENTRY;
    const { bytes, crc, data } = await inflate(zip, entry, name, lim.maxUncompressedBytes - total, isSummary ? lim.maxJsonBytes : 0, lim);
    total += bytes;
    if (bytes !== rec.uncompressedSize) {
      throw reject('size-mismatch', `entry "${printable(name)}" inflates to ${bytes} bytes but its header says ${rec.uncompressedSize}`);
    }
    // yauzl does not check CRCs; a wrong one means corrupt data or a second, doctored copy.
    if (crc !== rec.crc) throw reject('crc', `entry "${printable(name)}" has CRC-32 ${hex8(crc)} but its header says ${hex8(rec.crc)}`);
    if (isSummary) summaryText = data!.toString('utf8');
    entries.push({ name, bytes });
  }

  if (summaryText === null) throw reject('missing-summary', `the ZIP has no ${SUMMARY_ENTRY}`);
  let json: unknown;
  try {
    json = JSON.parse(summaryText);
  } catch (err) {
    throw reject('bad-json', `${SUMMARY_ENTRY} is not valid JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = ProbeSummarySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    throw reject('schema', `${SUMMARY_ENTRY} does not match its schema: ${at}: ${printable(issue.message)}`);
  }
  return { summary: parsed.data, entries };
}

const hex8 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject_) => {
    const cleanup = () => {
      zip.removeListener('entry', onEntry);
      zip.removeListener('end', onEnd);
      zip.removeListener('error', onError);
    };
    const onEntry = (e: yauzl.Entry) => (cleanup(), resolve(e));
    const onEnd = () => (cleanup(), resolve(null));
    const onError = (err: Error) => (cleanup(), reject_(reject('malformed', `malformed ZIP: ${err.message}`)));
    zip.once('entry', onEntry);
    zip.once('end', onEnd);
    zip.once('error', onError);
    zip.readEntry();
  });
}

/**
 * Inflates one entry, counting real output bytes and stopping at `budget` (what is left of
 * the total cap), and computing the CRC-32 of what comes out. Keeps the data only when
 * `keep` > 0, and then no more than `keep` bytes.
 */
function inflate(zip: yauzl.ZipFile, entry: yauzl.Entry, name: string, budget: number, keep: number, lim: ZipLimits): Promise<{ bytes: number; crc: number; data: Buffer | null }> {
  return new Promise((resolve, reject_) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject_(reject('malformed', `cannot read entry "${printable(name)}": ${err?.message ?? 'unknown error'}`));
      let bytes = 0;
      let crc = 0;
      const parts: Buffer[] = [];
      let done = false;
      const fail = (e: ZipRejectedError) => {
        if (done) return;
        done = true;
        stream.destroy();
        reject_(e);
      };
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > budget) {
          return fail(reject('bomb', `entries inflate past the ${lim.maxUncompressedBytes}-byte cap (at "${printable(name)}", declared ${entry.uncompressedSize} bytes): zip bomb?`));
        }
        crc = crc32(chunk, crc);
        if (keep > 0) {
          if (bytes > keep) return fail(reject('too-large', `${SUMMARY_ENTRY} inflates past the ${keep}-byte cap`));
          parts.push(chunk);
        }
      });
      stream.on('error', (e: Error) => fail(reject('malformed', `entry "${printable(name)}" is corrupt: ${e.message.split('\n')[0]}`)));
      stream.on('end', () => {
        if (done) return;
        done = true;
        resolve({ bytes, crc, data: keep > 0 ? Buffer.concat(parts) : null });
      });
    });
  });
}

/** Names as they may appear in a one-line message: no control characters, bounded length. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, '?');
  return t.length > 80 ? `${t.slice(0, 77)}...` : t;
}

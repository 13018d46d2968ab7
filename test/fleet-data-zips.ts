// Hand-built ZIP archives for the untrusted-ZIP tests: yazl refuses to write most of what a
// hostile runner could send (lying sizes, links, "..", duplicate names, headers that disagree,
// records the end record does not count), so we write the bytes.
import { crc32, deflateRawSync } from 'node:zlib';
import type { ZipLimits, ZipRejectKind } from '../store/zip-check.js';

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

// ---- the hostile corpus ----

export interface HostileCase {
  what: string;
  zip: Buffer;
  kind: ZipRejectKind;
  reason: RegExp;
  limits?: Partial<ZipLimits>;
}

const file = (name: string | Buffer, more: Partial<RawEntry> = {}): RawEntry => ({ name, data: 'x', ...more });
const mode = (name: string, m: number, more: Partial<RawEntry> = {}): RawEntry => file(name, { externalAttrs: unixMode(m), ...more });
const DOS_MADE_BY = 20;

/**
 * ZIPs a hostile or broken runner could send, each with the rejection it must get. Most add one
 * bad entry next to a real probe_summary.json, so the defect under test is the only one.
 */
export function hostileCorpus(summaryJson: string): HostileCase[] {
  const summary: RawEntry = { name: 'probe_summary.json', data: summaryJson };
  const sum = JSON.parse(summaryJson) as Record<string, Record<string, unknown>>;
  const withSummary = (patch: (s: typeof sum) => void): Buffer => {
    const s = structuredClone(sum);
    patch(s);
    return buildZip([{ name: 'probe_summary.json', data: JSON.stringify(s) }]);
  };
  const one = (what: string, e: RawEntry, kind: ZipRejectKind, reason: RegExp): HostileCase => ({ what, zip: buildZip([summary, e]), kind, reason });
  const zip = (what: string, entries: RawEntry[], kind: ZipRejectKind, reason: RegExp, opts: ZipOptions = {}, limits?: Partial<ZipLimits>): HostileCase => ({
    what,
    zip: buildZip(entries, opts),
    kind,
    reason,
    ...(limits ? { limits } : {}),
  });
  const summaryBytes = buildZip([summary]);
  const summaryOnlyLocal = summaryBytes.subarray(0, summaryBytes.length - 22 - (46 + 18));

  return [
    // -- names: escapes from the extraction folder
    one('path traversal', file('../../etc/cron.d/evil'), 'bad-name', /climbs out of its folder with "\.\."/),
    one('traversal in the middle', file('a/../../evil'), 'bad-name', /climbs out/),
    one('a bare ".."', file('..'), 'bad-name', /climbs out/),
    one('absolute path', file('/etc/passwd'), 'bad-name', /"\/etc\/passwd" is an absolute path/),
    one('backslashes', file('..\\..\\Windows\\evil.dll'), 'bad-name', /backslash/),
    one('drive letter', file('C:/Windows/evil.dll'), 'bad-name', /drive letter/),
    one('NUL in the name', file('report.md\0.exe'), 'bad-name', /NUL byte/),
    one('empty segment', file('a//b'), 'bad-name', /empty or "\." path segments/),
    one('a "." segment', file('./report.md'), 'bad-name', /empty or "\." path segments/),
    one('an empty name', file(''), 'bad-name', /an entry has an empty name/),
    one('a 300-character name', file('a'.repeat(300)), 'bad-name', /longer than 255 characters/),
    one('invalid UTF-8 name', file(Buffer.from([0x66, 0xff, 0xfe])), 'bad-name', /not valid UTF-8/),
    one('non-ASCII bytes without the UTF-8 flag', file(Buffer.from('caf\xe9.txt', 'latin1'), { flags: 0 }), 'bad-name', /non-ASCII bytes in a name not marked UTF-8/),
    one('a second Unicode name', file('report.md', { extra: unicodePathExtra('../evil') }), 'bad-name', /second, different name "\.\.\/evil"/),
    one('a second Unicode name in the local header only', file('report.md', { local: { extra: unicodePathExtra('../evil') } }), 'bad-name', /second, different name/),
    // -- names Windows reads as something else
    one('device name CON', file('con'), 'bad-name', /Windows device name/),
    one('device name NUL with an extension', file('NUL.txt'), 'bad-name', /Windows device name/),
    one('device name AUX in a folder', file('logs/Aux.json'), 'bad-name', /Windows device name/),
    one('device name COM1', file('COM1.log'), 'bad-name', /Windows device name/),
    one('device name LPT9', file('lpt9'), 'bad-name', /Windows device name/),
    one('device name COM with a superscript digit', file('COM\u00b9.txt'), 'bad-name', /Windows device name/),
    one('device name CONIN$', file('CONIN$'), 'bad-name', /Windows device name/),
    one('device name conout$ with an extension', file('conout$.txt'), 'bad-name', /Windows device name/),
    one('device name PRN with a space before the dot', file('prn .txt'), 'bad-name', /Windows device name/),
    one('an alternate data stream', file('report.md:evil.exe'), 'bad-name', /character Windows does not allow/),
    one('a colon in a folder name', file('logs/x:y/z'), 'bad-name', /character Windows does not allow/),
    one('"<" in a name', file('a<b'), 'bad-name', /character Windows does not allow/),
    one('">" in a name', file('a>b'), 'bad-name', /character Windows does not allow/),
    one('a double quote in a name', file('a"b'), 'bad-name', /character Windows does not allow/),
    one('"|" in a name', file('a|b'), 'bad-name', /character Windows does not allow/),
    one('"?" in a name', file('a?b'), 'bad-name', /character Windows does not allow/),
    one('"*" in a name', file('*.txt'), 'bad-name', /character Windows does not allow/),
    one('a trailing dot', file('report.md.'), 'bad-name', /segment ending in a dot or space/),
    one('a trailing space', file('report.md '), 'bad-name', /segment ending in a dot or space/),
    one('a folder ending in a dot', file('tls./chain.txt'), 'bad-name', /segment ending in a dot or space/),
    // -- names that display as other names
    one('an escape sequence', file('\x1b[31mred'), 'bad-name', /control characters/),
    one('DEL', file('a\x7fb'), 'bad-name', /control characters/),
    one('C1 control NEL', file('a\u0085b'), 'bad-name', /control characters/),
    one('C1 control CSI', file('a\u009bb'), 'bad-name', /control characters/),
    one('right-to-left override', file('invoice\u202etxt.exe'), 'bad-name', /invisible or text-direction/),
    one('left-to-right mark', file('a\u200eb'), 'bad-name', /invisible or text-direction/),
    one('zero-width space', file('report\u200b.md'), 'bad-name', /invisible or text-direction/),
    one('byte order mark', file('\ufeffprobe_summary.json'), 'bad-name', /invisible or text-direction/),
    one('Arabic letter mark', file('a\u061cb'), 'bad-name', /invisible or text-direction/),
    one('left-to-right isolate', file('a\u2066b'), 'bad-name', /invisible or text-direction/),
    one('line separator', file('a\u2028b'), 'bad-name', /invisible or text-direction/),
    // -- names that collide on extraction
    zip('duplicate names', [summary, file('a.txt'), file('a.txt')], 'duplicate', /^duplicate entry name "a\.txt"$/),
    zip('names differing only in case', [summary, file('A.txt'), file('a.txt')], 'duplicate', /duplicate entry name/),
    zip('names differing only in Unicode normalisation', [summary, file('caf\u00e9'), file('cafe\u0301')], 'duplicate', /duplicate entry name/),
    zip('a file under a file', [summary, file('a'), file('a/b')], 'duplicate', /"a\/b" lies under "a", which is a file/),
    zip('a file under a file differing in case', [summary, file('Logs'), file('logs/b')], 'duplicate', /"logs\/b" lies under "Logs", which is a file/),
    // -- kinds and modes
    one('symlink entry', mode('link', 0o120777, { data: '/etc/shadow' }), 'link', /"link" is a symbolic link/),
    one('symlink mode on an MS-DOS entry (Info-ZIP honours it)', mode('link', 0o120777, { data: '/etc/passwd', versionMadeBy: DOS_MADE_BY }), 'link', /symbolic link/),
    one('character device', mode('dev', 0o020644, { data: '' }), 'special-file', /special file/),
    one('block device', mode('sda', 0o060644, { data: '' }), 'special-file', /special file \(mode 60000\)/),
    one('FIFO', mode('fifo', 0o010644, { data: '' }), 'special-file', /special file/),
    one('socket', mode('sock', 0o140644, { data: '' }), 'special-file', /special file/),
    one('folder mode on a file name', mode('x', 0o040755), 'special-file', /marked as a folder but named like a file/),
    one('file mode on a folder name', mode('d/', 0o100644, { data: '', method: 0 }), 'special-file', /marked as a file but named like a folder/),
    one('a folder that holds data', mode('d/', 0o040755, { data: 'hidden' }), 'special-file', /folder that holds data/),
    one('Windows reparse point', file('junction', { versionMadeBy: DOS_MADE_BY, externalAttrs: 0x400 }), 'link', /reparse point/),
    one('setuid', mode('run.sh', 0o104755), 'bad-mode', /setuid, setgid or sticky bits \(mode 104755\)/),
    one('setgid', mode('run.sh', 0o102755), 'bad-mode', /setuid, setgid or sticky/),
    one('a sticky folder', mode('tmp/', 0o041777, { data: '', method: 0 }), 'bad-mode', /setuid, setgid or sticky/),
    one('made on NTFS', file('a.txt', { versionMadeBy: (10 << 8) | 20 }), 'made-by', /made on host system 10; only MS-DOS \(0\) and Unix \(3\)/),
    one('made on VFAT', file('a.txt', { versionMadeBy: (14 << 8) | 20 }), 'made-by', /host system 14/),
    one('made on a Macintosh', file('a.txt', { versionMadeBy: (7 << 8) | 20 }), 'made-by', /host system 7/),
    one('made on OS/2', file('a.txt', { versionMadeBy: (6 << 8) | 20 }), 'made-by', /host system 6/),
    // -- encryption and methods
    one('encrypted entry', file('secret.txt', { flags: 0x801 }), 'encrypted', /"secret\.txt" is encrypted/),
    one('encrypted in the local header only', file('secret.txt', { local: { flags: 0x801 } }), 'encrypted', /is encrypted/),
    one('strong encryption', file('secret.txt', { flags: 0x840 }), 'encrypted', /is encrypted/),
    one('bzip2', file('a.bz2', { method: 12 }), 'unsupported', /compression method 12/),
    one('AES (method 99)', file('a.aes', { method: 99 }), 'unsupported', /compression method 99/),
    one('an unknown flag bit', file('a.txt', { flags: 0x810 }), 'unsupported', /general-purpose flags 0x810/),
    // -- headers that disagree (finding: only the central directory was read)
    one('a local name other than the central one', file('notes.txt', { local: { name: '../../evil' } }), 'name-mismatch', /"notes\.txt" is named "\.\.\/\.\.\/evil" in its local header/),
    one('a local name differing in case', file('notes.txt', { local: { name: 'Notes.txt' } }), 'name-mismatch', /in its local header/),
    one('a local compression method other than the central one', file('a.txt', { local: { method: 0 } }), 'header-mismatch', /local header says compression method 0, the central directory 8/),
    one('local flags other than the central ones', file('a.txt', { local: { flags: 0 } }), 'header-mismatch', /local header says flags 0, the central directory 2048/),
    one('a local CRC other than the central one', file('a.txt', { local: { crc: 1 } }), 'header-mismatch', /local header says CRC-32 1/),
    one('a local size other than the central one', file('a.txt', { local: { size: 7 } }), 'header-mismatch', /local header says size 7/),
    one('a data descriptor that disagrees', file('a.txt', { dataDescriptor: { crc: 1 } }), 'header-mismatch', /data descriptor disagrees/),
    // -- data that is not what the headers say
    one('a wrong CRC (deflated)', file('a.txt', { data: 'hello', crc: 0x12345678 }), 'crc', /"a\.txt" has CRC-32 0x3610a686 but its header says 0x12345678/),
    one('a wrong CRC (stored)', file('a.txt', { data: 'hello', method: 0, crc: 0 }), 'crc', /has CRC-32 0x3610a686 but its header says 0x00000000/),
    one('a size under the real one', file('x.txt', { data: 'x'.repeat(100), declaredSize: 10 }), 'size-mismatch', /^entry "x\.txt" inflates to 100 bytes but its header says 10$/),
    one('a corrupt deflate stream', file('a.txt', { body: Buffer.from([0xff, 0xff, 0xff, 0xff]) }), 'malformed', /"a\.txt" is corrupt/),
    zip('a zip bomb whose headers lie', [summary, file('innocent.txt', { data: Buffer.alloc(8 * 1024 * 1024), declaredSize: 1024 })], 'bomb', /inflate past the 1048576-byte cap .*zip bomb\?/, {}, { maxUncompressedBytes: 1024 * 1024 }),
    // -- records and bytes the end record does not count
    zip(
      'a file and a symlink to /etc/passwd past the end record count',
      [summary, file('hidden.txt', { data: 'secret' }), mode('passwd', 0o120777, { data: '/etc/passwd', method: 0 })],
      'hidden-entry',
      /the central directory holds more records than the 1 its end record counts/,
      { declaredCount: 1 },
    ),
    zip('a central record outside the counted directory size', [summary, file('hidden.txt')], 'hidden-entry', /more records than the 1/, { declaredCount: 1, cdSize: () => 46 + 18 }),
    zip('junk between the central directory and the end record', [summary], 'hidden-entry', /^7 bytes in the central directory that no counted record accounts for$/, { beforeEocd: Buffer.from('garbage') }),
    zip('an uncounted central record before the end record', [summary], 'hidden-entry', /more records than the 1/, { beforeEocd: centralRecord('passwd', unixMode(0o120777)) }),
    zip('a count above the records', [summary], 'malformed', /central directory record 2 of 2 is missing/, { declaredCount: 2 }),
    zip('a local entry with no central record', [summary, file('ghost.txt', { localOnly: true }), file('a.txt')], 'hidden-entry', /bytes before entry "a\.txt" that no entry accounts for/),
    zip('bytes after the last entry', [summary, file('a.txt', { after: Buffer.from('hidden data') })], 'hidden-entry', /^11 bytes before the central directory that no entry accounts for$/),
    zip('bytes before the first entry', [summary], 'hidden-entry', /^7 bytes before entry "probe_summary\.json"/, { prefix: Buffer.from('MZ stub') }),
    zip('bytes before the first entry, offsets not adjusted', [summary], 'malformed', /central directory record 1 of 1 is missing/, { prefix: Buffer.from('MZ stub'), keepOffsets: true }),
    zip('a whole hidden ZIP before the first entry', [summary], 'hidden-entry', /bytes before entry "probe_summary\.json"/, { prefix: summaryOnlyLocal }),
    zip('entries that overlap', [summary, file('a.txt', { method: 0, data: 'aaaa', compressedSize: 4 + 30 + 5 + 1, declaredSize: 40 }), file('b.txt', { method: 0 })], 'malformed', /"b\.txt" overlaps the entry before it/),
    zip('two records sharing one local header', [summary, file('a.txt'), file('b.txt', { offset: 0 })], 'name-mismatch', /"b\.txt" is named "probe_summary\.json" in its local header/),
    zip('a local header offset past the end', [summary, file('a.txt', { offset: 1 << 30 })], 'malformed', /it ends early/),
    zip('data after the end record', [summary], 'malformed', /no end-of-central-directory record ends the file/, { trailing: Buffer.from('trailing') }),
    zip('a comment holding a second end record', [summary], 'hidden-entry', /more than one end-of-central-directory record/, { comment: Buffer.concat([Buffer.from('hi'), Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(18)]) }),
    zip('a comment holding a central record', [summary], 'hidden-entry', /the ZIP comment holds ZIP record signatures/, { comment: centralRecord('passwd', unixMode(0o120777)) }),
    zip('a zip64 locator before the end record', [summary], 'zip64', /uses zip64 end records/, { beforeEocd: zip64Locator() }),
    zip('a zip64 entry count', [summary], 'zip64', /uses zip64 end records/, { declaredCount: 0xffff }),
    one('a zip64 extra field', file('a.txt', { extra: extraField(0x0001, Buffer.alloc(16)) }), 'zip64', /carries a zip64 field/),
    zip('several disks', [summary], 'unsupported', /span several disks/, { disk: 1 }),
    one('a truncated extra field', file('a.txt', { extra: Buffer.from([0x55, 0x54, 0x09]) }), 'malformed', /truncated extra field/),
    one('an extra field longer than its room', file('a.txt', { extra: Buffer.from([0x55, 0x54, 0x09, 0x00, 0x01]) }), 'malformed', /extra field runs past its end/),
    one('an extra field twice', file('a.txt', { extra: Buffer.concat([extraField(0x5455, Buffer.from([0])), extraField(0x5455, Buffer.from([0]))]) }), 'malformed', /extra field 0x5455 appears twice/),
    { what: 'not a ZIP at all', zip: Buffer.from('MZ this is not a zip at all'), kind: 'malformed', reason: /no end-of-central-directory record/ },
    { what: 'an empty file', zip: Buffer.alloc(0), kind: 'malformed', reason: /too short/ },
    { what: 'a truncated ZIP', zip: summaryBytes.subarray(0, summaryBytes.length - 30), kind: 'malformed', reason: /no end-of-central-directory record/ },
    // -- caps
    zip('more entries than the cap', [summary, ...Array.from({ length: 12 }, (_, i) => file(`f${i}.txt`, { method: 0 }))], 'too-many-entries', /^the ZIP lists 13 entries, above the cap of 10$/, {}, { maxEntries: 10 }),
    zip('a ZIP above the size cap', [summary, file('pad.bin', { data: Buffer.alloc(300_000, 1), method: 0 })], 'too-large', /^the ZIP is \d+ bytes, above the 100000-byte cap$/, {}, { maxZipBytes: 100_000 }),
    zip('a summary above its cap', [summary], 'too-large', /probe_summary\.json inflates past the 1000-byte cap/, {}, { maxJsonBytes: 1000 }),
    // -- the summary itself
    zip('no summary', [{ name: 'report.md', data: '# hi' }], 'missing-summary', /^the ZIP has no probe_summary\.json$/),
    zip('a summary in a folder only', [file('x/probe_summary.json', { data: summaryJson })], 'missing-summary', /no probe_summary\.json/),
    zip('a summary that is not JSON', [{ name: 'probe_summary.json', data: '{"schema": "smtp-probe/probe-summary",' }], 'bad-json', /^probe_summary\.json is not valid JSON: /),
    zip('a summary that is an array', [{ name: 'probe_summary.json', data: '[]' }], 'schema', /does not match its schema: \(root\)/),
    { what: 'an unknown verdict class', zip: withSummary((s) => (s.verdict!.class = 'all-good')), kind: 'schema', reason: /^probe_summary\.json does not match its schema: verdict\.class: / },
    { what: 'a negative ok count', zip: withSummary((s) => (s.sweep!.ok = -1)), kind: 'schema', reason: /schema: sweep\.ok: / },
    { what: 'a negative attempt total', zip: withSummary((s) => ((s.sweep!.total = -5), (s.sweep!.ok = -5))), kind: 'schema', reason: /schema: sweep\.(total|ok): / },
    { what: 'more ok attempts than attempts', zip: withSummary((s) => (s.sweep!.ok = (s.sweep!.total as number) + 1)), kind: 'schema', reason: /schema: sweep\.ok: more ok attempts than attempts/ },
    { what: 'a fractional count', zip: withSummary((s) => (s.sweep!.total = 1.5)), kind: 'schema', reason: /schema: sweep\.total: / },
    { what: 'a negative verdict count', zip: withSummary((s) => (s.verdict!.counts = { ok: -3 })), kind: 'schema', reason: /schema: verdict\.counts\.ok: / },
    { what: 'an exit code out of range', zip: withSummary((s) => (s.verdict!.exit_code = -1)), kind: 'schema', reason: /schema: verdict\.exit_code: / },
    { what: 'a negative duration', zip: withSummary((s) => (s.run!.duration_ms = -1)), kind: 'schema', reason: /schema: run\.duration_ms: / },
  ];
}

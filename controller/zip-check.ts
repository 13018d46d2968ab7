// A runner's ZIP is untrusted input: the runner may be compromised, its disk full, or the
// transfer cut. Nothing in the store reads a ZIP that has not passed validateResultZip.
// Sizes are counted while inflating, never taken from headers (a zip bomb lies there), and
// names are checked on the raw bytes, before any library turns them into paths.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import yauzl from 'yauzl';
import { ProbeSummarySchema, type ProbeSummary } from '../payload/schema/summary.js';

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
  | 'missing-summary'
  | 'bad-json'
  | 'schema';

export class ZipRejectedError extends Error {
  override readonly name = 'ZipRejectedError';
  readonly code = 'E_ZIP_REJECTED';
  constructor(
    readonly kind: ZipRejectKind,
    reason: string,
  ) {
    super(reason);
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
    const zip = await openZip(fd);
    handedToYauzl = true;
    try {
      const { summary, entries } = await readEntries(zip, lim);
      return { summary, entries, sha256, bytes: st.size };
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

async function readEntries(zip: yauzl.ZipFile, lim: ZipLimits): Promise<{ summary: ProbeSummary; entries: { name: string; bytes: number }[] }> {
  if (zip.entryCount > lim.maxEntries) throw reject('too-many-entries', `the ZIP lists ${zip.entryCount} entries, above the cap of ${lim.maxEntries}`);
  const entries: { name: string; bytes: number }[] = [];
  const seen = new Set<string>();
  let total = 0;
  let summaryText: string | null = null;

  for (;;) {
    const entry = await nextEntry(zip);
    if (!entry) break;
    if (entries.length >= lim.maxEntries) throw reject('too-many-entries', `the ZIP holds more than ${lim.maxEntries} entries`);
    const name = checkName(entry, lim);
    const folded = name.normalize('NFC').toLowerCase();
    // Case-folded: on a Windows or macOS disk two such entries would overwrite each other.
    if (seen.has(folded)) throw reject('duplicate', `duplicate entry name "${printable(name)}"`);
    seen.add(folded);
    checkKind(entry, name);
    if (name.endsWith('/')) continue;
    if (entry.isEncrypted()) throw reject('encrypted', `entry "${printable(name)}" is encrypted`);
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      throw reject('unsupported', `entry "${printable(name)}" uses compression method ${entry.compressionMethod}`);
    }
    const isSummary = name === SUMMARY_ENTRY;
    const { bytes, data } = await inflate(zip, entry, name, lim.maxUncompressedBytes - total, isSummary ? lim.maxJsonBytes : 0, lim);
    total += bytes;
    if (bytes !== entry.uncompressedSize) {
      throw reject('size-mismatch', `entry "${printable(name)}" inflates to ${bytes} bytes but its header says ${entry.uncompressedSize}`);
    }
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
    throw reject('schema', `${SUMMARY_ENTRY} does not match its schema: ${at}: ${issue.message}`);
  }
  return { summary: parsed.data, entries };
}

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

const UNIX = 3;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const DOS_DIRECTORY = 0x10;
const WIN_REPARSE_POINT = 0x400;
const UNICODE_PATH_EXTRA = 0x7075;

/** The entry's name as a relative path we would be willing to extract, or a rejection. */
function checkName(entry: yauzl.Entry, lim: ZipLimits): string {
  const utf8 = (entry.generalPurposeBitFlag & 0x800) !== 0;
  const name = decodeName(entry.fileNameRaw, utf8);
  validateName(name, lim);
  // Info-ZIP's Unicode Path field overrides the name in some extractors: it must say the same.
  for (const f of entry.extraFields) {
    if (f.id !== UNICODE_PATH_EXTRA || f.data.length < 5) continue;
    const alt = decodeName(f.data.subarray(5), true);
    if (alt !== name) throw reject('bad-name', `entry "${printable(name)}" carries a second, different name "${printable(alt)}"`);
  }
  return name;
}

function decodeName(raw: Buffer, utf8: boolean): string {
  if (!utf8) return raw.toString('latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw reject('bad-name', `an entry name is not valid UTF-8 (${printable(raw.toString('latin1'))})`);
  }
}

function validateName(name: string, lim: ZipLimits): void {
  const shown = `entry "${printable(name)}"`;
  if (name.length === 0) throw reject('bad-name', 'an entry has an empty name');
  if (name.length > lim.maxNameLength) throw reject('bad-name', `${shown} has a name longer than ${lim.maxNameLength} characters`);
  if (name.includes('\0')) throw reject('bad-name', `${shown} has a NUL byte in its name`);
  // eslint-disable-next-line no-control-regex
  if (/[\x01-\x1f\x7f]/.test(name)) throw reject('bad-name', `${shown} has control characters in its name`);
  if (name.includes('\\')) throw reject('bad-name', `${shown} has a backslash in its name`);
  if (name.startsWith('/')) throw reject('bad-name', `${shown} is an absolute path`);
  if (/^[A-Za-z]:/.test(name)) throw reject('bad-name', `${shown} starts with a drive letter`);
  const parts = name.replace(/\/$/, '').split('/');
  if (parts.includes('..')) throw reject('bad-name', `${shown} climbs out of its folder with ".."`);
  if (parts.some((p) => p === '' || p === '.')) throw reject('bad-name', `${shown} has empty or "." path segments`);
}

/** Only regular files (and plain folders): a link or device could point outside the store when extracted. */
function checkKind(entry: yauzl.Entry, name: string): void {
  const shown = `entry "${printable(name)}"`;
  const attrs = entry.externalFileAttributes >>> 0;
  if (entry.versionMadeBy >> 8 === UNIX) {
    const fmt = (attrs >>> 16) & S_IFMT;
    if (fmt === S_IFLNK) throw reject('link', `${shown} is a symbolic link`);
    if (fmt !== 0 && fmt !== S_IFREG && fmt !== S_IFDIR) throw reject('special-file', `${shown} is a special file (mode ${fmt.toString(8)})`);
    if (fmt === S_IFDIR && !name.endsWith('/')) throw reject('special-file', `${shown} is marked as a folder but named like a file`);
  }
  if (attrs & WIN_REPARSE_POINT) throw reject('link', `${shown} is a Windows reparse point (link)`);
  if (attrs & DOS_DIRECTORY && !name.endsWith('/')) throw reject('special-file', `${shown} is marked as a folder but named like a file`);
}

/**
 * Inflates one entry, counting real output bytes and stopping at `budget` (what is left of
 * the total cap). Keeps the data only when `keep` > 0, and then no more than `keep` bytes.
 */
function inflate(zip: yauzl.ZipFile, entry: yauzl.Entry, name: string, budget: number, keep: number, lim: ZipLimits): Promise<{ bytes: number; data: Buffer | null }> {
  return new Promise((resolve, reject_) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject_(reject('malformed', `cannot read entry "${printable(name)}": ${err?.message ?? 'unknown error'}`));
      let bytes = 0;
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
        if (keep > 0) {
          if (bytes > keep) return fail(reject('too-large', `${SUMMARY_ENTRY} inflates past the ${keep}-byte cap`));
          parts.push(chunk);
        }
      });
      stream.on('error', (e: Error) => fail(reject('malformed', `entry "${printable(name)}" is corrupt: ${e.message}`)));
      stream.on('end', () => {
        if (done) return;
        done = true;
        resolve({ bytes, data: keep > 0 ? Buffer.concat(parts) : null });
      });
    });
  });
}

/** Names as they may appear in a one-line message: no control characters, bounded length. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\x00-\x1f\x7f]/g, '?');
  return t.length > 80 ? `${t.slice(0, 77)}...` : t;
}

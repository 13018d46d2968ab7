// What the tee keeps of a message the bot sends: its size, the names of its top-level
// header fields, and for each attachment its file name, media type and size. Header
// values, body text and attachment content are read only to find those facts and are
// never kept. The message arrives in chunks of any size; every buffer here is capped, so
// a hostile or broken message (a 1 GB line, a million headers, endless nesting, no final
// boundary) costs bounded memory and is summarised as far as it could be read.

export interface AttachmentFacts {
  name: string | null;
  type: string;
  transfer_encoding: string | null;
  /** Bytes of the part's body as sent (encoded). */
  encoded_bytes: number;
  /** Estimated decoded size (base64 shrinks by 3/4); equal to encoded_bytes otherwise. */
  bytes: number;
}

export interface MessageFacts {
  bytes: number;
  lines: number;
  header_names: string[];
  /** Parts with a file name or Content-Disposition: attachment, in order. */
  attachments: AttachmentFacts[];
  parts: number;
  max_depth: number;
  /** Something could not be read to the end; each entry says what (and is never content). */
  notes: string[];
}

// Limits. A line longer than MAX_LINE is counted but only its head is parsed (a header or
// boundary line is never that long in a real message).
export const MAX_LINE = 8 * 1024;
const MAX_HEADER_BLOCK = 64 * 1024;
const MAX_HEADER_NAMES = 100;
const MAX_ATTACHMENTS = 100;
const MAX_DEPTH = 10;
const MAX_NAME = 200;

interface Part {
  depth: number;
  type: string;
  boundary: string | null;
  name: string | null;
  attachment: boolean;
  encoding: string | null;
  bodyBytes: number;
}

/** Unfolded header fields of one block as [lowercase name, raw value]. */
function parseHeaders(block: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of block) {
    if (/^[ \t]/.test(line) && out.length) out[out.length - 1]![1] += ' ' + line.trim();
    else {
      const m = /^([!-9;-~]{1,76}):(.*)$/.exec(line);
      if (m) out.push([m[1]!.toLowerCase(), m[2]!.trim()]);
    }
  }
  return out;
}

/** A parameter of a structured header (RFC 2045, with RFC 2231 `name*=` forms). */
function param(value: string, key: string): string | null {
  const re = new RegExp(`;\\s*${key}(\\*0?\\*?)?\\s*=\\s*("((?:[^"\\\\]|\\\\.)*)"|[^;\\s]*)`, 'i');
  const m = re.exec(value);
  if (!m) return null;
  let v = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2]!;
  if (m[1] && m[1].endsWith('*')) {
    const ext = /^([^']*)'[^']*'(.*)$/.exec(v);
    if (ext) v = ext[2]!;
    try {
      v = decodeURIComponent(v);
    } catch {
      /* keep it undecoded */
    }
  }
  return v;
}

/** Decodes RFC 2047 encoded words (=?utf-8?B?...?=) in a file name; unknown charsets stay as they are. */
function decodeWords(s: string): string {
  return s.replace(/=\?([^?]{1,40})\?([bBqQ])\?([^?]{0,400})\?=/g, (all, cs: string, enc: string, text: string) => {
    try {
      const bytes = enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return /utf-?8/i.test(cs) ? bytes.toString('utf8') : bytes.toString('latin1');
    } catch {
      return all;
    }
  });
}

function cleanName(s: string | null): string | null {
  if (s === null) return null;
  // eslint-disable-next-line no-control-regex -- control characters in a name are dropped on purpose
  const v = decodeWords(s).replace(/[\x00-\x1f\x7f]/g, '').trim();
  return v ? v.slice(0, MAX_NAME) : null;
}

export class MessageSummariser {
  private bytes = 0;
  private lineCount = 0;
  private carry: Buffer = Buffer.alloc(0); // the start of a line not ended yet, at most MAX_LINE bytes
  private carryDropped = 0; // bytes of that line beyond MAX_LINE
  private headerBlock: string[] | null = [];
  private headerBytes = 0;
  private topHeaders: string[] = [];
  private readonly parts: Part[] = [];
  private readonly stack: Part[] = []; // open multiparts, innermost last
  private current: Part | null = null; // the part whose headers or body are being read
  private readonly notes = new Set<string>();
  private maxDepth = 0;

  /** Feeds message bytes as they arrive (dot-stuffing already removed). */
  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      this.take(chunk.subarray(start, nl), nl - start);
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    const room = MAX_LINE - this.carry.length;
    if (room > 0) this.carry = Buffer.concat([this.carry, rest.subarray(0, room)]);
    this.carryDropped += Math.max(0, rest.length - Math.max(room, 0));
  }

  private take(piece: Buffer, pieceLen: number): void {
    const room = MAX_LINE - this.carry.length;
    const head = this.carry.length ? Buffer.concat([this.carry, piece.subarray(0, Math.max(room, 0))]) : piece.subarray(0, MAX_LINE);
    const fullLen = this.carry.length + this.carryDropped + pieceLen;
    this.carry = Buffer.alloc(0);
    this.carryDropped = 0;
    if (fullLen > MAX_LINE) this.notes.add(`lines longer than ${MAX_LINE} bytes (only their start was read)`);
    this.line(head.toString('latin1').replace(/\r$/, ''), fullLen + 1);
  }

  private line(text: string, len: number): void {
    this.lineCount++;
    if (this.headerBlock) {
      if (text === '') return this.endHeaders();
      this.headerBytes += len;
      if (this.headerBytes <= MAX_HEADER_BLOCK) this.headerBlock.push(text);
      else this.notes.add(`a header block larger than ${MAX_HEADER_BLOCK / 1024} KB (the rest of it was not read)`);
      return;
    }
    if (text.startsWith('--') && this.stack.length) {
      const t = text.trimEnd();
      for (let i = this.stack.length - 1; i >= 0; i--) {
        const b = this.stack[i]!.boundary!;
        if (t === `--${b}`) {
          this.stack.length = i + 1; // closes inner multiparts that never ended
          return this.beginPart(i + 1);
        }
        if (t === `--${b}--`) {
          this.stack.length = i;
          this.current = null; // epilogue of that multipart
          return;
        }
      }
    }
    if (this.current) this.current.bodyBytes += len;
  }

  private beginPart(depth: number): void {
    this.current = { depth, type: 'text/plain', boundary: null, name: null, attachment: false, encoding: null, bodyBytes: 0 };
    this.headerBlock = [];
    this.headerBytes = 0;
  }

  private endHeaders(): void {
    const fields = parseHeaders(this.headerBlock!);
    this.headerBlock = null;
    const top = this.current === null && this.parts.length === 0;
    if (top) {
      for (const [n] of fields) if (!this.topHeaders.includes(n) && this.topHeaders.length < MAX_HEADER_NAMES) this.topHeaders.push(n);
      this.current = { depth: 0, type: 'text/plain', boundary: null, name: null, attachment: false, encoding: null, bodyBytes: 0 };
    }
    const p = this.current!;
    const get = (n: string) => fields.find(([k]) => k === n)?.[1] ?? null;
    const ct = get('content-type');
    const cd = get('content-disposition');
    if (ct) p.type = (/^\s*([\w.+-]+\/[\w.+-]+)/.exec(ct)?.[1] ?? 'application/octet-stream').toLowerCase();
    p.encoding = get('content-transfer-encoding')?.toLowerCase().slice(0, 40) ?? null;
    p.name = cleanName((cd && param(cd, 'filename')) ?? (ct && param(ct, 'name')) ?? null);
    p.attachment = p.name !== null || (cd !== null && /^\s*attachment\b/i.test(cd));
    if (this.parts.length < MAX_ATTACHMENTS * 4) this.parts.push(p);
    else this.notes.add('too many MIME parts (later ones not listed)');
    this.maxDepth = Math.max(this.maxDepth, p.depth);
    if (p.type.startsWith('multipart/')) {
      const b = ct ? param(ct, 'boundary') : null;
      if (b && b.length <= 200) {
        if (this.stack.length < MAX_DEPTH) {
          p.boundary = b;
          this.stack.push(p);
        } else this.notes.add(`multipart nesting deeper than ${MAX_DEPTH} (inner parts not listed)`);
      } else this.notes.add('a multipart without a usable boundary');
      this.current = null; // preamble
    }
  }

  /** The facts, once the message has ended (or the bot went away). */
  finish(): MessageFacts {
    if (this.carry.length || this.carryDropped) this.take(Buffer.alloc(0), 0);
    if (this.headerBlock && this.parts.length === 0 && this.current === null && this.headerBlock.length) this.endHeaders();
    if (this.stack.length) this.notes.add('a multipart without its final boundary');
    const attachments = this.parts
      .filter((p) => p.attachment)
      .slice(0, MAX_ATTACHMENTS)
      .map((p) => ({
        name: p.name,
        type: p.type,
        transfer_encoding: p.encoding,
        encoded_bytes: p.bodyBytes,
        bytes: p.encoding === 'base64' ? Math.floor((p.bodyBytes * 3) / 4) : p.bodyBytes,
      }));
    return { bytes: this.bytes, lines: this.lineCount, header_names: this.topHeaders, attachments, parts: this.parts.length, max_depth: this.maxDepth, notes: [...this.notes] };
  }
}

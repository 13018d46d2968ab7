// Reads SMTP replies (RFC 5321 4.2) off whichever socket is current: plain TCP first,
// then the TLS socket after STARTTLS. Anything the server sends is untrusted, so
// replies are size-capped and a line that is not "NNN text" ends the dialogue with the
// line kept as evidence. Replies are parsed as bytes arrive, so a "421 ... closing"
// followed at once by a close is still read as a reply.
import type { Socket } from 'node:net';
import type { ErrorInfo } from '../schema/summary.js';
import { socketError } from './tcp.js';
import { enhancedCode } from '../classify/enhanced-codes.js';
import { SmtpProbeError } from '../util/errors.js';
import { listenTo } from '../util/socket-listeners.js';

export interface Reply {
  code: number;
  enhanced: string | null;
  lines: string[]; // full lines as received, code included; control and 8-bit bytes escaped as \xNN
  /** The same lines byte for byte (latin1 strings), for a relay that must pass them on unchanged (the tee). */
  raw?: string[];
}

export class WireError extends SmtpProbeError {
  override name = 'WireError';
  constructor(
    readonly info: ErrorInfo,
    readonly partial: string[] = [],
  ) {
    super('wire', info.message);
  }
}

const MAX_REPLY_BYTES = 64 * 1024;
const MAX_REPLY_LINES = 256;
// Total size of one multi-line reply. A hostile server may send 256 lines of 64 KB each
// (16 MB) to make the classifier work; a reply that grows past this is a protocol error
// (kind 'malformed'), not cut and kept: a real server never sends one, and ending the
// dialogue keeps the lines read so far as evidence without handing them on as a reply.
const MAX_REPLY_TOTAL = 64 * 1024;
const LINE = /^(\d{3})([ -])(.*)$|^(\d{3})$/;


type Item = { reply: Reply } | { error: WireError };

export class Wire {
  private socket: Socket | null = null;
  private buffer = '';
  private pending: string[] = [];
  private rawPending: string[] = [];
  private replyBytes = 0; // bytes of the reply being read, for MAX_REPLY_TOTAL
  private queue: Item[] = [];
  private failed: ErrorInfo | null = null;
  private waiter: ((item: Item) => void) | null = null;
  lastLine: string | null = null;

  /** `onLine` sees every server line as it is parsed (for the transcript). */
  constructor(private readonly onLine: (line: string, final: boolean) => void) {}

  private unlisten: (() => void) | null = null;
  private readonly onData = (chunk: Buffer) => {
    this.buffer += chunk.toString('latin1');
    this.parse();
  };
  private readonly onEnd = () => this.stop({ kind: 'closed', code: null, message: 'server closed the connection' });
  private readonly onError = (err: Error) => this.stop(socketError(err));

  attach(socket: Socket): void {
    this.detach();
    this.socket = socket;
    this.failed = null;
    this.unlisten = listenTo(socket, { data: this.onData, end: this.onEnd, error: this.onError });
  }

  /** Stops reading, before handing the socket to TLS. Returns what was read but not consumed. */
  detach(): string {
    this.unlisten?.();
    this.unlisten = null;
    this.socket = null;
    const rest = this.buffer + this.pending.join('\n');
    this.buffer = '';
    this.pending = [];
    this.rawPending = [];
    this.replyBytes = 0;
    this.queue = [];
    return rest;
  }

  write(line: string): void {
    this.socket?.write(`${line}\r\n`);
  }

  read(timeoutMs: number, what: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const take = (item: Item) => ('reply' in item ? resolve(item.reply) : reject(item.error));
      const first = this.queue.shift();
      if (first) return take(first);
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new WireError({ kind: 'timeout', code: 'ETIMEDOUT', message: `no complete reply to ${what} within ${timeoutMs} ms` }, [...this.pending]));
      }, timeoutMs);
      this.waiter = (item) => {
        clearTimeout(timer);
        this.waiter = null;
        take(item);
      };
    });
  }

  private push(item: Item): void {
    if (this.waiter) this.waiter(item);
    else this.queue.push(item);
  }

  private stop(info: ErrorInfo, flush = true): void {
    if (this.failed) return;
    // Bytes that came without a line end are still what the server said last; after a
    // line that is not SMTP, that line is the evidence and the rest is dropped.
    if (flush && this.buffer.length) {
      this.record(this.buffer, true);
      this.buffer = '';
    }
    this.failed = info;
    this.push({ error: new WireError(info, this.pending) });
  }

  private record(line: string, final: boolean): void {
    // eslint-disable-next-line no-control-regex -- control bytes from the server are escaped on purpose
    const clean = line.replace(/[\x00-\x08\x0b-\x1f\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    this.lastLine = clean;
    this.pending.push(clean);
    this.onLine(clean, final);
  }

  private parse(): void {
    if (this.failed) return;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      const m = LINE.exec(line);
      const final = !m || m[2] !== '-';
      this.record(line, final);
      this.rawPending.push(line);
      if (!m) {
        const kind = /^HTTP\/\d/.test(line) ? 'http-response' : 'malformed';
        return this.stop({ kind, code: null, message: `server sent a line that is not an SMTP reply: ${line.slice(0, 200)}` }, false);
      }
      const code = this.pending[0]!.slice(0, 3);
      if ((m[1] ?? m[4]) !== code) return this.stop({ kind: 'malformed', code: null, message: 'lines of one reply carry different codes' });
      if (this.pending.length > MAX_REPLY_LINES) return this.stop({ kind: 'malformed', code: null, message: `reply longer than ${MAX_REPLY_LINES} lines` });
      this.replyBytes += line.length + 1;
      if (this.replyBytes > MAX_REPLY_TOTAL) return this.stop({ kind: 'malformed', code: null, message: `reply larger than ${MAX_REPLY_TOTAL} bytes in total` });
      if (final) {
        const lines = this.pending;
        const raw = this.rawPending;
        this.pending = [];
        this.rawPending = [];
        this.replyBytes = 0;
        this.push({ reply: { code: Number(code), enhanced: enhancedCode(lines[0]!.slice(4)), lines, raw } });
      }
    }
    if (this.buffer.length > MAX_REPLY_BYTES) {
      const head = this.buffer.slice(0, 200);
      this.buffer = '';
      this.record(head, true);
      this.stop({ kind: /^HTTP\/\d/.test(head) ? 'http-response' : 'malformed', code: null, message: `more than ${MAX_REPLY_BYTES} bytes without a line end` });
    }
  }
}

// The line reader of the IMAP and POP3 dialogues. Hand-written rather than a client library
// (imapflow, node-pop3): a diagnostic needs every raw line, the time of each step and the
// socket handed to TLS mid-dialogue, where a library hides all three behind its own
// connection handling and retries. Bounded: one line at most MAX_LINE bytes, one response
// at most MAX_LINES lines, every read with a deadline.
import type { Socket } from 'node:net';
import type { ErrorInfo } from '../schema/summary.js';
import { socketError } from '../probe/tcp.js';

export const MAX_LINE = 16 * 1024;
export const MAX_LINES = 2000;

export class LineError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

/** Control bytes a hostile server sends are escaped before they reach a file. */
export function cleanLine(line: string): string {
  // eslint-disable-next-line no-control-regex -- control bytes from the server are escaped on purpose
  return line.replace(/[\x00-\x08\x0b-\x1f\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export class LineReader {
  private buffer = '';
  private lines: string[] = [];
  private failed: ErrorInfo | null = null;
  private waiter: (() => void) | null = null;
  private socket: Socket | null = null;
  private readonly onData = (c: Buffer) => {
    this.buffer += c.toString('latin1');
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      this.lines.push(cleanLine(this.buffer.slice(0, nl).replace(/\r$/, '')));
      this.buffer = this.buffer.slice(nl + 1);
    }
    if (this.buffer.length > MAX_LINE) this.fail({ kind: 'malformed', code: null, message: `more than ${MAX_LINE} bytes without a line end` });
    this.wake();
  };
  private readonly onEnd = () => this.fail({ kind: 'closed', code: null, message: 'server closed the connection' });
  private readonly onError = (err: Error) => this.fail(socketError(err));

  attach(socket: Socket): void {
    this.socket = socket;
    this.failed = null;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
  }

  /** Before TLS takes the socket over: stops reading; what the server sent early is dropped (RFC 3501 / 2595 forbid it). */
  detach(): void {
    const s = this.socket;
    if (s) {
      s.off('data', this.onData);
      s.off('end', this.onEnd);
      s.off('error', this.onError);
    }
    this.socket = null;
    this.buffer = '';
    this.lines = [];
  }

  write(line: string): void {
    this.socket?.write(`${line}\r\n`);
  }

  /** The next line, or a LineError (timeout, closed, reset, malformed). */
  async line(timeoutMs: number, what: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const next = this.lines.shift();
      if (next !== undefined) return next;
      if (this.failed) throw new LineError(this.failed);
      const left = deadline - Date.now();
      if (left <= 0) throw new LineError({ kind: 'timeout', code: 'ETIMEDOUT', message: `no answer to ${what} within ${timeoutMs} ms` });
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiter = () => (clearTimeout(t), r());
      });
      this.waiter = null;
    }
  }

  private fail(info: ErrorInfo): void {
    if (this.buffer.length) this.lines.push(cleanLine(this.buffer.slice(0, 200)));
    this.buffer = '';
    this.failed ??= info;
    this.wake();
  }

  private wake(): void {
    this.waiter?.();
  }
}

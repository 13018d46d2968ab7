// Reads what the bot sends: command lines, and after DATA's 354 the message up to its
// "." line. The bot is a client we do not control, so every wait has a deadline (the
// idle timeout) and every buffer a cap. The socket can be swapped for its TLS upgrade.
import type { Socket } from 'node:net';
import { listenTo } from '../util/socket-listeners.js';

export const MAX_COMMAND_LINE = 16 * 1024; // an XOAUTH2 line carries a long token; RFC 5321's 512 is too tight
const MAX_DATA_PIECE = 64 * 1024;

export type ReadEnd = { kind: 'closed' } | { kind: 'timeout' } | { kind: 'too-long' } | { kind: 'error'; message: string };

export class BotReader {
  private socket: Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private ended: ReadEnd | null = null;
  private wake: (() => void) | null = null;

  private unlisten: (() => void) | null = null;
  private readonly onData = (chunk: Buffer) => {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    // Past a whole line plus a data piece nothing legitimate is waiting: stop reading until consumed.
    if (this.buf.length > MAX_COMMAND_LINE + MAX_DATA_PIECE) this.socket?.pause();
    this.wake?.();
  };
  private readonly onEnd = () => this.stop({ kind: 'closed' });
  private readonly onError = (err: Error) => this.stop({ kind: 'error', message: err.message });

  attach(socket: Socket): void {
    this.socket = socket;
    this.ended = null;
    this.unlisten = listenTo(socket, { data: this.onData, end: this.onEnd, error: this.onError });
  }

  /** Stops reading (before a TLS upgrade); returns bytes the bot sent ahead (RFC 3207 says discard them). */
  detach(): Buffer {
    this.unlisten?.();
    this.unlisten = null;
    this.socket = null;
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }

  private stop(end: ReadEnd): void {
    this.ended ??= end;
    this.wake?.();
  }

  /** Waits until `ready()` is true, the bot goes quiet for `idleMs`, or the connection ends. */
  private async until(ready: () => boolean, idleMs: number): Promise<ReadEnd | null> {
    while (!ready()) {
      if (this.ended) return this.ended;
      this.socket?.resume();
      const before = this.buf.length;
      const timedOut = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(true), idleMs);
        this.wake = () => (clearTimeout(t), resolve(false));
      });
      this.wake = null;
      if (timedOut && this.buf.length === before) return { kind: 'timeout' };
    }
    return null;
  }

  /** One command line without its CRLF, or why there is none. */
  async readLine(idleMs: number): Promise<string | ReadEnd> {
    let nl = -1;
    const end = await this.until(() => (nl = this.buf.indexOf(0x0a)) >= 0 || this.buf.length > MAX_COMMAND_LINE, idleMs);
    if (end && nl < 0) return end;
    if (nl < 0 || nl > MAX_COMMAND_LINE) return { kind: 'too-long' };
    const line = this.buf.subarray(0, nl).toString('latin1').replace(/\r$/, '');
    this.buf = this.buf.subarray(nl + 1);
    return line;
  }

  /**
   * The message after 354, raw as sent (dot-stuffed), handed to `sink` piece by piece;
   * `unstuffed` gets the same bytes with the transparency dots removed (RFC 5321 4.5.2).
   * Ends after the "." line, which goes to `sink` but not to `unstuffed`.
   */
  async readData(sink: (raw: Buffer) => Promise<void> | void, unstuffed: (bytes: Buffer) => void, idleMs: number): Promise<ReadEnd | null> {
    let atLineStart = true;
    for (;;) {
      let nl = -1;
      const end = await this.until(() => (nl = this.buf.indexOf(0x0a)) >= 0 || this.buf.length >= MAX_DATA_PIECE, idleMs);
      if (end && nl < 0 && this.buf.length < MAX_DATA_PIECE) return end;
      const take = nl >= 0 ? nl + 1 : this.buf.length;
      const piece = this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      if (atLineStart && nl >= 0 && (piece.length === 2 || piece.length === 3) && piece[0] === 0x2e && (piece.length === 2 ? piece[1] === 0x0a : piece[1] === 0x0d && piece[2] === 0x0a)) {
        await sink(piece);
        return null;
      }
      await sink(piece);
      unstuffed(atLineStart && piece[0] === 0x2e ? piece.subarray(1) : piece);
      atLineStart = nl >= 0;
    }
  }
}

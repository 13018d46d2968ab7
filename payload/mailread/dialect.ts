// What the IMAP and POP3 modules share: one request/response step with its timing and
// transcript lines (the secret-bearing lines shown as the caller says, never as sent), and
// the interface the session driver calls, so one driver runs both protocols.
import { performance } from '../util/clock.js';
import type { MailreadStep } from '../schema/mailread.js';
import { maskBase64, type Transcript } from '../probe/transcript.js';
import { MAX_LINES, type LineReader } from './lines.js';

export interface LoginPlan {
  user: string;
  /** The password, or the OAuth access token for XOAUTH2. */
  secret: string;
  isToken: boolean;
  /** auto, login (IMAP LOGIN / POP3 USER+PASS), plain, xoauth2. */
  mechanism: string;
}

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
export const plainResponse = (user: string, secret: string) => b64(`\0${user}\0${secret}`);
export const xoauth2Response = (user: string, token: string) => b64(`user=${user}\x01auth=Bearer ${token}\x01\x01`);

const WITHHELD = '[withheld]';

export class Exchange {
  constructor(
    readonly reader: LineReader,
    readonly transcript: Transcript,
    readonly timeoutMs: number,
  ) {}

  /** Sends `command` (unless null; `shown` is the transcript's text for it) and reads up to the line `isFinal` accepts. */
  async step(command: string | null, shown: string | null, isFinal: (line: string) => boolean): Promise<MailreadStep> {
    const t0 = performance.now();
    if (command !== null) this.send(command, shown);
    const lines: string[] = [];
    for (;;) {
      const line = await this.read(command ?? 'the greeting', lines);
      if (isFinal(line)) break;
      if (lines.length >= MAX_LINES) break;
    }
    return { command: command === null ? null : (shown ?? command), lines, status: null, ms: performance.now() - t0 };
  }

  /**
   * An IMAP tagged command: untagged lines until the tag's status. Each `+` continuation
   * is answered with the next of `continuations` (withheld in the transcript), or cancelled
   * with `*` when none is left (RFC 9051 6.2.2).
   */
  async tagged(tag: string, command: string, shown?: string, ...continuations: string[]): Promise<MailreadStep> {
    const t0 = performance.now();
    this.send(command, shown ?? null);
    const lines: string[] = [];
    let status: string | null = null;
    for (;;) {
      const line = await this.read(shown ?? command, lines);
      const m = /^(\S+) (OK|NO|BAD)\b/i.exec(line);
      if (m && m[1] === tag) {
        status = m[2]!.toUpperCase();
        break;
      }
      if (line.startsWith('+')) {
        const next = continuations.shift();
        this.send(next ?? '*', next === undefined ? null : next === '' ? '' : WITHHELD);
      }
      if (lines.length >= MAX_LINES) break;
    }
    return { command: shown ?? command, lines, status, ms: performance.now() - t0 };
  }

  private send(command: string, shown: string | null): void {
    this.transcript.client(shown ?? command);
    this.reader.write(command);
  }

  private async read(what: string, into: string[]): Promise<string> {
    const line = await this.reader.line(this.timeoutMs, what);
    // A continuation carries SASL challenges (XOAUTH2's error report is base64 JSON).
    const kept = line.startsWith('+ ') ? maskBase64(line) : line;
    into.push(kept);
    this.transcript.server(kept, true);
    return kept;
  }
}

export interface Dialect {
  readonly protocol: 'imap' | 'pop3';
  readonly starttlsVerb: string;
  greeting(x: Exchange): Promise<{ step: MailreadStep; ok: boolean; capabilities: string[] | null }>;
  capability(x: Exchange): Promise<{ step: MailreadStep; ok: boolean; capabilities: string[] }>;
  starttls(x: Exchange): Promise<{ step: MailreadStep; ok: boolean }>;
  offersStarttls(caps: readonly string[]): boolean;
  /** The evidence line when the server says, before TLS, that it takes no login in clear text. */
  refusesPlaintext(caps: readonly string[]): string | null;
  mechanisms(caps: readonly string[]): string[];
  pickMethod(wanted: string, caps: readonly string[], isToken: boolean): string;
  login(x: Exchange, plan: LoginPlan, method: string, caps: readonly string[]): Promise<{ step: MailreadStep; ok: boolean; why: string | null }>;
  logout(x: Exchange): Promise<MailreadStep>;
}

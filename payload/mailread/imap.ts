// The IMAP side (RFC 9051 / 3501): tagged commands, CAPABILITY, STARTTLS, LOGIN with quoted
// strings, AUTHENTICATE PLAIN / XOAUTH2 with SASL-IR (RFC 4959) or a continuation, LOGOUT.
import type { LoginPlan, Dialect, Exchange } from './dialect.js';
import { b64, plainResponse, xoauth2Response } from './dialect.js';

/** `* OK [CAPABILITY a b] ...`, `* CAPABILITY a b`, `tag OK [CAPABILITY a b] ...`: the atoms, upper-cased. */
export function imapCapabilities(lines: readonly string[]): string[] | null {
  for (const l of lines) {
    const m = /^\* CAPABILITY (.*)$/i.exec(l) ?? /\[CAPABILITY ([^\]]*)\]/i.exec(l);
    if (m) return m[1]!.trim().split(/\s+/).filter(Boolean).map((c) => c.toUpperCase());
  }
  return null;
}

/** The status of a tagged line (OK, NO, BAD), or null when the line is not this tag's. */
export function imapStatus(line: string, tag: string): 'OK' | 'NO' | 'BAD' | null {
  const m = /^(\S+) (OK|NO|BAD)\b/i.exec(line);
  return m && m[1] === tag ? (m[2]!.toUpperCase() as 'OK' | 'NO' | 'BAD') : null;
}

/**
 * An IMAP quoted string. A name or password with CR, LF, NUL or 8-bit characters needs a
 * literal, which LOGIN over a diagnostic does not send: AUTHENTICATE PLAIN carries any byte.
 */
export function imapQuote(s: string): string | null {
  // eslint-disable-next-line no-control-regex -- what a quoted string cannot hold
  if (/[\x00\r\n\x80-\uffff]/.test(s)) return null;
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export class Imap implements Dialect {
  readonly protocol = 'imap' as const;
  readonly starttlsVerb = 'STARTTLS';
  private n = 0;

  private tag(): string {
    return `a${++this.n}`;
  }

  async greeting(x: Exchange) {
    const step = await x.step(null, null, (l) => /^\* (OK|PREAUTH|BYE)\b/i.test(l) || !l.startsWith('*'));
    const ok = /^\* (OK|PREAUTH)\b/i.test(step.lines.at(-1) ?? '');
    return { step: { ...step, status: ok ? 'OK' : (/^\* BYE/i.test(step.lines.at(-1) ?? '') ? 'BYE' : null) }, ok, capabilities: imapCapabilities(step.lines) };
  }

  async capability(x: Exchange) {
    const tag = this.tag();
    const step = await x.tagged(tag, `${tag} CAPABILITY`);
    return { step, ok: step.status === 'OK', capabilities: imapCapabilities(step.lines) ?? [] };
  }

  async starttls(x: Exchange) {
    const tag = this.tag();
    const step = await x.tagged(tag, `${tag} STARTTLS`);
    return { step, ok: step.status === 'OK' };
  }

  offersStarttls(caps: readonly string[]): boolean {
    return caps.includes('STARTTLS');
  }

  /** Before TLS: does the server refuse logins here (LOGINDISABLED, RFC 9051 6.2.3)? */
  refusesPlaintext(caps: readonly string[]): string | null {
    return caps.includes('LOGINDISABLED') ? `* CAPABILITY ${caps.join(' ')}` : null;
  }

  mechanisms(caps: readonly string[]): string[] {
    const sasl = caps.filter((c) => c.startsWith('AUTH=')).map((c) => c.slice(5));
    return caps.includes('LOGINDISABLED') ? sasl : ['LOGIN', ...sasl];
  }

  pickMethod(wanted: string, caps: readonly string[], isToken: boolean): string {
    if (isToken) return 'XOAUTH2';
    if (wanted !== 'auto') return wanted.toUpperCase();
    return caps.includes('LOGINDISABLED') && caps.includes('AUTH=PLAIN') ? 'PLAIN' : 'LOGIN';
  }

  async login(x: Exchange, plan: LoginPlan, method: string, caps: readonly string[]) {
    const tag = this.tag();
    if (method === 'LOGIN') {
      const user = imapQuote(plan.user);
      const pass = imapQuote(plan.secret);
      if (!user || !pass) return { step: { command: null, lines: [], status: null, ms: null }, ok: false, why: 'the user name or password holds characters a quoted string cannot carry: use --mech plain' };
      const step = await x.tagged(tag, `${tag} LOGIN ${user} ${pass}`, `${tag} LOGIN [withheld]`);
      return { step, ok: step.status === 'OK', why: null };
    }
    const response = method === 'XOAUTH2' ? xoauth2Response(plan.user, plan.secret) : plainResponse(plan.user, plan.secret);
    const saslIr = caps.includes('SASL-IR');
    const step = saslIr
      ? await x.tagged(tag, `${tag} AUTHENTICATE ${method} ${response}`, `${tag} AUTHENTICATE ${method} [withheld]`, '')
      : await x.tagged(tag, `${tag} AUTHENTICATE ${method}`, undefined, response, '');
    return { step, ok: step.status === 'OK', why: null };
  }

  async logout(x: Exchange) {
    const tag = this.tag();
    return x.tagged(tag, `${tag} LOGOUT`);
  }
}

export { b64 };

// The POP3 side (RFC 1939, CAPA and response codes RFC 2449, STLS RFC 2595, AUTH RFC 5034):
// greeting, CAPA, STLS, USER/PASS or AUTH PLAIN / XOAUTH2 (initial response, else a
// continuation), QUIT.
import type { Dialect, Exchange, LoginPlan } from './dialect.js';
import { plainResponse, xoauth2Response } from './dialect.js';

export function popStatus(line: string): '+OK' | '-ERR' | null {
  return line.startsWith('+OK') ? '+OK' : line.startsWith('-ERR') ? '-ERR' : null;
}

/** The CAPA reply's lines between +OK and the final dot, upper-cased first word kept whole. */
export function popCapabilities(lines: readonly string[]): string[] {
  return lines.slice(1).filter((l) => l !== '.').map((l) => l.trim()).filter(Boolean).map((l) => l.replace(/^(\S+)/, (w) => w.toUpperCase()));
}

const final = (l: string) => popStatus(l) !== null || l.startsWith('+ ') || l === '+';

export class Pop3 implements Dialect {
  readonly protocol = 'pop3' as const;
  readonly starttlsVerb = 'STLS';

  async greeting(x: Exchange) {
    const step = await x.step(null, null, final);
    return { step: { ...step, status: popStatus(step.lines.at(-1) ?? '') }, ok: step.lines.at(-1)?.startsWith('+OK') ?? false, capabilities: null };
  }

  async capability(x: Exchange) {
    const head = await x.step('CAPA', null, final);
    const status = popStatus(head.lines.at(-1) ?? '');
    if (status !== '+OK') return { step: { ...head, status }, ok: false, capabilities: [] };
    const rest = await x.step(null, null, (l) => l === '.');
    const lines = [...head.lines, ...rest.lines];
    return { step: { command: 'CAPA', lines, status, ms: (head.ms ?? 0) + (rest.ms ?? 0) }, ok: true, capabilities: popCapabilities(lines) };
  }

  async starttls(x: Exchange) {
    const step = await x.step('STLS', null, final);
    const status = popStatus(step.lines.at(-1) ?? '');
    return { step: { ...step, status }, ok: status === '+OK' };
  }

  offersStarttls(caps: readonly string[]): boolean {
    return caps.includes('STLS');
  }

  refusesPlaintext(): string | null {
    return null;
  }

  mechanisms(caps: readonly string[]): string[] {
    const sasl = caps.find((c) => c.startsWith('SASL'))?.split(/\s+/).slice(1).map((m) => m.toUpperCase()) ?? [];
    return [...(caps.includes('USER') ? ['USER'] : []), ...sasl];
  }

  pickMethod(wanted: string, caps: readonly string[], isToken: boolean): string {
    if (isToken) return 'XOAUTH2';
    if (wanted !== 'auto') return wanted.toUpperCase() === 'LOGIN' ? 'USER' : wanted.toUpperCase();
    return caps.includes('USER') || !this.mechanisms(caps).includes('PLAIN') ? 'USER' : 'PLAIN';
  }

  async login(x: Exchange, plan: LoginPlan, method: string) {
    if (method === 'USER') {
      const user = await x.step(`USER ${plan.user}`, null, final);
      const us = popStatus(user.lines.at(-1) ?? '');
      if (us !== '+OK') return { step: { ...user, status: us }, ok: false, why: null };
      const pass = await x.step(`PASS ${plan.secret}`, 'PASS [withheld]', final);
      const ps = popStatus(pass.lines.at(-1) ?? '');
      return { step: { command: `USER ${plan.user} / PASS [withheld]`, lines: [...user.lines, ...pass.lines], status: ps, ms: (user.ms ?? 0) + (pass.ms ?? 0) }, ok: ps === '+OK', why: null };
    }
    const response = method === 'XOAUTH2' ? xoauth2Response(plan.user, plan.secret) : plainResponse(plan.user, plan.secret);
    let step = await x.step(`AUTH ${method} ${response}`, `AUTH ${method} [withheld]`, final);
    // A challenge after the initial response is XOAUTH2's error report: an empty line ends it.
    if ((step.lines.at(-1) ?? '').startsWith('+ ') || step.lines.at(-1) === '+') {
      const more = await x.step('', '', final);
      step = { ...more, command: step.command, lines: [...step.lines, ...more.lines], ms: (step.ms ?? 0) + (more.ms ?? 0) };
    }
    const status = popStatus(step.lines.at(-1) ?? '');
    return { step: { ...step, status }, ok: status === '+OK', why: null };
  }

  /** A plaintext connection with a login planned: USER with the name only, never PASS, tells whether the server would take it. */
  async probePlaintextUser(x: Exchange, user: string) {
    const step = await x.step(`USER ${user}`, null, final);
    return { ...step, status: popStatus(step.lines.at(-1) ?? '') };
  }

  async logout(x: Exchange) {
    const step = await x.step('QUIT', null, final);
    return { ...step, status: popStatus(step.lines.at(-1) ?? '') };
  }
}

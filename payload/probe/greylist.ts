// Greylisting (RFC 6647): a 450/451 that asks the client to come back later, often saying
// when ("Greylisted for 300 seconds", "try again in 5 minutes"). The wording is knowledge,
// kept in ../classify/data/esmtp-timing.json.
import timingFile from '../classify/data/esmtp-timing.json' with { type: 'json' };
import type { EsmtpTimingFile } from '../classify/knowledge-schema.js';
import type { SmtpReply, SmtpResult } from '../schema/summary.js';

export const TIMING: EsmtpTimingFile = timingFile as EsmtpTimingFile;

const G = TIMING.greylisting;
const TEXT = new RegExp(G.text, 'i');
const DELAYS = G.delay_patterns.map((p) => new RegExp(p, 'i'));
const codeOk = (code: number) => G.codes.some((c) => (c.includes('x') ? String(code).startsWith(c.slice(0, c.indexOf('x'))) : Number(c) === code));

/** The delay a greylisting reply names, in seconds; null when it names none. */
export function greylistDelay(text: string): number | null {
  for (const re of DELAYS) {
    const m = re.exec(text);
    if (!m) continue;
    const n = Number(m[1]);
    return /^m/i.test(m[2] ?? 's') ? n * 60 : n;
  }
  return null;
}

/** Whether a reply is a greylisting answer: its code, and its enhanced code or its words. */
export function isGreylisting(r: Pick<SmtpReply, 'code' | 'enhanced' | 'lines'>): boolean {
  if (r.code === null || !codeOk(r.code)) return false;
  const text = r.lines.join(' ');
  // 4.7.1 alone is also "relay access denied, try later" on some servers; the words decide.
  return TEXT.test(text) || (!!r.enhanced && G.enhanced.includes(r.enhanced) && greylistDelay(text) !== null);
}

const STEPS = ['mail', 'rcpt', 'data', 'data_end'] as const;

/** The first greylisting answer of an attempt, for smtp.greylist. */
export function findGreylist(smtp: SmtpResult): NonNullable<SmtpResult['greylist']> | null {
  for (const step of STEPS) {
    const r = smtp[step];
    if (r && isGreylisting(r)) {
      const line = r.lines.join(' ');
      return { step, code: r.code!, enhanced: r.enhanced, delay_s: greylistDelay(line), line: line.slice(0, 300) };
    }
  }
  return null;
}

/** How long to wait before retrying: the named delay (or the usual one), bounded by `maxS`; null when over it. */
export function retryWaitS(delayS: number | null, maxS: number): number | null {
  const d = delayS ?? G.default_delay_s;
  return d <= maxS ? d : null;
}

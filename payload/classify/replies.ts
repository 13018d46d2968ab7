// Understanding a server reply: parse it (multi-line, basic code, enhanced codes anywhere
// in the text), tell which provider sent it, and find the most specific rule in the
// knowledge table (reply-rules.ts) for that provider, stage, code and text.
import type { FailureClass } from './classes.js';
import { REPLY_RULES } from './reply-rules.js';
import { enhancedCodes } from './enhanced-codes.js';

export const STAGES = ['banner', 'ehlo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'any'] as const;
export type ReplyStage = (typeof STAGES)[number];
export const PROVIDERS = ['gmail', 'microsoft', 'generic'] as const;
export type Provider = (typeof PROVIDERS)[number];
export type Protocol = 'smtp' | 'imap' | 'pop';

export interface ReplyRule {
  id: string;
  class: FailureClass;
  /** Omitted: any provider. */
  provider?: Exclude<Provider, 'generic'>;
  /** Omitted: any stage. */
  stages?: readonly ReplyStage[];
  /** Basic reply codes (RFC 5321); omitted: any. */
  codes?: readonly number[];
  /** Enhanced status codes (RFC 3463) that must appear; omitted: any. */
  enhanced?: readonly string[];
  /** Must match the reply text (all lines joined by a space). */
  text?: RegExp;
  /** smtp (default), or a pasted IMAP/POP response. */
  protocol?: Protocol;
  summary: string;
  next_step: string;
  /** Where the knowledge comes from (public documentation, RFC). */
  source: string;
}

export interface ParsedReply {
  code: number | null;
  enhanced: string[];
  text: string; // lines without their codes, joined by a space
  lines: string[];
}

const LINE = /^(\d{3})([ -]?)(.*)$/;

/**
 * The most reply text the rules look at. The wire reader already caps one reply at 64 KB;
 * this also covers pasted text, and keeps every rule's cost bounded whatever the caller
 * hands in. The head is kept: the code and the reason come first in a reply.
 */
export const MAX_CLASSIFIED_CHARS = 64 * 1024;

/** Parses one reply (or any pasted text: a bounce, a log line). Never throws. */
export function parseReply(input: string): ParsedReply {
  const lines = input.slice(0, MAX_CLASSIFIED_CHARS).split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l.trim().length > 0);
  let code: number | null = null;
  const texts: string[] = [];
  for (const raw of lines) {
    const l = raw.replace(/^\s*(?:[SC]:\s*|<{1,3}\s*|>{1,3}\s*)/, '');
    const m = LINE.exec(l);
    if (m && (m[2] !== '' || m[3] === '')) {
      code ??= Number(m[1]);
      texts.push(m[3]!);
    } else {
      // A bounce or log line may carry the reply in the middle: "... said: 550 5.7.1 ...".
      const inner = /(?:^|\s)([2-5]\d\d)[ -]((?:[245]\.\d{1,3}\.\d{1,3})\b.*)$/.exec(l);
      if (inner && code === null) code = Number(inner[1]);
      texts.push(l);
    }
  }
  const text = texts.join(' ').replace(/\s+/g, ' ').trim();
  return { code, enhanced: enhancedCodes(text), text, lines };
}


export function detectProvider(hints: { host?: string | null; text?: string | null }): Provider {
  const h = (hints.host ?? '').toLowerCase();
  const t = hints.text ?? '';
  if (/(^|\.)(gmail|googlemail|google)\.com\.?$/.test(h) || /\bgsmtp\b|support\.google\.com|google\.com\/mail/i.test(t)) return 'gmail';
  if (/(^|\.)(office365|outlook|protection\.outlook|office)\.com\.?$/.test(h) || /\boutlook\.com\b|protection\.outlook|Microsoft ESMTP|aka\.ms\/|\b[A-Z]{2,6}\d{2,4}[A-Z]{2,4}\d{3,4}\.\w+\.prod\.outlook/i.test(t)) {
    return 'microsoft';
  }
  return 'generic';
}

export interface Explained {
  rule: ReplyRule | null;
  provider: Provider;
  stage: ReplyStage;
  parsed: ParsedReply;
}

function specificity(r: ReplyRule): number {
  return (r.text ? 8 : 0) + (r.enhanced ? 4 : 0) + (r.provider ? 2 : 0) + (r.stages ? 1 : 0) + (r.codes ? 1 : 0);
}

function matches(r: ReplyRule, p: ParsedReply, provider: Provider, stage: ReplyStage, protocol: Protocol): boolean {
  if ((r.protocol ?? 'smtp') !== protocol) return false;
  if (r.provider && r.provider !== provider) return false;
  if (r.stages && stage !== 'any' && !r.stages.includes(stage)) return false;
  if (r.codes && (p.code === null || !r.codes.includes(p.code))) return false;
  if (r.enhanced && !r.enhanced.some((e) => p.enhanced.includes(e))) return false;
  if (r.text && !r.text.test(p.text)) return false;
  return true;
}

// Rules sorted once, most specific first: the first match wins.
let sorted: readonly ReplyRule[] | null = null;

export function explainReply(input: string, o: { provider?: Provider; stage?: ReplyStage; host?: string | null; protocol?: Protocol } = {}): Explained {
  const parsed = parseReply(input);
  const provider = o.provider ?? detectProvider({ host: o.host, text: parsed.text });
  const stage = o.stage ?? 'any';
  const protocol = o.protocol ?? guessProtocol(parsed);
  sorted ??= [...REPLY_RULES].sort((a, b) => specificity(b) - specificity(a));
  const rule = sorted.find((r) => matches(r, parsed, provider, stage, protocol)) ?? null;
  return { rule, provider, stage, parsed };
}

function guessProtocol(p: ParsedReply): Protocol {
  if (p.code !== null) return 'smtp';
  if (/^\S+ (NO|BAD|OK)\b|^\* (CAPABILITY|OK|NO|BAD|BYE)\b/m.test(p.lines.join('\n'))) return 'imap';
  if (/^[-+](ERR|OK)\b/m.test(p.lines.join('\n'))) return 'pop';
  return 'smtp';
}

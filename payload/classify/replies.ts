// Understanding a server reply: parse it (multi-line, basic code, enhanced codes anywhere
// in the text), tell which provider sent it, and find the rule of the reply knowledge
// (data/reply-rules.json, read by knowledge.ts) that fits that provider, stage, code and
// text best: the matching rule with the highest priority.
import { enhancedCodes } from './enhanced-codes.js';
import { loadProviders, loadReplyRules, type Protocol, type ReplyRule, type RuleStage } from './knowledge.js';

export type { Protocol, ReplyRule } from './knowledge.js';
export const STAGES = ['banner', 'ehlo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'any'] as const;
export type ReplyStage = RuleStage | 'any';
/** A provider id of data/providers.json, or 'generic' for any other server. */
export type Provider = string;

/** Every provider name `--provider` takes. */
export function providerIds(): string[] {
  return [...loadProviders().map((p) => p.id), 'generic'];
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
  const host = hints.host ?? '';
  const text = hints.text ?? '';
  // The first provider in the file whose host names or reply markers match: Gmail is listed
  // first, so a Gmail bounce quoting another provider's reply stays Gmail's.
  const hit = loadProviders().find((p) => (host && p.hosts.some((h) => h.test(host))) || (text && p.reply_markers.some((m) => m.test(text))));
  return hit?.id ?? 'generic';
}

/** The provider's entry, for what the classifier knows of it (STARTTLS always offered, certificate issuers). */
export function providerInfo(id: Provider) {
  return loadProviders().find((p) => p.id === id) ?? null;
}

export interface Explained {
  rule: ReplyRule | null;
  provider: Provider;
  stage: ReplyStage;
  parsed: ParsedReply;
}

function matches(r: ReplyRule, p: ParsedReply, provider: Provider, stage: ReplyStage, protocol: Protocol): boolean {
  if (r.protocol !== protocol) return false;
  if (r.provider && r.provider !== provider) return false;
  // A stage list restricts a rule only when the caller knows the stage.
  if (r.stages && stage !== 'any' && !r.stages.has(stage)) return false;
  if (r.code && (p.code === null || !r.code(p.code))) return false;
  if (r.enhanced && !r.enhanced(p.enhanced)) return false;
  if (r.text && !r.text.test(p.text)) return false;
  return true;
}

export interface ExplainOptions {
  provider?: Provider;
  stage?: ReplyStage;
  host?: string | null;
  protocol?: Protocol;
}

export function explainReply(input: string, o: ExplainOptions = {}): Explained {
  const parsed = parseReply(input);
  const provider = o.provider ?? detectProvider({ host: o.host, text: parsed.text });
  const stage = o.stage ?? 'any';
  const protocol = o.protocol ?? guessProtocol(parsed);
  const rule = loadReplyRules().find((r) => matches(r, parsed, provider, stage, protocol)) ?? null;
  return { rule, provider, stage, parsed };
}

/** Every rule that matches, best first: what the knowledge tests use to find ties. */
export function matchingRules(input: string, o: ExplainOptions = {}): ReplyRule[] {
  const parsed = parseReply(input);
  const provider = o.provider ?? detectProvider({ host: o.host, text: parsed.text });
  const protocol = o.protocol ?? guessProtocol(parsed);
  return loadReplyRules().filter((r) => matches(r, parsed, provider, o.stage ?? 'any', protocol));
}

function guessProtocol(p: ParsedReply): Protocol {
  if (p.code !== null) return 'smtp';
  if (/^\S+ (NO|BAD|OK)\b|^\* (CAPABILITY|OK|NO|BAD|BYE)\b/m.test(p.lines.join('\n'))) return 'imap';
  if (/^[-+](ERR|OK)\b/m.test(p.lines.join('\n'))) return 'pop';
  return 'smtp';
}

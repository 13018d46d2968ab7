// Reading what a mail client printed: a Java/.NET/Python stack trace, a Node error, a
// command-line tool's complaint, or a bare server reply. A trace's load-bearing line is its
// innermost cause (the last "Caused by:" in Java, the last "--->" inner exception in .NET,
// the last line of a Python traceback): the outer exceptions only say "sending failed".
// That line is matched against the client-error table (data/client-errors.json); a server
// reply quoted inside the exception is read with the reply rules at the stage the
// exception names, and that reading wins, since the server's words are more specific than
// the library's. Text with no client pattern falls back to the reply rules, as before.
import { loadClientErrors, type ClientRule, type Library } from './knowledge.js';
import type { FailureClass } from './classes.js';
import { hint } from './hints.js';
import { interceptorOf } from './interceptors.js';
import { detectProvider, explainReply, MAX_CLASSIFIED_CHARS, parseReply, type Provider, type ReplyStage } from './replies.js';

export interface ErrorReading {
  class: FailureClass;
  /** The reply rule or client rule that decided, or null when nothing matched. */
  rule: string | null;
  summary: string;
  next_step: string;
  source: string | null;
  /** The library recognised, or null for a bare reply or unknown text. */
  library: Library | null;
  /** The line the reading rests on, as the client printed it (trimmed). */
  evidence_line: string | null;
  provider: Provider;
  stage: ReplyStage;
  code: number | null;
  enhanced: string[];
}

export interface ReadOptions {
  provider?: Provider;
  /** The caller's stage; 'any' (or none) lets the exception type say. */
  stage?: ReplyStage;
  host?: string | null;
}

/** A stack frame or trace boilerplate: never the cause. */
const FRAME = /^\s*(?:at\s|File "|\.\.\. \d+ (?:more|common)|--- End of|Traceback \(most recent call last\)|During handling of the above exception|The above exception was the direct cause)/;
const JAVA_CAUSE = /^\s*Caused by: /;
const NESTED = /nested exception is:\s*$/;
const PY_TRACEBACK = /^Traceback \(most recent call last\):/;
const DOTNET_INNER = /\s*--->\s*/;

/** The most exception lines one reading looks at: the innermost cause first, then outwards. */
export const MAX_CANDIDATES = 1000;

interface Candidate {
  text: string;
  /** Index of the source line, to read a multi-line reply that continues below it. */
  line: number;
}

/** Lines split at .NET's "--->" into one candidate per exception, frames dropped. */
function candidates(lines: readonly string[]): Candidate[] {
  const out: Candidate[] = [];
  lines.forEach((l, i) => {
    if (FRAME.test(l)) return;
    for (const part of l.split(DOTNET_INNER)) if (part.trim()) out.push({ text: part.trim(), line: i });
  });
  return out;
}

/** The innermost cause first, then the other candidates from the last one up. */
function ordered(lines: readonly string[], cs: Candidate[]): Candidate[] {
  if (!cs.length) return cs;
  let key = -1;
  if (lines.some((l) => PY_TRACEBACK.test(l))) key = cs.length - 1;
  if (key < 0) {
    for (let i = cs.length - 1; i >= 0 && key < 0; i--) {
      const c = cs[i]!;
      if (JAVA_CAUSE.test(lines[c.line]!) || (c.line > 0 && NESTED.test(lines[c.line - 1]!))) key = i;
    }
  }
  if (key < 0) {
    // .NET: the last exception after a "--->" is the innermost.
    for (let i = cs.length - 1; i >= 0 && key < 0; i--) if (lines[cs[i]!.line]!.includes('--->')) key = i;
  }
  if (key < 0) key = 0;
  // Bounded: a paste of 64 KB of one-character lines would otherwise cost every rule per line.
  return [cs[key]!, ...cs.filter((_, i) => i !== key).reverse()].slice(0, MAX_CANDIDATES);
}

const CODED = /(?:^|[\s:(])([2-5]\d\d)(?::? |-)(?=[245]\.\d|[A-Za-z])/;
const CONTINUATION = /^\s*[2-5]\d\d[ -]/;
const PY_REPLY = /\((\d{3}), b(['"])/;
const DOTNET_RESPONSE = 'The server response was: ';
const BARE_ENHANCED = /Exception: ([245]\.\d{1,3}\.\d{1,3} .*)$/;

/** A server reply quoted inside an exception line (and the reply lines that continue it). */
export function embeddedReply(c: Candidate, lines: readonly string[]): string | null {
  const py = PY_REPLY.exec(c.text);
  if (py) {
    // smtplib prints (code, b'bytes repr'): the repr's \n are the reply's line breaks.
    const body = c.text.slice(py.index + py[0].length);
    const end = body.lastIndexOf(`${py[2]})`);
    const text = (end >= 0 ? body.slice(0, end) : body).replace(/\\r\\n|\\n/g, '\n');
    return `${py[1]} ${text}`;
  }
  const at = c.text.indexOf(DOTNET_RESPONSE);
  if (at >= 0) return c.text.slice(at + DOTNET_RESPONSE.length);
  const m = CODED.exec(c.text);
  if (!m) {
    // MailKit's SmtpCommandException message is the reply text without its code: "5.7.8 Username ...".
    const bare = BARE_ENHANCED.exec(c.text);
    return bare ? bare[1]! : null;
  }
  const first = c.text.slice(m.index + m[0].indexOf(m[1]!)).replace(/^(\d{3}):/, '$1');
  const more: string[] = [];
  for (let i = c.line + 1; i < lines.length && more.length < 20 && CONTINUATION.test(lines[i]!); i++) more.push(lines[i]!.trim());
  return [first, ...more].join('\n');
}

function libraryOf(rule: ClientRule | null, text: string): Library | null {
  // OS-level words (ECONNREFUSED, OpenSSL's) are printed by whichever library sits on top.
  if (rule && rule.library !== 'node' && rule.library !== 'openssl') return rule.library;
  return loadClientErrors().signatures.find((s) => s.pattern.test(text))?.library ?? rule?.library ?? null;
}

/**
 * Lines that may name a certificate's issuer, where an interceptor's name means something:
 * .NET's "Issuer: CN=...", Java's "Issuer: ...", openssl s_client's " 1 s:... / i:C = US, O = ...".
 */
const ISSUERISH = /issuer|subject|\b(?:CN|O) ?=|^\s*\d*\s*[si]:/i;

/** The client-error reading of a text, or null when no client pattern applies. */
export function readClientError(input: string, o: ReadOptions = {}): ErrorReading | null {
  const text = input.slice(0, MAX_CLASSIFIED_CHARS);
  const lines = text.split(/\r?\n/).map((l) => l.trimEnd());
  for (const c of ordered(lines, candidates(lines))) {
    const rule = loadClientErrors().rules.find((r) => r.pattern.test(c.text));
    if (!rule) continue;
    const library = libraryOf(rule, text);
    const stage: ReplyStage = o.stage && o.stage !== 'any' ? o.stage : (rule.reply_stage ?? 'any');
    if (rule.reply_stage) {
      const reply = embeddedReply(c, lines);
      if (reply) {
        const x = explainReply(reply, { stage, provider: o.provider, host: o.host });
        if (x.rule) {
          return { class: x.rule.class, rule: x.rule.id, summary: x.rule.summary, next_step: x.rule.next_step, source: x.rule.source, library, evidence_line: c.text.slice(0, 500), provider: x.provider, stage, code: x.parsed.code, enhanced: x.parsed.enhanced };
        }
      }
    }
    const base = { library, evidence_line: c.text.slice(0, 500), provider: o.provider ?? detectProvider({ host: o.host, text }), stage, code: null, enhanced: [] as string[] };
    const product = rule.trust ? interceptorOf(lines.filter((l) => ISSUERISH.test(l))) : null;
    if (product) {
      const h = hint('proxy-tls-interception');
      return { ...base, class: h.class, rule: `${rule.id}+interceptor`, summary: `${h.summary} (issuer looks like ${product})`, next_step: h.next_step, source: rule.source };
    }
    return { ...base, class: rule.class, rule: rule.id, summary: rule.summary, next_step: rule.next_step, source: rule.source };
  }
  return readPastedChain(text, lines, o);
}

/**
 * A pasted certificate chain (openssl s_client, .NET's or Java's certificate dump) with no
 * error line: an issuer naming an inspection product is the finding, and that line the evidence.
 */
function readPastedChain(text: string, lines: readonly string[], o: ReadOptions): ErrorReading | null {
  for (const line of lines) {
    if (!ISSUERISH.test(line)) continue;
    const product = interceptorOf([line]);
    if (!product) continue;
    const h = hint('proxy-tls-interception');
    return {
      class: h.class,
      rule: 'certificate-chain+interceptor',
      summary: `${h.summary} (issuer looks like ${product})`,
      next_step: h.next_step,
      source: null,
      library: loadClientErrors().signatures.find((sig) => sig.pattern.test(text))?.library ?? null,
      evidence_line: line.trim().slice(0, 500),
      provider: o.provider ?? detectProvider({ host: o.host, text }),
      stage: o.stage ?? 'any',
      code: null,
      enhanced: [],
    };
  }
  return null;
}

/** Any pasted text: a client error when one is recognised, else a server reply (or unknown). */
/** Every line a server reply line (`550-...`, `550 ...`): no client printed this, so no client pattern can apply. */
function isBareReply(input: string): boolean {
  return input.split('\n').every((l) => {
    const t = l.trim();
    return t === '' || /^\d{3}(?:[ -]|$)/.test(t);
  });
}

export function readError(input: string, o: ReadOptions = {}): ErrorReading {
  // A bare reply (what `explain` is handed most) skips the client table: half the work.
  const client = isBareReply(input) ? null : readClientError(input, o);
  if (client) return client;
  const stage = o.stage ?? 'any';
  const x = explainReply(input, { stage, provider: o.provider, host: o.host });
  const parsed = parseReply(input);
  const coded = parsed.lines.find((l) => /(?:^|\s)[2-5]\d\d[ -]/.test(l)) ?? parsed.lines[0] ?? null;
  return {
    class: x.rule?.class ?? 'unknown',
    rule: x.rule?.id ?? null,
    summary: x.rule?.summary ?? 'no known pattern matched this text',
    next_step: x.rule?.next_step ?? 'Paste the full reply, including the numeric code, or run `smtp-probe probe` to reproduce it.',
    source: x.rule?.source ?? null,
    library: null,
    evidence_line: coded?.trim().slice(0, 500) ?? null,
    provider: x.provider,
    stage,
    code: x.parsed.code,
    enhanced: x.parsed.enhanced,
  };
}

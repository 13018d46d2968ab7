// The classifier's knowledge, read from the data files beside this module and compiled
// once, on first use: a probe that never reads a reply pays nothing for it. The files are
// part of the build (bundled into the payload), not input: test/unit/knowledge.test.ts
// validates each against its schema, so the probe does not parse them again on every run
// (zod over the 171 reply rules costs tens of milliseconds, a fifth of a probe's whole start).
import repliesFile from './data/reply-rules.json' with { type: 'json' };
import providersFile from './data/providers.json' with { type: 'json' };
import interceptorsFile from './data/interceptors.json' with { type: 'json' };
import clientErrorsFile from './data/client-errors.json' with { type: 'json' };
import type { FailureClass } from './classes.js';
import { hint, HINTS, type HintId } from './hints.js';
import type { ClientErrorsFile, InterceptorsFile, ProviderData, ProvidersFile, ReplyRulesFile, RULE_STAGES } from './knowledge-schema.js';

export type RuleStage = (typeof RULE_STAGES)[number];
export type Protocol = 'smtp' | 'imap' | 'pop';

/** A reply rule ready to match. */
export interface ReplyRule {
  id: string;
  class: FailureClass;
  priority: number;
  protocol: Protocol;
  provider: string | null;
  stages: ReadonlySet<RuleStage> | null;
  code: ((code: number) => boolean) | null;
  enhanced: ((codes: readonly string[]) => boolean) | null;
  text: RegExp | null;
  summary: string;
  next_step: string;
  /** The source's title, with its address where the file gives one: "RFC 4954 (https://...)". */
  source: string;
}

function codeMatcher(patterns: readonly string[]): (code: number) => boolean {
  const exact = new Set<number>();
  const prefixes: string[] = [];
  for (const p of patterns) {
    if (p.includes('x')) prefixes.push(p.slice(0, p.indexOf('x')));
    else exact.add(Number(p));
  }
  return (code) => exact.has(code) || prefixes.some((pre) => String(code).startsWith(pre));
}

function enhancedMatcher(patterns: readonly string[]): (codes: readonly string[]) => boolean {
  const exact = new Set<string>();
  const ranges: Array<{ head: string; from: number; to: number }> = [];
  for (const p of patterns) {
    const [cls, subject, detail] = p.split('.') as [string, string, string];
    if (detail === '*') ranges.push({ head: `${cls}.${subject}.`, from: 0, to: 999 });
    else if (detail.includes('-')) {
      const [from, to] = detail.split('-').map(Number) as [number, number];
      ranges.push({ head: `${cls}.${subject}.`, from, to });
    } else exact.add(p);
  }
  return (codes) =>
    codes.some((c) => {
      if (exact.has(c)) return true;
      const dot = c.lastIndexOf('.');
      const head = c.slice(0, dot + 1);
      const detail = Number(c.slice(dot + 1));
      return ranges.some((r) => r.head === head && detail >= r.from && detail <= r.to);
    });
}

let replyRules: readonly ReplyRule[] | null = null;

/** Every reply rule, highest priority first (ties: by id, so the order never depends on the file's). */
export function loadReplyRules(): readonly ReplyRule[] {
  if (replyRules) return replyRules;
  const file = repliesFile as unknown as ReplyRulesFile;
  const providers = new Set(loadProviders().map((p) => p.id));
  replyRules = file.rules
    .map((r): ReplyRule => {
      const m = r.match;
      if (m.provider && !providers.has(m.provider)) throw new Error(`reply rule ${r.id}: unknown provider ${m.provider}`);
      const source = file.sources[r.source]!;
      return {
        id: r.id,
        class: r.class,
        priority: r.priority,
        protocol: m.protocol ?? 'smtp',
        provider: m.provider ?? null,
        stages: m.stages ? new Set(m.stages) : null,
        code: m.codes ? codeMatcher(m.codes) : null,
        enhanced: m.enhanced ? enhancedMatcher(m.enhanced) : null,
        text: m.text ? new RegExp(m.text, m.case_sensitive ? '' : 'i') : null,
        summary: r.summary,
        next_step: r.next_step,
        source: source.url ? `${source.title} (${source.url})` : source.title,
      };
    })
    .sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1));
  return replyRules;
}

export interface Provider extends Omit<ProviderData, 'hosts' | 'reply_markers' | 'certificate_issuers'> {
  hosts: readonly RegExp[];
  reply_markers: readonly RegExp[];
  certificate_issuers: { pattern: RegExp; name: string } | null;
}

let providers: readonly Provider[] | null = null;

export function loadProviders(): readonly Provider[] {
  providers ??= (providersFile as unknown as ProvidersFile).providers.map((p) => ({
    ...p,
    hosts: p.hosts.map((h) => new RegExp(h, 'i')),
    reply_markers: p.reply_markers.map((m) => new RegExp(m, 'i')),
    certificate_issuers: p.certificate_issuers ? { pattern: new RegExp(p.certificate_issuers.pattern, 'i'), name: p.certificate_issuers.name } : null,
  }));
  return providers;
}

let interceptors: ReadonlyArray<{ product: string; issuer: RegExp }> | null = null;

export function loadInterceptors(): ReadonlyArray<{ product: string; issuer: RegExp }> {
  interceptors ??= (interceptorsFile as unknown as InterceptorsFile).products.map((p) => ({ product: p.product, issuer: new RegExp(p.issuer, 'i') }));
  return interceptors;
}

/** The name of a mail library of data/client-errors.json ('javamail', 'mailkit', 'node'...). */
export type Library = string;

/** A client-error rule ready to match, its hint's texts filled in. */
export interface ClientRule {
  id: string;
  library: Library;
  priority: number;
  pattern: RegExp;
  class: FailureClass;
  hint_id: HintId;
  summary: string;
  next_step: string;
  reply_stage: RuleStage | 'any' | null;
  trust: boolean;
  source: string;
}

let clientErrors: { rules: readonly ClientRule[]; libraries: readonly Library[]; signatures: ReadonlyArray<{ library: Library; pattern: RegExp }> } | null = null;

/** The client-error table: rules highest priority first (ties by id), the libraries, their signatures. */
export function loadClientErrors(): NonNullable<typeof clientErrors> {
  if (clientErrors) return clientErrors;
  const file = clientErrorsFile as unknown as ClientErrorsFile;
  const hints = new Set<string>(HINTS.map((h) => h.id));
  const rules = file.rules
    .map((r): ClientRule => {
      if (!hints.has(r.hint)) throw new Error(`client rule ${r.id}: unknown hint ${r.hint}`);
      const h = hint(r.hint as HintId);
      return {
        id: r.id,
        library: r.library,
        priority: r.priority,
        pattern: new RegExp(r.pattern, r.case_insensitive ? 'i' : ''),
        class: h.class,
        hint_id: r.hint as HintId,
        summary: r.summary ?? h.summary,
        next_step: r.next_step ?? h.next_step,
        reply_stage: r.reply_stage ?? null,
        trust: r.trust ?? false,
        source: r.source,
      };
    })
    .sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1));
  const signatures = file.signatures.map((s) => ({ library: s.library, pattern: new RegExp(s.pattern, s.multiline ? 'm' : '') }));
  clientErrors = { rules, libraries: file.libraries, signatures };
  return clientErrors;
}

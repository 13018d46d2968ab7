// The schemas of the classifier's knowledge files (payload/classify/data/*.json): reply
// rules, providers and interception products. Each file names its schema version. The
// files ship inside the payload, so they are validated when they are written (the unit
// tests parse every file), not on each run (knowledge.ts).
import { z } from 'zod';
import { CLASSES } from './classes.js';

/** The dialogue steps a rule may be restricted to (the classifier passes 'any' when it does not know). */
export const RULE_STAGES = ['banner', 'ehlo', 'starttls', 'auth', 'mail', 'rcpt', 'data'] as const;

const Id = z.string().regex(/^[a-z0-9][a-z0-9+-]*$/, 'ids are lower-case words joined by dashes');
/** A regular expression's source, compiled case-insensitively unless the rule says otherwise. */
const Pattern = z.string().min(1).refine((p) => {
  try {
    new RegExp(p, 'i');
    return true;
  } catch {
    return false;
  }
}, 'not a valid regular expression');

/** A basic reply code, or a range written with x: "535", "45x", "5xx". */
export const CodePattern = z.string().regex(/^[2-5](?:\d\d|\dx|xx)$/, 'a reply code such as 535, 45x or 5xx');
/** An enhanced status code (RFC 3463), with a detail range or wildcard: "5.7.8", "5.7.606-649", "4.7.*". */
export const EnhancedPattern = z.string().regex(/^[245]\.\d{1,3}\.(?:\*|\d{1,3}(?:-\d{1,3})?)$/, 'an enhanced code such as 5.7.8, 5.7.606-649 or 5.7.*');

export const ReplyRuleSchema = z
  .object({
    id: Id,
    /** Where the rule sits for a reader of the file; no effect on matching. */
    group: z.string().min(1),
    class: z.enum(CLASSES),
    /** The highest-priority matching rule wins. See data/README.md for the scale. */
    priority: z.number().int().min(0).max(1000),
    match: z
      .object({
        protocol: z.enum(['imap', 'pop']).optional(), // omitted: SMTP
        provider: Id.optional(), // a providers.json id; omitted: any provider
        stages: z.array(z.enum(RULE_STAGES)).min(1).optional(), // omitted: any stage
        codes: z.array(CodePattern).min(1).optional(),
        enhanced: z.array(EnhancedPattern).min(1).optional(), // one of them must appear in the reply
        text: Pattern.optional(), // tested against the reply's lines joined by a space
        case_sensitive: z.literal(true).optional(),
      })
      .strict(),
    summary: z.string().min(1),
    next_step: z.string().min(1),
    /** A key of the file's `sources`. */
    source: z.string().min(1),
    /** Why the rule is written the way it is, where that is not obvious. */
    note: z.string().optional(),
  })
  .strict();
export type ReplyRuleData = z.infer<typeof ReplyRuleSchema>;

export const SourceSchema = z.object({ title: z.string().min(1), url: z.url().optional() }).strict();

export const ReplyRulesFileSchema = z
  .object({
    schema: z.literal('smtp-probe.reply-rules/1'),
    sources: z.record(z.string(), SourceSchema),
    rules: z.array(ReplyRuleSchema).min(1),
  })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id ${r.id}` });
      seen.add(r.id);
      if (!f.sources[r.source]) ctx.addIssue({ code: 'custom', path: ['rules', i, 'source'], message: `unknown source ${r.source}` });
    });
  });
export type ReplyRulesFile = z.infer<typeof ReplyRulesFileSchema>;

/** Where a preset's host names carry one: `{region}` in a host stands for it. */
const REGION_SLOT = '{region}';

export const EndpointSchema = z
  .object({
    host: z.string().regex(/^[a-z0-9.{}-]+$/, 'a host name, with {region} where the preset has regions'),
    port: z.number().int().min(1).max(65535),
    mode: z.enum(['starttls', 'implicit']),
    /** Documented but not probed unless asked (--port): port 25 is blocked on most networks. */
    optional: z.literal(true).optional(),
  })
  .strict();

export const PresetSchema = z
  .object({
    id: Id,
    name: z.string().min(1),
    /** In the order the probe tries them; the first host is the one `--provider` sets. */
    smtp: z.array(EndpointSchema).min(1),
    /** Overrides the provider's. */
    username: z.string().min(1).optional(),
    auth_mechanisms: z.array(z.string()).optional(),
    /** The region a host's `{region}` takes without --region, and where the regions are listed. */
    region: z.object({ default: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/), source: z.url() }).strict().optional(),
    /** Where the endpoints are documented. */
    source: z.url(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const slotted = p.smtp.some((e) => e.host.includes(REGION_SLOT));
    if (slotted !== !!p.region) ctx.addIssue({ code: 'custom', path: ['region'], message: 'a preset has a region exactly when a host carries {region}' });
    if (p.smtp.every((e) => e.optional)) ctx.addIssue({ code: 'custom', path: ['smtp'], message: 'at least one endpoint must be probed by default' });
  });
export type PresetData = z.infer<typeof PresetSchema>;

export const ProviderSchema = z
  .object({
    id: Id,
    name: z.string().min(1),
    /** The provider's host names, as patterns (case-insensitive) over the whole name. */
    hosts: z.array(Pattern).min(1),
    /** Words in a banner, an EHLO greeting or a reply that only this provider writes. */
    reply_markers: z.array(Pattern),
    /** Who issues the provider's server certificates: a served chain from anyone else is a TLS-inspection signal. */
    certificate_issuers: z.object({ pattern: Pattern, name: z.string().min(1) }).strict().optional(),
    /** The provider offers STARTTLS on every submission port: an EHLO without it was changed on the way. */
    always_offers_starttls: z.boolean(),
    /** What its EHLO answer usually looks like, for a reader comparing a capture. */
    ehlo_example: z.array(z.string()).optional(),
    auth_mechanisms: z.array(z.string()).optional(),
    /** How the provider wants the SMTP user name written, where it is not the address. */
    username: z.string().optional(),
    /** Added to the next step of a failed connect to this provider (another port it listens on). */
    connect_next_step: z.string().min(1).optional(),
    /** The `--provider` presets: one provider may have several (Gmail and Workspace share Google's servers). */
    presets: z.array(PresetSchema).min(1).optional(),
    source: z.string().min(1),
  })
  .strict();
export type ProviderData = z.infer<typeof ProviderSchema>;

export const ProvidersFileSchema = z
  .object({ schema: z.literal('smtp-probe.providers/2'), providers: z.array(ProviderSchema).min(1) })
  .strict()
  .superRefine((f, ctx) => {
    const presets = f.providers.flatMap((p) => (p.presets ?? []).map((x) => x.id));
    if (new Set(presets).size !== presets.length) ctx.addIssue({ code: 'custom', path: ['providers'], message: 'duplicate preset id' });
    const ids = f.providers.map((p) => p.id);
    if (ids.includes('generic')) ctx.addIssue({ code: 'custom', path: ['providers'], message: '"generic" is what an unknown provider is called; no entry may take it' });
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', path: ['providers'], message: 'duplicate provider id' });
  });

export const InterceptorsFileSchema = z
  .object({
    schema: z.literal('smtp-probe.interceptors/1'),
    /** Matched case-insensitively against every issuer and subject of a served chain. */
    products: z.array(z.object({ product: z.string().min(1), issuer: Pattern, source: z.string().min(1).optional() }).strict()).min(1),
  })
  .strict();
export type ProvidersFile = z.infer<typeof ProvidersFileSchema>;
export type InterceptorsFile = z.infer<typeof InterceptorsFileSchema>;

/** A client-error rule: a line a mail library prints, and the hint (hints.ts) that explains it. */
export const ClientRuleSchema = z
  .object({
    id: Id,
    library: Id,
    /** The highest-priority rule whose pattern matches the load-bearing line wins. */
    priority: z.number().int().min(0).max(1000),
    /** Literal words with at most bounded alternations: a hostile line costs one linear scan. */
    pattern: Pattern,
    case_insensitive: z.literal(true).optional(),
    hint: Id,
    /** Where the library changes the hint's text (Java's own cacerts, .NET's Schannel). */
    summary: z.string().min(1).optional(),
    next_step: z.string().min(1).optional(),
    /** The exception carries the server's reply: read it with the reply rules at this stage ('any': the exception does not say). */
    reply_stage: z.enum([...RULE_STAGES, 'any']).optional(),
    /** A certificate-trust failure: an inspection product named in the text makes it `proxy`. */
    trust: z.literal(true).optional(),
    /** Where the exact text is documented, or "observed text: " and the client that printed it. */
    source: z.string().regex(/^(?:https:\/\/|observed text: )/, 'a URL, or "observed text: " and the client'),
  })
  .strict();

export const ClientErrorsFileSchema = z
  .object({
    schema: z.literal('smtp-probe.client-errors/1'),
    libraries: z.array(Id).min(1),
    /** Which library printed a trace, from its class and module names, when no rule names it. */
    signatures: z.array(z.object({ library: Id, pattern: Pattern, multiline: z.literal(true).optional() }).strict()),
    rules: z.array(ClientRuleSchema).min(1),
  })
  .strict()
  .superRefine((f, ctx) => {
    const libs = new Set(f.libraries);
    const ids = new Set<string>();
    f.rules.forEach((r, i) => {
      if (ids.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id ${r.id}` });
      ids.add(r.id);
      if (!libs.has(r.library)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'library'], message: `unknown library ${r.library}` });
    });
    f.signatures.forEach((s, i) => {
      if (!libs.has(s.library)) ctx.addIssue({ code: 'custom', path: ['signatures', i, 'library'], message: `unknown library ${s.library}` });
    });
  });
export type ClientErrorsFile = z.infer<typeof ClientErrorsFileSchema>;

const Thresholds = z.object({ slow: z.number().int().positive(), tarpit: z.number().int().positive() }).strict().refine((t) => t.slow <= t.tarpit, 'slow must not exceed tarpit');

/** data/esmtp-timing.json: when a reply is slow or a tarpit, and how greylisting says so. */
export const EsmtpTimingFileSchema = z
  .object({
    schema: z.literal('smtp-probe.esmtp-timing/1'),
    sources: z.record(z.string(), SourceSchema),
    latency: z.object({ source: z.string(), note: z.string().optional(), banner_ms: Thresholds, command_ms: Thresholds }).strict(),
    greylisting: z
      .object({
        source: z.string(),
        codes: z.array(CodePattern).min(1),
        enhanced: z.array(EnhancedPattern).min(1),
        text: Pattern,
        // Each with two groups: the number and its unit.
        delay_patterns: z.array(Pattern).min(1),
        delay_note: z.string().optional(),
        default_delay_s: z.number().int().positive(),
        max_wait_s: z.number().int().positive(),
      })
      .strict(),
  })
  .strict()
  .superRefine((f, ctx) => {
    for (const k of ['latency', 'greylisting'] as const) if (!f.sources[f[k].source]) ctx.addIssue({ code: 'custom', path: [k, 'source'], message: `unknown source ${f[k].source}` });
  });
export type EsmtpTimingFile = z.infer<typeof EsmtpTimingFileSchema>;

/** data/findings.json: a short label and the usual next step per finding id (the fleet report groups runners by them). */
export const FindingsFileSchema = z
  .object({
    schema: z.literal('smtp-probe.findings/1'),
    note: z.string().optional(),
    findings: z.record(z.string().regex(/^[a-z0-9-]+$/), z.object({ label: z.string().min(1), next_step: z.string().min(1) }).strict()),
  })
  .strict();
export type FindingsFile = z.infer<typeof FindingsFileSchema>;

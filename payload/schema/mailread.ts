// mailread_summary.json: what `smtp-probe imap|pop3` found. Its own versioned schema, not
// fields of probe_summary.json: the SMTP summary's attempts are SMTP dialogues through and
// through (EHLO, extensions, NOOP), and optional IMAP fields there would be a second shape
// of the same record. The TLS facts reuse the probe's TlsResult schema: one source for them.
import { z } from 'zod';
import { CLASSES } from '../classify/classes.js';
import { ErrorInfoSchema, TlsResultSchema } from './summary.js';

export const MAILREAD_SCHEMA_VERSION = 1;

const StepSchema = z.object({
  /** What was sent, as the transcript shows it (credentials withheld). */
  command: z.string().nullable(),
  /** The server's lines for it, the tagged / +OK / -ERR line last. */
  lines: z.array(z.string()),
  /** OK / NO / BAD (IMAP), +OK / -ERR (POP3), or null when no final line came. */
  status: z.string().nullable(),
  ms: z.number().nullable(),
});

export const MailreadAttemptSchema = z.object({
  address: z.string(),
  port: z.number().int(),
  mode: z.enum(['starttls', 'implicit', 'plain']),
  started_at: z.string(),
  duration_ms: z.number(),
  tcp: z.object({ ok: z.boolean(), connect_ms: z.number().nullable(), error: ErrorInfoSchema.nullable() }),
  tls: TlsResultSchema.nullable(),
  greeting: StepSchema.nullable(),
  capabilities_before_tls: z.array(z.string()),
  capabilities: z.array(z.string()),
  steps: z.record(z.string(), StepSchema),
  login: z
    .object({
      method: z.string(),
      status: z.enum(['ok', 'refused', 'not-tried']),
      why_not: z.string().nullable(),
    })
    .nullable(),
  failed_stage: z.enum(['connect', 'tls', 'greeting', 'capability', 'starttls', 'login']).nullable(),
  classification: z.object({
    class: z.enum(CLASSES),
    rule: z.string().nullable(),
    summary: z.string(),
    evidence: z.string(),
    next_step: z.string(),
    source: z.string().nullable(),
  }),
  transcript_file: z.string(),
});

export const MailreadSummarySchema = z.object({
  schema: z.literal('smtp-probe/mailread-summary'),
  schema_version: z.literal(MAILREAD_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('smtp-probe'), version: z.string() }),
  protocol: z.enum(['imap', 'pop3']),
  run: z.object({ id: z.string(), started_at: z.string(), finished_at: z.string(), duration_ms: z.number() }),
  settings: z.object({
    host: z.string(),
    ports: z.array(z.object({ port: z.number().int(), mode: z.enum(['starttls', 'implicit', 'plain']) })),
    sni: z.string().nullable(),
    login: z.boolean(),
    user: z.string().nullable(),
    mechanism: z.string().nullable(),
    /** Where the secret came from (env NAME, file PATH, stdin, prompt): never the secret. */
    secret_from: z.string().nullable(),
  }),
  addresses: z.array(z.string()),
  dns_error: z.string().nullable(),
  attempts: z.array(MailreadAttemptSchema),
  verdict: z.object({
    class: z.enum(CLASSES),
    summary: z.string(),
    evidence: z.string(),
    next_step: z.string(),
    exit_code: z.number().int(),
  }),
  files: z.array(z.string()),
});

export type MailreadStep = z.infer<typeof StepSchema>;
export type MailreadAttempt = z.infer<typeof MailreadAttemptSchema>;
export type MailreadSummary = z.infer<typeof MailreadSummarySchema>;

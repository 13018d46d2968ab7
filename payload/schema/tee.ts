// tee_summary.json: the record of a `smtp-probe tee` run. Its own schema (not
// probe_summary.json) because a tee run has no DNS sweep or probe settings, and has what
// a probe does not: two TLS legs, the bot's commands with timings, and message facts.
// Each session extends the probe's Attempt, so the upstream leg reads like a probe
// attempt (same tls/smtp/classification fields) for tools that already read attempts.
import { z } from 'zod';
import { AttemptSchema, ErrorInfoSchema, ProbeSummarySchema } from './summary.js';

export const TEE_SCHEMA_VERSION = 1 as const;

const Iso = z.string().describe('ISO 8601 timestamp, UTC');
const Ms = z.number().nonnegative().describe('milliseconds, rounded to 0.01 when written');
const Count = z.number().int().nonnegative();
export const BotTlsModeSchema = z.enum(['none', 'starttls', 'implicit']);

export const BotTlsSchema = z.object({
  after: z.enum(['connect', 'starttls']),
  handshake_ms: Ms.nullable(),
  protocol: z.string().nullable(),
  cipher: z.string().nullable(),
  sni: z.string().nullable().describe('the server name the bot asked for'),
  error: ErrorInfoSchema.nullable(),
});
export type BotTls = z.infer<typeof BotTlsSchema>;

export const TeeCommandSchema = z.object({
  verb: z.string().describe('the command verb only (AUTH with its mechanism); never arguments that could hold secrets'),
  at: Iso,
  answered_by: z.enum(['upstream', 'tee']).describe('tee: the tee answered itself (the bot leg STARTTLS, refusals, limits)'),
  code: z.number().int().nullable(),
  upstream_ms: Ms.nullable().describe('from relaying the command to the upstream reply'),
  total_ms: Ms.describe('from the bot\'s command to the reply written back to it'),
});
export type TeeCommand = z.infer<typeof TeeCommandSchema>;

export const AttachmentFactsSchema = z.object({
  name: z.string().nullable(),
  type: z.string(),
  transfer_encoding: z.string().nullable(),
  encoded_bytes: Count,
  bytes: Count.describe('estimated decoded size'),
});

export const MessageFactsSchema = z.object({
  bytes: Count,
  lines: Count,
  header_names: z.array(z.string()).describe('names of the top-level header fields; never their values'),
  attachments: z.array(AttachmentFactsSchema),
  parts: Count,
  max_depth: Count,
  notes: z.array(z.string()).describe('what could not be read to the end (limits, malformed MIME)'),
  relayed: z.boolean().describe('false when the tee stopped it (--max-message-bytes)'),
  reply_code: z.number().int().nullable().describe('the final answer to the message'),
});
export type MessageFactsRecord = z.infer<typeof MessageFactsSchema>;

export const TeeSessionSchema = AttemptSchema.extend({
  bot: z.object({
    address: z.string(),
    port: z.number().int(),
    tls_mode: BotTlsModeSchema,
    tls: BotTlsSchema.nullable(),
    ehlo_name: z.string().nullable(),
  }),
  upstream_host: z.string(),
  ended_by: z.enum(['quit', 'bot-closed', 'idle-timeout', 'upstream-closed', 'upstream-failed', 'bot-tls-failed', 'line-too-long', 'message-too-large', 'tee-stopped']),
  commands: z.array(TeeCommandSchema),
  commands_not_listed: Count,
  messages: z.array(MessageFactsSchema),
  notes: z.array(z.string()).describe('what the tee changed or decided in this session (EHLO rewrites, refusals)'),
});
export type TeeSession = z.infer<typeof TeeSessionSchema>;

export const TeeSummarySchema = z.object({
  schema: z.literal('smtp-probe/tee-summary'),
  schema_version: z.literal(TEE_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('smtp-probe'), version: z.string() }),
  run: z.object({ id: z.string(), command: z.literal('tee'), started_at: Iso, finished_at: Iso, duration_ms: Ms, ended_by: z.enum(['signal', 'duration']) }),
  settings: z.object({
    listen: z.string(),
    upstream: z.string(),
    upstream_tls: z.enum(['starttls', 'implicit', 'none']),
    bot_tls: BotTlsModeSchema,
    sni: z.string().nullable(),
    ca_files: z.array(z.string()),
    max_sessions: z.number().int().positive(),
    max_message_bytes: z.number().int().positive(),
    idle_timeout_ms: Ms,
    duration_ms: Ms.nullable(),
    allow_remote: z.boolean(),
  }),
  certificate: z.object({
    ca_file: z.string(),
    ca_sha256: z.string(),
    cert_sha256: z.string(),
    names: z.array(z.string()),
    valid_to: Iso,
  }),
  sessions: z.array(TeeSessionSchema),
  sessions_refused: Count.describe('connections turned away at --max-sessions'),
  sessions_not_recorded: Count.describe('sessions relayed after the record cap was reached'),
  sweep: ProbeSummarySchema.shape.sweep,
  verdict: ProbeSummarySchema.shape.verdict,
  files: z.array(z.string()),
});
export type TeeSummary = z.infer<typeof TeeSummarySchema>;

// health_summary.json: the record of `smtp-probe health`, one probe per provider endpoint.
// Its own schema: a health run has many hosts and a verdict about the network, not one
// host's sweep.
import { z } from 'zod';
import { ModeSchema } from './summary.js';

export const HEALTH_SCHEMA_VERSION = 1 as const;

const Iso = z.string().describe('ISO 8601 timestamp, UTC');
const Ms = z.number().nonnegative().describe('milliseconds, rounded to 0.01 when written');

export const HEALTH_VERDICTS = ['ok', 'port-block', 'egress-block', 'dns-failure', 'provider-problem'] as const;

/** How a connect failed, in the words health uses: a drop (SYN timeout) and a refusal (RST) point at different things. */
export const ConnectFailureSchema = z.enum(['dropped', 'refused', 'reset', 'unreachable', 'blocked', 'other']);
export type ConnectFailure = z.infer<typeof ConnectFailureSchema>;

export const HealthEndpointSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  mode: ModeSchema,
  class: z.string().describe('the probe verdict class of this endpoint'),
  hint_id: z.string(),
  failed_stage: z.enum(['dns', 'connect', 'tls', 'smtp', 'auth']).nullable(),
  outcome: z.string().describe('in words: ok, connect refused, connect timeout, or the hint'),
  evidence: z.string(),
  next_step: z.string(),
  connect_failure: ConnectFailureSchema.optional()
    .describe('how the connect failed: dropped (no answer to the SYN within the connect timeout: a firewall that drops), refused (a TCP reset answered: something is there and said no)'),
  addresses: z.array(z.string()),
  duration_ms: Ms,
});

export const HealthProviderSchema = z.object({
  id: z.string().describe('the --provider preset'),
  name: z.string(),
  status: z.enum(['ok', 'partial', 'failed']),
  /** What went wrong, when something did: the network on the way, or the provider itself. */
  finding: z.enum(['none', 'port-block', 'network', 'provider']),
  line: z.string().describe('the one line printed for this provider'),
  endpoints: z.array(HealthEndpointSchema),
});

export const HealthSummarySchema = z.object({
  schema: z.literal('smtp-probe/health-summary'),
  schema_version: z.literal(HEALTH_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('smtp-probe'), version: z.string() }),
  run: z.object({ id: z.string(), command: z.literal('health'), started_at: Iso, finished_at: Iso, duration_ms: Ms }),
  settings: z.object({
    providers: z.array(z.string()),
    region: z.string().nullable(),
    concurrency: z.number().int().positive(),
    timeouts_ms: z.object({ dns: Ms, connect: Ms, tls: Ms, smtp: Ms }),
    resolver: z.string().nullable(),
    family: z.enum(['4', '6', 'any']),
  }),
  providers: z.array(HealthProviderSchema),
  verdict: z.object({
    kind: z.enum(HEALTH_VERDICTS),
    exit_code: z.number().int(),
    summary: z.string(),
    next_step: z.string(),
    blocked_ports: z.array(z.number().int()).describe('ports that fail at connect here while another port of the same provider works'),
    blocked_how: z
      .array(z.object({ port: z.number().int(), how: ConnectFailureSchema }))
      .optional()
      .describe('for each blocked port, how its connects failed (one entry per port and way)'),
  }),
  files: z.array(z.string()),
});
export type HealthSummary = z.infer<typeof HealthSummarySchema>;
export type HealthProvider = z.infer<typeof HealthProviderSchema>;
export type HealthEndpoint = z.infer<typeof HealthEndpointSchema>;

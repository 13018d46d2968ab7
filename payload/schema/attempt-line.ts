// `smtp-probe probe --jsonl`: one JSON object per attempt, one per line, for pipelines and
// log shippers. Field names are stable within a schema_version; new optional fields may be
// added, a rename or removal bumps the version.
import { z } from 'zod';
import { FailureClassSchema, ModeSchema, StageSchema } from './summary.js';

import { ATTEMPT_LINE_SCHEMA_VERSION } from './constants.js';
export { ATTEMPT_LINE_SCHEMA_VERSION };

const Ms = z.number().nonnegative().describe('milliseconds, rounded to 0.01 when written');

export const AttemptLineSchema = z.object({
  schema: z.literal('smtp-probe/attempt'),
  schema_version: z.literal(ATTEMPT_LINE_SCHEMA_VERSION),
  run_id: z.string().describe('the run folder name, smtp-probe-YYYYMMDD_HHMMSS'),
  tool_version: z.string(),
  machine: z.string().describe('host name of the machine that probed'),
  host: z.string().describe('the SMTP host probed (--host)'),
  attempt_id: z.string().nullable().describe('null on the one line of a run that resolved no address'),
  round: z.number().int().positive().nullable(),
  address: z.string().nullable().describe('the address connected to (a name when a proxy resolved it); null: no address was resolved'),
  port: z.number().int().nullable(),
  mode: ModeSchema.nullable(),
  path: z.enum(['direct', 'proxy']),
  via: z.string().nullable().describe('the proxy, kind://[user@]host:port; never a password'),
  started_at: z.string().describe('ISO 8601, UTC'),
  duration_ms: Ms,
  ok: z.boolean(),
  class: FailureClassSchema,
  hint_id: z.string(),
  summary: z.string(),
  evidence: z.string().describe('the line the classification rests on'),
  next_step: z.string(),
  failed_stage: StageSchema.nullable(),
  connect_ms: Ms.nullable(),
  tls_ms: Ms.nullable(),
  tls_protocol: z.string().nullable(),
  tls_verified: z.boolean().nullable(),
  egress_ip: z.string().nullable().describe('the client address the server saw, from its EHLO greeting'),
  transcript_file: z.string().nullable(),
});
export type AttemptLine = z.infer<typeof AttemptLineSchema>;

import { z } from 'zod';
import { DnsResolutionSchema, EnvSnapshotSchema, ProbeSummarySchema } from './summary.js';

const SCHEMAS = { probe_summary: ProbeSummarySchema, dns_resolution: DnsResolutionSchema, env_snapshot: EnvSnapshotSchema };

export function jsonSchemaOf(file: string): unknown {
  const schema = SCHEMAS[file as keyof typeof SCHEMAS];
  return { $id: `https://smtp-probe.invalid/schema/${file}.json`, ...z.toJSONSchema(schema, { target: 'draft-2020-12' }) };
}

import { z } from 'zod';
import { DIAGNOSE_SCHEMAS } from './diagnose.js';
import { DnsResolutionSchema, EnvSnapshotSchema, ProbeSummarySchema } from './summary.js';
import { MailreadSummarySchema } from './mailread.js';
import { TeeSummarySchema } from './tee.js';
import { HealthSummarySchema } from './health.js';
import { SenderAuditSchema } from './sender.js';

const SCHEMAS = { probe_summary: ProbeSummarySchema, dns_resolution: DnsResolutionSchema, env_snapshot: EnvSnapshotSchema, tee_summary: TeeSummarySchema, health_summary: HealthSummarySchema, mailread_summary: MailreadSummarySchema, sender_audit: SenderAuditSchema, ...DIAGNOSE_SCHEMAS };

export function jsonSchemaOf(file: string): unknown {
  const schema = SCHEMAS[file as keyof typeof SCHEMAS];
  return { $id: `https://smtp-probe.invalid/schema/${file}.json`, ...z.toJSONSchema(schema, { target: 'draft-2020-12' }) };
}

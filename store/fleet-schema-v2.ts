// sweep.json of version 2, frozen: the resolved targets inline. Read by fleet-migrate.ts and
// converted to version 3 (sweep.json plus targets.jsonl); never written any more. Host results
// and fleet summaries are still at version 2 and live in fleet-schema.ts.
import { z } from 'zod';
import { ResolvedHostSchema } from '../inventory/schema.js';
import { SelectionSchema } from '../inventory/select.js';

const Iso = z.string().describe('ISO 8601 timestamp, UTC');

export const SweepMetaV2Schema = z.object({
  schema: z.literal('smtp-fleet/sweep'),
  schema_version: z.literal(2),
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be letters, digits, ".", "_" or "-"'),
  created: Iso,
  kind: z.enum(['sweep', 'reprobe', 'scheduled']),
  selection: SelectionSchema,
  hosts: z.array(z.string()),
  targets: z.array(ResolvedHostSchema).default([]),
  options: z.object({
    auth_test: z.boolean().default(false),
    auth_max_per_account: z.number().int().positive().nullable().default(null),
    inventory: z.string().nullable().default(null),
    concurrency: z.number().int().positive().nullable().default(null),
    payload_version: z.string().nullable().default(null),
    deadline: Iso.nullable().default(null),
  }),
});
export type SweepMetaV2 = z.infer<typeof SweepMetaV2Schema>;

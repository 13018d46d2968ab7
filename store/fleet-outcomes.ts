// The previous sweep as "changed since" reads it: its id, time and each runner's outcome, read
// from its fleet_summary.json as a stream. A summary of 10,000 runners is 6.6 MB of JSON whose
// rows, parsed whole, were the largest thing a nightly report held; here a row is checked and
// cut down to two fields as it is read, and the rest of the file is never built.
import { createReadStream } from 'node:fs';
import { JSONParser } from '@streamparser/json';
import { z } from 'zod';
import { errorCode } from '../payload/util/errors.js';
import { FLEET_SCHEMA_VERSION, FleetSummarySchema, HostRowSchema } from './fleet-schema.js';

/** What the diff reads of a previous summary (a FleetSummary is one). */
export interface PreviousOutcomes {
  sweep: { id: string; created: string };
  hosts: ReadonlyArray<{ name: string; outcome: string }>;
}

const HeadSchema = FleetSummarySchema.pick({ schema: true, schema_version: true, sweep: true });
const OutcomeSchema = HostRowSchema.pick({ name: true, outcome: true });

export type OutcomesRead = { ok: true; value: PreviousOutcomes } | { ok: false; reason: 'missing' | 'other-version' | string };

/**
 * The outcomes in `file`, a fleet_summary.json of the current version; `other-version` for a
 * file of another (the caller reads it whole, through its migration), `missing` when absent,
 * else the first problem found, as one line.
 */
export async function readFleetOutcomes(file: string): Promise<OutcomesRead> {
  const head: Record<string, unknown> = {};
  const hosts: Array<{ name: string; outcome: string }> = [];
  let problem: string | null = null;
  const parser = new JSONParser({ paths: ['$.schema', '$.schema_version', '$.sweep', '$.hosts.*'], keepStack: false });
  parser.onValue = ({ value, key, stack }) => {
    key ??= '';
    if (problem) return;
    if (stack.length === 1) {
      head[String(key)] = value;
      // The version comes second: a file of another version is left to the whole read.
      if (key === 'schema_version' && value !== FLEET_SCHEMA_VERSION) problem = 'other-version';
      return;
    }
    const row = OutcomeSchema.safeParse(value);
    if (!row.success) problem = issue(row.error, ['hosts', key]);
    else hosts.push({ name: row.data.name, outcome: row.data.outcome });
  };
  const input = createReadStream(file);
  try {
    for await (const chunk of input) {
      parser.write(chunk as Buffer);
      if (problem) break;
    }
    // The parser ends by itself after one whole value; a file cut short is not ended.
    if (!problem && !parser.isEnded) parser.end();
  } catch (err) {
    input.destroy();
    if (errorCode(err) === 'ENOENT') return { ok: false, reason: 'missing' };
    return { ok: false, reason: errorCode(err) ? `cannot read it: ${errorCode(err)}` : 'not valid JSON' };
  }
  input.destroy();
  if (problem) return { ok: false, reason: problem };
  const h = HeadSchema.safeParse(head);
  if (!h.success) return { ok: false, reason: issue(h.error) };
  return { ok: true, value: { sweep: { id: h.data.sweep.id, created: h.data.sweep.created }, hosts } };
}

function issue(e: z.ZodError, at: PropertyKey[] = []): string {
  const i = e.issues[0]!;
  return `${[...at, ...i.path].map(String).join('.') || '(root)'}: ${i.message}`;
}

// What the history index reads from a sweep (its id, time and the runners' addresses), apart,
// so a caller that has the sweep read already (the report) hands it over without loading the
// index's native module to do so.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepMeta } from './fleet-schema.js';
import type { IndexedResult } from './indexed-result.js';
import { TargetLineSchema } from './fleet-schema.js';
import { parseStoredSweepFile } from './fleet-migrate.js';
import { SWEEP_FILE, TARGETS_FILE, parseTargetLine } from './sweep-files.js';

export interface KnownSweep {
  id: string;
  created: string;
  /** Host name to address, from the sweep's targets. */
  addresses: ReadonlyMap<string, string>;
  /**
   * The sweep's rows, when the caller has read its host results (the report), with the
   * sweep's stamp (sweepStamp) taken before it read them.
   */
  results?: { stamp: string; rows: readonly IndexedResult[] };
}

export const knownSweep = (m: SweepMeta): KnownSweep => ({ id: m.id, created: m.created, addresses: new Map(m.targets.map((h) => [h.name, h.address])) });

/**
 * The sweep in folder `dir` named `name`, read synchronously (the index reads between two
 * transactions): null when its sweep.json or targets.jsonl is unreadable, invalid or names
 * another sweep (what the index records as "not a sweep" until the folder changes).
 */
export function knownSweepAt(dir: string, name: string): KnownSweep | null {
  let parsed: ReturnType<typeof parseStoredSweepFile>;
  try {
    parsed = parseStoredSweepFile(JSON.parse(readFileSync(join(dir, SWEEP_FILE), 'utf8')));
  } catch {
    return null;
  }
  if (!parsed.success || parsed.data.head.id !== name) return null;
  const { head, targets } = parsed.data;
  if (targets) return { id: head.id, created: head.created, addresses: new Map(targets.map((h) => [h.name, h.address])) };
  const addresses = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(join(dir, TARGETS_FILE), 'utf8');
  } catch {
    return null;
  }
  for (const [i, line] of text.split('\n').entries()) {
    const t = parseTargetLine(line, i + 1, TargetLineSchema);
    if (!t.ok) return null;
    if (t.value) addresses.set(t.value.name, t.value.address);
  }
  return { id: head.id, created: head.created, addresses };
}

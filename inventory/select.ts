// Which hosts a command acts on: `--host`, `--group`, `--tag` and `--limit`, combinable.
//
// Semantics (result in inventory order):
//   picked   = every host named with --host                      (always included)
//   pool     = members of any --group given (union), else all hosts
//   filtered = hosts of pool carrying EVERY --tag given          (tags narrow, groups widen)
//   result   = picked ∪ filtered, where filtered is left out when only --host was given
//   --limit N keeps the first N of result.
// No selector at all selects every host. Unknown names are errors naming the closest match.
import { z } from 'zod';
import type { Inventory } from './load.js';
import { unknownName } from './names.js';
import type { ResolvedHost } from './schema.js';
import { SmtpProbeError } from '../payload/util/errors.js';

export interface Selection {
  hosts?: string[];
  tags?: string[];
  groups?: string[];
  /** null or undefined: no limit. */
  limit?: number | null;
}

/** A selection as stored with a sweep or a schedule. */
export const SelectionSchema = z.object({
  hosts: z.array(z.string()).default([]),
  tags: z.array(z.string()).default([]),
  groups: z.array(z.string()).default([]),
  limit: z.number().int().positive().nullable().default(null),
});

export class SelectionError extends SmtpProbeError {
  override name = 'SelectionError';
  constructor(message: string) {
    super('selection', message, 'usage');
  }
}

export function selectHosts(inv: Inventory, sel: Selection): ResolvedHost[] {
  const names = inv.hosts.map((h) => h.name);
  const hosts = sel.hosts ?? [];
  const tags = sel.tags ?? [];
  const groups = sel.groups ?? [];
  for (const n of hosts) if (!names.includes(n)) throw new SelectionError(unknownName('host', n, names));
  for (const t of tags) if (!inv.tags.includes(t)) throw new SelectionError(unknownName('tag', t, inv.tags));
  for (const g of groups) if (!(g in inv.groups)) throw new SelectionError(unknownName('group', g, Object.keys(inv.groups)));
  if (sel.limit !== undefined && sel.limit !== null && !(Number.isInteger(sel.limit) && sel.limit > 0)) {
    throw new SelectionError(`invalid limit ${sel.limit}: expected a whole number above 0`);
  }

  const byFilter = groups.length > 0 || tags.length > 0 || hosts.length === 0;
  const pool = new Set(groups.length ? groups.flatMap((g) => inv.groups[g]!) : names);
  const chosen = inv.hosts.filter(
    (h) => hosts.includes(h.name) || (byFilter && pool.has(h.name) && tags.every((t) => h.tags.includes(t))),
  );
  return (sel.limit ? chosen.slice(0, sel.limit) : chosen).map((h) => structuredClone(h));
}

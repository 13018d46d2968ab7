// What the history index reads from a sweep.json, apart, so a caller that has the sweep read
// already (the report) hands it over without loading the index's native module to do so.
import type { SweepMeta } from './fleet-schema.js';

export interface KnownSweep {
  id: string;
  created: string;
  /** Host name to address, from the sweep's targets. */
  addresses: ReadonlyMap<string, string>;
}

export const knownSweep = (m: SweepMeta): KnownSweep => ({ id: m.id, created: m.created, addresses: new Map(m.targets.map((h) => [h.name, h.address])) });

// Starting a sweep: select hosts from the inventory, record the sweep in the store (with
// the resolved hosts, so the report can be made without the inventory), build its jobs.
import { loadInventory } from '../inventory/load.js';
import type { ResolvedHost } from '../inventory/schema.js';
import { selectHosts, type Selection } from '../inventory/select.js';
import { JOB_VERSION, type ProbeJob, type SweepOptions } from '../queue/jobs.js';
import { SWEEP_SCHEMA_VERSION, type SweepMeta } from '../store/fleet-schema.js';
import { newSweepId, type Store } from '../store/store.js';

export interface NewSweep {
  meta: SweepMeta;
  jobs: ProbeJob[];
}

export function jobsFor(sweepId: string, hosts: ResolvedHost[], options: SweepOptions): ProbeJob[] {
  return hosts.map((host) => ({ v: JOB_VERSION, sweep_id: sweepId, host, options }));
}

/** The hosts a selection picks from an inventory file: all the checking, none of the writing. */
export async function selectFrom(inventory: string, selection: Selection): Promise<ResolvedHost[]> {
  return selectHosts(await loadInventory(inventory), selection);
}

export async function createSweep(
  store: Store,
  args: { inventory: string; selection: Selection; options: SweepOptions; kind: SweepMeta['kind']; payloadVersion: string; concurrency?: number; hosts?: ResolvedHost[]; deadlineMs?: number },
): Promise<NewSweep> {
  const hosts = args.hosts ?? (await selectFrom(args.inventory, args.selection));
  const id = newSweepId();
  const created = new Date();
  // The deadline is a point in time from the sweep's start, carried by every job: workers and the controller agree on it.
  const deadline = args.deadlineMs === undefined ? null : new Date(created.getTime() + args.deadlineMs).toISOString();
  const options = { ...args.options, deadline };
  const meta = await store.createSweep({
    schema: 'smtp-fleet/sweep',
    schema_version: SWEEP_SCHEMA_VERSION,
    id,
    created: created.toISOString(),
    kind: args.kind,
    selection: { hosts: args.selection.hosts ?? [], tags: args.selection.tags ?? [], groups: args.selection.groups ?? [], limit: args.selection.limit ?? null },
    hosts: hosts.map((h) => h.name),
    targets: hosts,
    options: { auth_test: args.options.auth_test, auth_max_per_account: args.options.auth_test ? args.options.auth_max_per_account : null, inventory: args.inventory, payload_version: args.payloadVersion, concurrency: args.concurrency ?? null, deadline },
  });
  return { meta, jobs: jobsFor(id, hosts, options) };
}

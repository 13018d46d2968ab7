// The inventory of a simulated fleet: N hosts rpa-sim-0001.. all at the simulated runners'
// one address:port, each logging in under its own name (how lab/sim-runners.ts tells them
// apart), and the one known_hosts line that covers them all.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimRunners } from './sim-runners.js';

export function simRunnerName(i: number): string {
  return `rpa-sim-${String(i + 1).padStart(4, '0')}`;
}

export function writeSimInventory(o: { dir: string; n: number; sim: SimRunners; keyPath: string }): { inventory: string; knownHosts: string } {
  const knownHosts = join(o.dir, 'sim_known_hosts');
  writeFileSync(knownHosts, o.sim.knownHostsLine + '\n');
  const inventory = join(o.dir, 'sim_inventory.json');
  writeFileSync(
    inventory,
    JSON.stringify({
      version: 1,
      // What the runners are told to probe reaches them in the deploy command, which a simulated
      // runner does not read: it answers with the recorded run whatever it is asked.
      defaults: { os: 'linux', transport: 'ssh', auth: { key: o.keyPath }, ssh: { knownHosts }, probe: { server: '127.0.0.1', ports: ['25:starttls'] } },
      hosts: Array.from({ length: o.n }, (_, i) => ({ name: simRunnerName(i), address: o.sim.host, port: o.sim.port, user: simRunnerName(i), tags: ['sim'] })),
    }),
  );
  return { inventory, knownHosts };
}

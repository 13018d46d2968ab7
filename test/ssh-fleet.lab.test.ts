// The sshd lab at fleet size, as the sweep bench uses it: 50 instances started in parallel on
// their own loopback addresses, and the OpenSSH-client floor measured across all of them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sshFloor } from '../lab/ssh-floor.js';
import { tempDir } from './helpers.js';
import { makeKeyPair, startSshd, type LabSshd } from '../lab/sshd.js';

const N = 50;
let hosts: LabSshd[] = [];

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
});

describe('sshd lab at fleet size', () => {
  it(`starts ${N} sshd instances in parallel, each on its own address, and ssh reaches all of them`, async () => {
    const dir = tempDir('fleet-');
    const key = makeKeyPair(dir, 'client');
    // One host key shared by all: fine for timing, never for host key tests.
    const hostKey = makeKeyPair(dir, 'shared_host_key');
    const started = Date.now();
    hosts = await Promise.all(
      Array.from({ length: N }, (_, i) => startSshd({ dir, address: `127.0.3.${i + 1}`, authorizedKeys: [key.publicKey], hostKeyPath: hostKey.privateKeyPath })),
    );
    const startMs = Date.now() - started;
    expect(new Set(hosts.map((h) => h.address)).size).toBe(N);
    expect(startMs).toBeLessThan(15_000);

    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, hosts.map((h) => h.knownHostsLine).join('\n') + '\n');
    const floor = await sshFloor(hosts, key.privateKeyPath, knownHosts);
    expect(floor).toBeGreaterThan(0);
    console.log(`sshd lab: ${N} started in ${startMs} ms; ssh true to all ${N} in parallel: ${Math.round(floor)} ms`);

    // BatchMode with strict checking: a host missing from known_hosts fails the floor loudly.
    writeFileSync(knownHosts, hosts.slice(1).map((h) => h.knownHostsLine).join('\n') + '\n');
    await expect(sshFloor(hosts.slice(0, 2), key.privateKeyPath, knownHosts)).rejects.toThrow(/127\.0\.3\.1:.*failed/);
  });
});

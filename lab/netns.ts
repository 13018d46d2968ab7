// A network namespace of the test's own, joined to this one by a veth pair with a private
// /30 that exists only on that pair, and a firewall inside it (nftables) that the test sets:
// a real kernel dropping or rejecting SYNs, which is what a firewall blocking 587/465 does,
// unlike a closed loopback port (always an RST). Needs root, iproute2 and nftables.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LabNetns {
  name: string;
  /** This namespace's end of the veth pair. */
  hostAddress: string;
  /** The address inside the namespace, where its services listen. */
  address: string;
  /** The command prefix that runs a program inside the namespace. */
  exec: string[];
  /** Replaces the namespace's firewall: `tcp dport 465 drop`-style rules for the input chain. */
  firewall(rules: string[]): void;
  close(): void;
}

export function netnsAvailable(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/sbin/ip') && existsSync('/usr/sbin/nft');
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * `dir` holds the ruleset files. The /30 is 10.218.N.0 with N from the pid, so parallel
 * runs of other test files (or other checkouts) pick different ones.
 */
export function startNetns(dir: string): LabNetns {
  const id = process.pid % 65_000;
  const name = `smtp-probe-${id}`;
  // Interface names are at most 15 characters.
  const [outer, inner] = [`spo${id}`, `spi${id}`];
  const net = `10.218.${id % 250}`;
  const [hostAddress, address] = [`${net}.1`, `${net}.2`];
  const close = () => {
    for (const args of [['netns', 'del', name], ['link', 'del', outer]])
      try {
        ip(...args);
      } catch {
        /* not there */
      }
  };
  close();
  try {
    ip('netns', 'add', name);
    ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
    ip('link', 'set', inner, 'netns', name);
    ip('addr', 'add', `${hostAddress}/30`, 'dev', outer);
    ip('link', 'set', outer, 'up');
    ip('-n', name, 'addr', 'add', `${address}/30`, 'dev', inner);
    ip('-n', name, 'link', 'set', inner, 'up');
    ip('-n', name, 'link', 'set', 'lo', 'up');
  } catch (err) {
    close();
    throw new Error(`lab: could not set up network namespace ${name}: ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? String(err)}`);
  }
  const exec = ['ip', 'netns', 'exec', name];
  let n = 0;
  return {
    name,
    hostAddress,
    address,
    exec,
    firewall(rules) {
      const file = join(dir, `nft-${++n}.conf`);
      writeFileSync(file, `flush ruleset\ntable inet smtp_probe_lab {\n  chain input {\n    type filter hook input priority 0; policy accept;\n${rules.map((r) => `    ${r}\n`).join('')}  }\n}\n`);
      execFileSync(exec[0]!, [...exec.slice(1), 'nft', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    },
    close,
  };
}

// Debian's dnsmasq as a real DNS server for the sender-domain tests: TXT, MX, A and any other
// type (TLSA) from its own config file, on a loopback address and a free port, nothing
// forwarded (--no-resolv, --no-hosts; the test's zones are --local, so other names are NXDOMAIN).
// dnsmasq does not sign or validate its own data: its answers never carry the AD bit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { freePort } from './ports.js';
import { stopChild } from './stop-child.js';

export interface DnsmasqZone {
  /** Zones answered NXDOMAIN for names not listed (else dnsmasq REFUSES them). */
  local: string[];
  txt?: Array<[name: string, text: string]>;
  mx?: Array<[domain: string, exchange: string, preference: number]>;
  a?: Array<[name: string, address: string]>;
  tlsa?: Array<[name: string, usage: number, selector: number, matchingType: number, hex: string]>;
}

export interface LabDnsmasq {
  address: string;
  port: number;
  spec: string;
  stop(): Promise<void>;
}

export function dnsmasqAvailable(): boolean {
  return spawnSync('dnsmasq', ['--version'], { stdio: 'ignore' }).status === 0;
}

function config(z: DnsmasqZone, address: string, port: number): string {
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return [
    'no-resolv',
    'no-hosts',
    'bind-interfaces',
    `listen-address=${address}`,
    `port=${port}`,
    ...z.local.map((d) => `local=/${d}/`),
    ...(z.txt ?? []).map(([n, t]) => `txt-record=${n},${q(t)}`),
    ...(z.mx ?? []).map(([d, x, p]) => `mx-host=${d},${x},${p}`),
    ...(z.a ?? []).map(([n, a]) => `host-record=${n},${a}`),
    // TLSA is type 52; its RDATA is usage, selector, matching type, then the association data.
    ...(z.tlsa ?? []).map(([n, u, s, m, hex]) => `dns-rr=${n},52,${[u, s, m].map((x) => x.toString(16).padStart(2, '0')).join('')}${hex}`),
    '',
  ].join('\n');
}

/** One query until dnsmasq answers: it forks nothing in the foreground but needs a moment to bind. */
async function answers(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => (sock.close(), resolve(false)), 200);
    sock.on('message', () => (clearTimeout(timer), sock.close(), resolve(true)));
    sock.on('error', () => (clearTimeout(timer), sock.close(), resolve(false)));
    sock.send(dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'ready.invalid' }] }), port, address);
  });
}

export async function startDnsmasq(dir: string, zone: DnsmasqZone, address: string): Promise<LabDnsmasq> {
  const port = await freePort([address]);
  const file = join(dir, `dnsmasq-${port}.conf`);
  writeFileSync(file, config(zone, address, port));
  const child: ChildProcess = spawn('dnsmasq', ['--keep-in-foreground', `--conf-file=${file}`, '--pid-file=', '--user=root', '--log-facility=-'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const until = Date.now() + 5000;
  while (!(await answers(address, port))) {
    if (child.exitCode !== null || Date.now() > until) {
      child.kill();
      throw new Error(`lab: dnsmasq did not start on ${address}:${port}: ${stderr.trim().split('\n').pop() ?? ''}`);
    }
  }
  return {
    address,
    port,
    spec: `${address}:${port}`,
    stop: () => stopChild(child),
  };
}

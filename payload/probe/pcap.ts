// --pcap: a packet capture of the probe's own connections, for the ticket. The filter is
// built from the resolved addresses and the probed ports, so nothing else the machine
// does lands in the file. A missing tool or missing rights is a line in the report,
// never a failed probe.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pcap } from '../schema/tls-matrix.js';
import { ipFamily } from '../util/ip-family.js';

export const PCAP_FILE = 'capture.pcap';
/** Bounds: packets, bytes (tcpdump -C rotates, so it is checked by -c and the size cap on read), time. */
export const PCAP_LIMITS = { packets: 20_000, max_bytes: 20 * 1024 * 1024, max_ms: 10 * 60_000, snaplen: 512 };

export interface Endpoint {
  address: string;
  port: number;
}

/** `(host A and tcp port P) or ...`: one clause per address and port the probe connects to. */
export function captureFilter(endpoints: readonly Endpoint[]): string {
  const seen = new Set<string>();
  const clauses: string[] = [];
  for (const e of endpoints) {
    if (!ipFamily(e.address)) continue;
    const c = `(host ${e.address} and tcp port ${e.port})`;
    if (seen.has(c)) continue;
    seen.add(c);
    clauses.push(c);
  }
  return clauses.join(' or ');
}

function onPath(tool: string): string | null {
  const dirs = (process.env.PATH ?? '').split(process.platform === 'win32' ? ';' : ':');
  // Wireshark's installer does not put dumpcap on PATH.
  if (process.platform === 'win32') dirs.push('C:\\Program Files\\Wireshark');
  for (const d of dirs) {
    const p = join(d, process.platform === 'win32' ? `${tool}.exe` : tool);
    if (d && existsSync(p)) return p;
  }
  return null;
}

export interface Capture {
  /** Ends the capture, waits for the file to be flushed, reads it. */
  stop(): Promise<{ record: Pcap; data: Buffer | null }>;
}

const none = (message: string, extra: Partial<Pcap> = {}): Capture => ({
  stop: async () => ({ record: { file: null, tool: null, filter: null, interface: null, packets: null, message, ...extra }, data: null }),
});

/**
 * Starts tcpdump (dumpcap on Windows) and resolves once it is listening, so the first
 * SYN is in the file. Loopback targets are captured on `lo`, others on `any` (Linux).
 */
export async function startCapture(endpoints: readonly Endpoint[]): Promise<Capture> {
  const filter = captureFilter(endpoints);
  if (!filter) return none('no capture: no resolved address to filter on (the proxy resolves the name)');
  const win = process.platform === 'win32';
  const tool = onPath(win ? 'dumpcap' : 'tcpdump');
  if (!tool) return none(win ? 'no capture: dumpcap (Wireshark) is not installed on this machine' : 'no capture: tcpdump is not installed on this machine (apt-get install tcpdump)', { filter });
  const loopbackOnly = endpoints.every((e) => /^127\.|^::1$/.test(e.address));
  const iface = win ? '1' : loopbackOnly ? 'lo' : 'any';
  const file = join(tmpdir(), `smtp-probe-${process.pid}-${Date.now()}.pcap`);
  const args = win
    ? ['-i', iface, '-f', filter, '-c', String(PCAP_LIMITS.packets), '-a', `duration:${PCAP_LIMITS.max_ms / 1000}`, '-a', `filesize:${PCAP_LIMITS.max_bytes / 1024}`, '-s', String(PCAP_LIMITS.snaplen), '-F', 'pcap', '-w', file]
    : ['-i', iface, '-n', '-U', '--immediate-mode', '-s', String(PCAP_LIMITS.snaplen), '-c', String(PCAP_LIMITS.packets), '-w', file, filter];
  const child: ChildProcess = spawn(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const ready = await new Promise<string | null>((resolve) => {
    const t = setTimeout(() => resolve('did not start listening within 5 s'), 5000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
      if (!/listening on|Capturing on/i.test(stderr)) return;
      clearTimeout(t);
      resolve(null);
    });
    child.once('error', (e) => (clearTimeout(t), resolve(e.message)));
    child.once('exit', () => (clearTimeout(t), resolve(firstLine(stderr) || 'exited at once')));
  });
  const name = win ? 'dumpcap' : 'tcpdump';
  if (ready) {
    child.kill();
    rmSync(file, { force: true });
    const denied = /permission|not permitted|privilege|operation not/i.test(ready);
    return none(`no capture: ${name} ${denied ? 'is not permitted here (needs root or CAP_NET_RAW; on Windows, Npcap and admin rights)' : 'failed'}: ${ready}`, { tool: name, filter, interface: iface });
  }
  const killer = setTimeout(() => child.kill('SIGINT'), PCAP_LIMITS.max_ms);
  return {
    async stop() {
      clearTimeout(killer);
      // A moment for the last FIN/ACKs to pass the filter before the capture ends.
      await new Promise((r) => setTimeout(r, 300));
      const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      const packets = /(\d+) packets? captured/.exec(stderr)?.[1];
      let data: Buffer | null = null;
      try {
        if (statSync(file).size <= PCAP_LIMITS.max_bytes) data = readFileSync(file);
      } catch {
        data = null;
      }
      rmSync(file, { force: true });
      const n = packets !== undefined ? Number(packets) : null;
      const message = data ? `${name} on ${iface}: ${n ?? '?'} packet(s) of the probe's own connections in ${PCAP_FILE}` : `no capture: ${name} wrote no file (or one over ${PCAP_LIMITS.max_bytes / 1024 / 1024} MB)`;
      return { record: { file: data ? PCAP_FILE : null, tool: name, filter, interface: iface, packets: n, message }, data };
    },
  };
}

function firstLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? '';
}

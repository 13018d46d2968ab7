// Byte-level faults a scripted SMTP library cannot produce: a peer that resets every
// connection, and a listener whose handshake never completes (connect timeout).
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { track } from './ports.js';

/** Accepts, then answers with a TCP RST (what a firewall or IPS that kills SMTP does). */
export async function startResetter(host: string, port: number): Promise<Server> {
  const server = track(createServer((sock) => {
    sock.on('error', () => {});
    sock.resetAndDestroy();
  }));
  await new Promise<void>((r, j) => server.listen(port, host, () => r()).on('error', j));
  return server;
}

/** Every other connection is reset; the rest are relayed to `upstream`: one flaky address among healthy ones. */
export async function startFlakyProxy(host: string, port: number, upstream: { host: string; port: number }): Promise<Server> {
  let n = 0;
  const server = track(createServer((sock) => {
    sock.on('error', () => {});
    if (n++ % 2 === 1) return void sock.resetAndDestroy();
    const up = connect(upstream);
    up.on('error', () => sock.destroy());
    sock.on('close', () => up.destroy());
    sock.pipe(up).pipe(sock);
  }));
  await new Promise<void>((r, j) => server.listen(port, host, () => r()).on('error', j));
  return server;
}

const BLACKHOLE_PY = `
import socket, sys, time
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(0)
port = s.getsockname()[1]
# Fill the accept queue: later SYNs are dropped and connects hang, like a filtering firewall.
held = []
for _ in range(3):
    c = socket.socket(fam); c.setblocking(False)
    try: c.connect((sys.argv[1], port))
    except BlockingIOError: pass
    held.append(c)
print(port, flush=True)
sys.stdin.read()
`;

export interface Blackhole {
  host: string;
  port: number;
  stop(): void;
}

/** A listening socket that never accepts. Python because Node always accepts. */
export function startBlackhole(host: string, port = 0): Promise<Blackhole> {
  return new Promise((resolve, reject) => {
    const py: ChildProcess = spawn('/usr/bin/python3', ['-c', BLACKHOLE_PY, host, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
    py.on('error', reject);
    py.stdout!.once('data', (d: Buffer) => resolve({ host, port: Number(d.toString().trim()), stop: () => py.kill() }));
  });
}

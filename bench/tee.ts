// The tee's added latency per SMTP command: one client dialogue (STARTTLS, AUTH PLAIN, a
// small message) against a Gmail-like server, direct and through an in-process tee
// (STARTTLS on both legs), interleaved in the same run so both see the same machine state.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { SMTPServer } from 'smtp-server';
import { Wire } from '../payload/probe/wire.js';
import { buildTeeSettings } from '../payload/tee/options.js';
import { startTee } from '../payload/tee/server.js';
import { makePki } from '../lab/ca.js';
import { median, type Row } from './measure.js';

const STEPS = ['banner', 'EHLO', 'STARTTLS', 'TLS handshake', 'EHLO (TLS)', 'AUTH', 'MAIL', 'RCPT', 'DATA', 'message', 'QUIT'] as const;
type Step = (typeof STEPS)[number];

async function dialogue(port: number, ca: string): Promise<Record<Step, number>> {
  const t = {} as Record<Step, number>;
  const c0 = performance.now();
  const sock = netConnect({ host: '127.0.0.1', port, noDelay: true });
  await once(sock, 'connect');
  const wire = new Wire(() => {});
  wire.attach(sock);
  const step = async (name: Step, line: string | null, start = performance.now()) => {
    if (line !== null) wire.write(line);
    const r = await wire.read(10_000, name);
    t[name] = performance.now() - start;
    return r;
  };
  await step('banner', null, c0);
  await step('EHLO', 'EHLO bench.lab.test');
  await step('STARTTLS', 'STARTTLS');
  wire.detach();
  const h0 = performance.now();
  const tls = tlsConnect({ socket: sock, ca, servername: 'localhost' });
  await once(tls, 'secureConnect');
  t['TLS handshake'] = performance.now() - h0;
  wire.attach(tls);
  await step('EHLO (TLS)', 'EHLO bench.lab.test');
  await step('AUTH', `AUTH PLAIN ${Buffer.from('\0bench@lab.test\0bench-password').toString('base64')}`);
  await step('MAIL', 'MAIL FROM:<bench@lab.test>');
  await step('RCPT', 'RCPT TO:<someone@example.com>');
  await step('DATA', 'DATA');
  await step('message', `Subject: bench\r\nContent-Type: text/plain\r\n\r\n${'x'.repeat(2000)}\r\n.`);
  await step('QUIT', 'QUIT');
  tls.destroy();
  return t;
}

export async function teeFigures(runs: number): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-bench-tee-'));
  const pki = makePki(dir);
  const server = new SMTPServer({
    name: 'smtp.gmail.com',
    key: pki.keyPem,
    cert: pki.certPem,
    logger: false,
    closeTimeout: 200,
    authMethods: ['PLAIN'],
    disableReverseLookup: true,
    onAuth: (_a, _s, cb) => cb(null, { user: 'bench' }),
    onData: (stream, _s, cb) => (stream.on('data', () => {}), stream.on('end', () => cb())),
  });
  server.on('error', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const upstreamPort = (server.server.address() as { port: number }).port;
  const ca = join(dir, 'ca.crt');
  const tee = await startTee(
    buildTeeSettings({ listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}`, botTls: 'starttls', upstreamTls: 'starttls', ca: [ca], sni: 'localhost', maxSessions: '4', maxMessageBytes: '1MB', idleTimeout: '10s', out: dir }),
  );
  try {
    const direct: Array<Record<Step, number>> = [];
    const through: Array<Record<Step, number>> = [];
    await dialogue(upstreamPort, pki.caPem); // warm-up both paths
    await dialogue(tee.port, tee.certs.caPem);
    for (let i = 0; i < runs; i++) {
      direct.push(await dialogue(upstreamPort, pki.caPem));
      through.push(await dialogue(tee.port, tee.certs.caPem));
    }
    const rows: Row[] = STEPS.map((s) => ({
      metric: `tee: ${s}, through the tee (reference: direct)`,
      value: median(through.map((x) => x[s])),
      unit: 'ms',
      reference: { name: 'same client, direct', value: median(direct.map((x) => x[s])) },
    }));
    const commands = STEPS.filter((s) => s !== 'banner' && s !== 'TLS handshake' && s !== 'STARTTLS');
    const added = median(commands.map((s) => median(through.map((x) => x[s])) - median(direct.map((x) => x[s]))));
    rows.push({ metric: 'tee: added latency per relayed command (median over EHLO..QUIT)', value: added, unit: 'ms', target: { text: '< 2 ms on loopback', ok: added < 2 } });
    return rows;
  } finally {
    await tee.stop();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
}

// One attempt against one address and port, read in wire order:
// connect -> [TLS] -> banner -> EHLO -> [STARTTLS -> TLS -> EHLO] -> NOOP -> QUIT.
// It never sends credentials (the AUTH test is a separate, opt-in step).
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { ErrorInfo, Mode, SmtpReply, SmtpResult, Target, TlsResult } from '../schema/summary.js';
import { parseExtensions, egressIp } from './extensions.js';
import type { Timeouts } from './options.js';
import { tcpConnect } from './tcp.js';
import { startTls } from './tls.js';
import { Transcript } from './transcript.js';
import { Wire, WireError, type Reply } from './wire.js';

export interface SessionParams {
  target: Target;
  port: number;
  mode: Mode;
  sni: string | null;
  verifyName: string;
  ehloName: string;
  trust: SecureContext | undefined;
  timeouts: Timeouts;
}

export interface SessionResult {
  startedAt: number;
  connectedAt: number | null;
  durationMs: number;
  tcp: { ok: boolean; connect_ms: number | null; local_address: string | null; local_port: number | null; error: ErrorInfo | null };
  tls: TlsResult | null;
  smtp: SmtpResult;
  failedStage: 'connect' | 'tls' | 'smtp' | null;
  transcript: Transcript;
}

type Step = 'banner' | 'ehlo' | 'starttls' | 'ehlo_tls' | 'noop' | 'quit';

export async function runSession(p: SessionParams): Promise<SessionResult> {
  const transcript = new Transcript();
  const startedAt = Date.now();
  const t0 = performance.now();
  const smtp: SmtpResult = {
    banner: null,
    ehlo: null,
    starttls: null,
    ehlo_tls: null,
    noop: null,
    quit: null,
    extensions: [],
    features: parseExtensions([]),
    egress_ip: null,
    error: null,
    last_line: null,
  };
  let tls: TlsResult | null = null;
  let failedStage: SessionResult['failedStage'] = null;
  const where = p.target.family === 6 ? `[${p.target.address}]:${p.port}` : `${p.target.address}:${p.port}`;
  const done = (): SessionResult => ({
    startedAt,
    connectedAt: tcp.connectedAt,
    durationMs: performance.now() - t0,
    tcp: { ok: tcp.error === null, connect_ms: tcp.connectMs, local_address: tcp.localAddress, local_port: tcp.localPort, error: tcp.error },
    tls,
    smtp: { ...smtp, last_line: wire.lastLine },
    failedStage,
    transcript,
  });

  transcript.event(`connect ${where} (${p.mode})`);
  const tcp = await tcpConnect(p.target.address, p.port, p.timeouts.connect);
  const wire = new Wire((line, final) => transcript.server(line, final));
  if (!tcp.socket) {
    transcript.event(`connect failed: ${tcp.error!.kind} (${tcp.error!.code ?? tcp.error!.message})`);
    failedStage = 'connect';
    return done();
  }
  transcript.event(`connected from ${tcp.localAddress}:${tcp.localPort} in ${tcp.connectMs!.toFixed(1)} ms`);
  let socket: Socket = tcp.socket;

  const handshake = async (after: TlsResult['after']): Promise<boolean> => {
    const leftover = wire.detach();
    if (leftover.length) transcript.event(`discarded ${leftover.length} bytes the server sent before TLS (RFC 3207 forbids it)`);
    transcript.event(`TLS handshake${p.sni ? `, SNI ${p.sni}` : ', no SNI'}`);
    const out = await startTls(socket, { sni: p.sni, verifyName: p.verifyName, trust: p.trust, timeoutMs: p.timeouts.tls, after, ticketWaitMs: Math.min(50, Math.max(5, 2 * (tcp.connectMs ?? 0))) });
    tls = out.result;
    if (!out.socket) {
      transcript.event(`TLS failed: ${tls.error!.kind}: ${tls.error!.message}`);
      failedStage = 'tls';
      return false;
    }
    transcript.event(
      `TLS ${tls.protocol} ${tls.cipher} in ${tls.handshake_ms!.toFixed(1)} ms; ` +
        (tls.authorized ? `certificate verified for ${p.verifyName}` : `certificate NOT trusted: ${tls.verify_error} (${tls.verify_reason})`),
    );
    // A distrusted chain is the failure, but the dialogue goes on (nothing secret is sent) for more evidence.
    if (!tls.authorized) failedStage = 'tls';
    socket = out.socket;
    wire.attach(socket);
    return true;
  };

  const ask = async (step: Step, command: string | null): Promise<Reply | null> => {
    const s0 = performance.now();
    if (command) {
      transcript.client(command);
      wire.write(command);
    }
    try {
      const reply = await wire.read(p.timeouts.smtp, command ?? 'the connection (banner)');
      smtp[step] = toSmtpReply(reply, performance.now() - s0);
      return reply;
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      smtp.error = { ...err.info, message: `${step}: ${err.info.message}` };
      if (err.partial.length) smtp[step] = { code: null, enhanced: null, lines: err.partial, ms: performance.now() - s0 };
      transcript.event(`${step} failed: ${err.info.kind}: ${err.info.message}`);
      return null;
    }
  };
  const stop = (stage: 'tls' | 'smtp' = 'smtp') => {
    failedStage ??= stage;
    socket.destroy();
    return done();
  };

  try {
    if (p.mode === 'implicit') {
      if (!(await handshake('connect'))) return stop('tls');
    } else {
      wire.attach(socket);
    }

    const banner = await ask('banner', null);
    if (!banner || banner.code !== 220) return stop();

    let ehlo = await ask('ehlo', `EHLO ${p.ehloName}`);
    if (!ehlo || ehlo.code !== 250) return stop();
    smtp.extensions = ehlo.lines.slice(1).map((l) => l.slice(4));
    smtp.features = parseExtensions(smtp.extensions);
    smtp.egress_ip = egressIp(ehlo.lines[0]!);

    if (p.mode === 'starttls') {
      if (!smtp.features.starttls) {
        smtp.error = { kind: 'starttls-not-offered', code: null, message: 'the server did not offer STARTTLS in its EHLO reply' };
        transcript.event(smtp.error.message);
        await politeQuit(wire, transcript, p.timeouts.smtp);
        return stop('tls');
      }
      const st = await ask('starttls', 'STARTTLS');
      if (!st) return stop();
      if (st.code !== 220) {
        smtp.error = { kind: 'starttls-refused', code: String(st.code), message: `STARTTLS answered ${st.lines[0]}` };
        return stop('tls');
      }
      if (!(await handshake('starttls'))) return stop('tls');
      ehlo = await ask('ehlo_tls', `EHLO ${p.ehloName}`);
      if (!ehlo || ehlo.code !== 250) return stop();
      smtp.extensions = ehlo.lines.slice(1).map((l) => l.slice(4));
      smtp.features = parseExtensions(smtp.extensions);
      smtp.egress_ip = egressIp(ehlo.lines[0]!) ?? smtp.egress_ip;
    }

    const noop = await ask('noop', 'NOOP');
    if (!noop || noop.code !== 250) return stop();
    const quit = await ask('quit', 'QUIT');
    if (!quit) return stop();
    socket.end();
    return done();
  } catch (err) {
    smtp.error = { kind: 'internal', code: null, message: err instanceof Error ? err.message : String(err) };
    return stop();
  }
}

async function politeQuit(wire: Wire, transcript: Transcript, timeoutMs: number): Promise<void> {
  transcript.client('QUIT');
  wire.write('QUIT');
  await wire.read(Math.min(timeoutMs, 2000), 'QUIT').catch(() => undefined);
}

function toSmtpReply(r: Reply, ms: number): SmtpReply {
  return { code: r.code, enhanced: r.enhanced, lines: r.lines, ms };
}

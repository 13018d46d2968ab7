// One attempt against one address and port, read in wire order:
// connect -> [TLS] -> banner -> EHLO -> [STARTTLS -> TLS -> EHLO] -> [AUTH -> MAIL FROM
// -> [RCPT, DATA] -> RSET] -> NOOP -> QUIT. Credentials are sent only with --auth-test,
// only over TLS whose certificate verified, and never reach the transcript.
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { ErrorInfo, Mode, ProxyAttempt, SmtpReply, SmtpResult, Target, TlsResult } from '../schema/summary.js';
import { authLines, pickMechanism, type AuthMechanism } from './auth.js';
import { parseExtensions, egressIp } from './extensions.js';
import { composeMessage } from './message.js';
import type { Timeouts } from './options.js';
import type { ProxySpec } from './proxy-url.js';
import { tcpConnect, type TcpResult } from './tcp.js';
import { proxyConnect } from './tunnel.js';
import { portSpeaksTls, startTls } from './tls.js';
import { Transcript, maskBase64 } from './transcript.js';
import { Wire, WireError, type Reply } from './wire.js';

export interface AuthPlan {
  user: string;
  secret: string;
  isToken: boolean;
  mechanism: 'auto' | AuthMechanism;
  /** Takes one of the run's AUTH slots; false when they are used up. */
  claim: () => boolean;
}

export interface SendPlan {
  from: string;
  to: string;
  runId: string;
  attachment: { name: string; data: Buffer } | null;
}

export interface SessionParams {
  target: Target;
  port: number;
  mode: Mode;
  sni: string | null;
  verifyName: string;
  ehloName: string;
  trust: SecureContext | undefined;
  timeouts: Timeouts;
  auth?: AuthPlan | null;
  send?: SendPlan | null;
  /** Go through this proxy; `target.address` is then what the proxy is asked to reach. */
  proxy?: { spec: ProxySpec; resolvedBy: 'local' | 'proxy' } | null;
}

export type FailedStage = 'connect' | 'tls' | 'smtp' | 'auth' | null;

export interface SessionResult {
  startedAt: number;
  connectedAt: number | null;
  durationMs: number;
  tcp: { ok: boolean; connect_ms: number | null; local_address: string | null; local_port: number | null; error: ErrorInfo | null };
  tls: TlsResult | null;
  smtp: SmtpResult;
  failedStage: FailedStage;
  transcript: Transcript;
  /** DER of the served chain (not written anywhere; for the OS-store check). */
  tlsRaw: Buffer[];
  proxy: ProxyAttempt | null;
}

type Step = 'banner' | 'ehlo' | 'starttls' | 'ehlo_tls' | 'auth' | 'mail' | 'rcpt' | 'data' | 'data_end' | 'rset' | 'noop' | 'quit';

export function emptySmtp(): SmtpResult {
  return {
    banner: null,
    ehlo: null,
    starttls: null,
    ehlo_tls: null,
    noop: null,
    quit: null,
    extensions: [],
    features: parseExtensions([]),
    egress_ip: null,
    auth: null,
    auth_mechanism: null,
    auth_challenge: false,
    auth_skipped: null,
    mail: null,
    rcpt: null,
    data: null,
    data_end: null,
    rset: null,
    message: null,
    port_speaks_tls: null,
    error: null,
    last_line: null,
  };
}

export async function runSession(p: SessionParams): Promise<SessionResult> {
  const transcript = new Transcript();
  const startedAt = Date.now();
  const t0 = performance.now();
  const smtp = emptySmtp();
  let tls: TlsResult | null = null;
  let tlsRaw: Buffer[] = [];
  let failedStage: FailedStage = null;
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
    tlsRaw,
    proxy: proxyFacts,
  });

  let proxyFacts: ProxyAttempt | null = null;
  let tcp: TcpResult;
  if (p.proxy) {
    const { spec, resolvedBy } = p.proxy;
    transcript.event(`connect ${where} (${p.mode}) through ${spec.kind === 'http' ? 'HTTP CONNECT' : spec.kind.toUpperCase()} proxy ${spec.host}:${spec.port}${resolvedBy === 'proxy' ? ', name resolved by the proxy' : ''}`);
    const t = await proxyConnect(spec, p.target.address, p.port, p.timeouts.connect, resolvedBy);
    proxyFacts = t.proxy;
    tcp = t;
    const pr = t.proxy;
    if (pr.connect_ms !== null) transcript.event(`proxy: TCP connected in ${pr.connect_ms.toFixed(1)} ms`);
    if (pr.reply) transcript.event(`proxy: ${pr.reply}${pr.tunnel_ms !== null ? ` after ${pr.tunnel_ms.toFixed(1)} ms` : ''}`);
  } else {
    transcript.event(`connect ${where} (${p.mode})`);
    tcp = await tcpConnect(p.target.address, p.port, p.timeouts.connect);
  }
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
    const ticketWaitMs = Math.min(50, Math.max(5, 2 * (tcp.connectMs ?? 0)));
    const out = await startTls(socket, { sni: p.sni, verifyName: p.verifyName, trust: p.trust, timeoutMs: p.timeouts.tls, after, ticketWaitMs });
    tls = out.result;
    tlsRaw = out.raw ?? [];
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

  /** Sends a command (if any) and reads the reply. `shown` is what the transcript gets instead. */
  const ask = async (step: Step, command: string | null, shown?: string): Promise<Reply | null> => {
    const s0 = performance.now();
    if (command !== null) {
      if (shown !== undefined) transcript.event(shown);
      else transcript.client(command);
      wire.write(command);
    }
    try {
      const reply = await wire.read(p.timeouts.smtp, step === 'banner' ? 'the connection (banner)' : step.toUpperCase());
      smtp[step] = toSmtpReply(reply, performance.now() - s0, step === 'auth');
      return reply;
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      smtp.error = { ...err.info, message: `${step}: ${err.info.message}` };
      if (err.partial.length) smtp[step] = { code: null, enhanced: null, lines: err.partial, ms: performance.now() - s0 };
      transcript.event(`${step} failed: ${err.info.kind}: ${err.info.message}`);
      return null;
    }
  };
  const stop = (stage: 'tls' | 'smtp' | 'auth' = 'smtp') => {
    failedStage ??= stage;
    socket.destroy();
    return done();
  };
  const readEhlo = (ehlo: Reply) => {
    smtp.extensions = ehlo.lines.slice(1).map((l) => l.slice(4));
    smtp.features = parseExtensions(smtp.extensions);
    smtp.egress_ip = egressIp(ehlo.lines[0]!) ?? smtp.egress_ip;
  };

  try {
    if (p.mode === 'implicit') {
      if (!(await handshake('connect'))) return stop('tls');
    } else {
      wire.attach(socket);
    }

    const banner = await ask('banner', null);
    if (!banner && smtp.error?.kind === 'timeout' && p.mode !== 'implicit' && !smtp.banner) {
      socket.destroy();
      // A second look goes direct; through a proxy it would test a different path.
      if (!p.proxy) smtp.port_speaks_tls = await portSpeaksTls(p.target.address, p.port, p.sni, Math.min(p.timeouts.tls, 3000));
      transcript.event(`second look: the port ${smtp.port_speaks_tls ? 'answered' : 'did not answer'} a TLS ClientHello on a new connection`);
    }
    if (!banner || banner.code !== 220) return stop();

    let ehlo = await ask('ehlo', `EHLO ${p.ehloName}`);
    if (!ehlo || ehlo.code !== 250) return stop();
    readEhlo(ehlo);

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
      readEhlo(ehlo);
    }

    if (p.auth || p.send) {
      const result = await authAndMail();
      if (result) return result;
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

  /** AUTH, then MAIL FROM (and the test message), then RSET. Returns a result only when the attempt ends here. */
  async function authAndMail(): Promise<SessionResult | null> {
    const a = p.auth;
    let authed = false;
    if (a) {
      const skip = (why: string) => {
        smtp.auth_skipped = why;
        transcript.event(`AUTH not tried: ${why}`);
      };
      if (failedStage === 'tls') skip('the TLS certificate did not verify; credentials are never sent over an untrusted channel');
      else if (p.mode === 'plain') skip('no TLS on this port (--mode plain); credentials are never sent in clear text');
      else if (!a.claim()) skip('the run\'s AUTH attempts are used up (--auth-max), to stay clear of the provider\'s login limits');
      else {
        const mech = pickMechanism(a.mechanism, smtp.features.auth_mechanisms, a.isToken);
        smtp.auth_mechanism = mech;
        if (!mech || !smtp.features.auth_mechanisms.includes(mech)) {
          const offered = smtp.features.auth_mechanisms.join(' ') || 'none';
          smtp.error = { kind: 'auth-mechanism-not-offered', code: null, message: `AUTH ${mech ?? 'PLAIN/LOGIN'} is not offered (server offers: ${offered})` };
          transcript.event(smtp.error.message);
          await politeQuit(wire, transcript, p.timeouts.smtp);
          return stop('auth');
        }
        const reply = await authenticate(mech, a);
        if (!reply) return stop('auth');
        if (reply.code !== 235) return (await politeQuit(wire, transcript, p.timeouts.smtp), stop('auth'));
        authed = true;
      }
    }
    // MAIL FROM after a successful AUTH (the "ok" path), or for --send-test without
    // AUTH. When AUTH was asked for but skipped, sending unauthenticated would test another path.
    if (!authed && (!p.send || a)) return null;
    const from = p.send?.from ?? a!.user;
    const mail = await ask('mail', `MAIL FROM:<${from}>`);
    if (!mail) return stop();
    if (mail.code !== 250) return (await politeQuit(wire, transcript, p.timeouts.smtp), stop(authed ? 'smtp' : 'auth'));
    if (p.send) {
      const rcpt = await ask('rcpt', `RCPT TO:<${p.send.to}>`);
      if (!rcpt) return stop();
      if (rcpt.code !== 250 && rcpt.code !== 251) return (await politeQuit(wire, transcript, p.timeouts.smtp), stop());
      const data = await ask('data', 'DATA');
      if (!data) return stop();
      if (data.code !== 354) return (await politeQuit(wire, transcript, p.timeouts.smtp), stop());
      const body = composeMessage({ from, to: p.send.to, runId: p.send.runId, attachment: p.send.attachment });
      smtp.message = { bytes: Buffer.byteLength(body), attachment: p.send.attachment?.name ?? null };
      const end = await ask('data_end', `${body}\r\n.`, `message sent: ${smtp.message.bytes} bytes${smtp.message.attachment ? `, attachment ${smtp.message.attachment}` : ''} (content not recorded)`);
      if (!end) return stop();
      if (end.code !== 250) return (await politeQuit(wire, transcript, p.timeouts.smtp), stop());
      return null;
    }
    const rset = await ask('rset', 'RSET');
    if (!rset) return stop();
    return null;
  }

  async function authenticate(mech: AuthMechanism, a: AuthPlan): Promise<Reply | null> {
    const lines = authLines({ user: a.user, secret: a.secret, mechanism: mech });
    const s0 = performance.now();
    let reply: Reply | null = null;
    for (const [i, line] of lines.entries()) {
      transcript.client(line);
      wire.write(line);
      reply = await readAuth(s0);
      if (!reply) return null;
      if (reply.code !== 334) break;
      if (i === lines.length - 1) {
        // A 334 after the credentials is an error challenge (XOAUTH2: base64 JSON with the
        // reason); RFC 7628 has the client answer with an empty line to get the final reply.
        smtp.auth_challenge = true;
        transcript.client('');
        wire.write('');
        reply = await readAuth(s0);
        if (!reply) return null;
      }
    }
    if (reply) smtp.auth = toSmtpReply(reply, performance.now() - s0, true);
    return reply;
  }

  async function readAuth(s0: number): Promise<Reply | null> {
    try {
      return await wire.read(p.timeouts.smtp, 'AUTH');
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      smtp.error = { ...err.info, message: `auth: ${err.info.message}` };
      smtp.auth = { code: null, enhanced: null, lines: err.partial.map(maskBase64), ms: performance.now() - s0 };
      transcript.event(`auth failed: ${err.info.kind}: ${err.info.message}`);
      return null;
    }
  }
}

async function politeQuit(wire: Wire, transcript: Transcript, timeoutMs: number): Promise<void> {
  transcript.client('QUIT');
  wire.write('QUIT');
  await wire.read(Math.min(timeoutMs, 2000), 'QUIT').catch(() => undefined);
}

function toSmtpReply(r: Reply, ms: number, masked = false): SmtpReply {
  return { code: r.code, enhanced: r.enhanced, lines: masked ? r.lines.map(maskBase64) : r.lines, ms };
}

// One attempt against one address and port, read in wire order:
// connect -> [TLS] -> banner -> EHLO -> [STARTTLS -> TLS -> EHLO] -> [AUTH -> MAIL FROM
// -> [RCPT, DATA] -> RSET] -> NOOP -> QUIT. Credentials are sent only with --auth-test,
// only over TLS whose certificate verified, and never reach the transcript.
//
// A Session holds the attempt's state; it has one method per protocol step and
// runSession() calls them in wire order. Every step returns false once the attempt has
// ended (it then has closed the socket and fixed the result), true to go on; a step that
// does not apply to this attempt (STARTTLS in plain mode, RCPT without --send-test) is a
// no-op returning true, so the driver stays one straight list.
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { performance } from '../util/clock.js';
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
  /** STARTTLS mode: MAIL FROM:<sender> then RSET on the plain channel, to see whether TLS is required. */
  starttlsCheck?: { from: string } | null;
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

/**
 * What a session needs from the network. The real functions by default; the unit tests
 * hand in an in-memory socket instead, so a dialogue bug shows without a server.
 */
export interface SessionNet {
  tcpConnect: typeof tcpConnect;
  proxyConnect: typeof proxyConnect;
  startTls: typeof startTls;
  portSpeaksTls: typeof portSpeaksTls;
}

const NETWORK: SessionNet = { tcpConnect, proxyConnect, startTls, portSpeaksTls };

type Step = 'banner' | 'ehlo' | 'mail_plain' | 'rset_plain' | 'starttls' | 'ehlo_tls' | 'auth' | 'mail' | 'rcpt' | 'data' | 'data_end' | 'rset' | 'noop' | 'quit';

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

/** The steps after connect, in the order they go over the wire. */
const WIRE_ORDER = ['implicitTls', 'greet', 'ehlo', 'mailBeforeTls', 'starttls', 'ehloOverTls', 'auth', 'mail', 'rcpt', 'data', 'rset', 'noop', 'quit'] as const;

export async function runSession(p: SessionParams, net: SessionNet = NETWORK): Promise<SessionResult> {
  const s = new Session(p, net);
  // Outside the try, as before: a failed connect is a result, not an internal error.
  if (!(await s.connect())) return s.result();
  try {
    for (const step of WIRE_ORDER) if (!(await s[step]())) break;
  } catch (err) {
    s.abort(err);
  }
  return s.result();
}

class Session {
  private readonly transcript = new Transcript();
  private readonly startedAt = Date.now();
  private readonly t0 = performance.now();
  private readonly smtp = emptySmtp();
  private readonly wire = new Wire((line, final) => this.transcript.server(line, final));
  private tls: TlsResult | null = null;
  private tlsRaw: Buffer[] = [];
  private failedStage: FailedStage = null;
  private tcp!: TcpResult;
  /** What the proxy did, when the attempt goes through one. */
  private proxyFacts: ProxyAttempt | null = null;
  private socket!: Socket;
  /** Set by a successful AUTH: MAIL FROM then tests the authenticated path. */
  private authed = false;
  /** The envelope sender once MAIL FROM was accepted; RCPT/DATA or RSET follow only then. */
  private from: string | null = null;
  /** Fixed when the attempt ends, so socket events after the close cannot change it. */
  private final: SessionResult | null = null;

  constructor(
    private readonly p: SessionParams,
    private readonly net: SessionNet,
  ) {}

  /** The result as of the end of the attempt (or now, if it has not ended). */
  result(): SessionResult {
    return this.final ?? this.snapshot();
  }

  async connect(): Promise<boolean> {
    const { p, transcript } = this;
    const where = p.target.family === 6 ? `[${p.target.address}]:${p.port}` : `${p.target.address}:${p.port}`;
    if (p.proxy) this.tcp = await this.tunnel(where, p.proxy);
    else {
      transcript.event(`connect ${where} (${p.mode})`);
      this.tcp = await this.net.tcpConnect(p.target.address, p.port, p.timeouts.connect);
    }
    const tcp = this.tcp;
    if (!tcp.socket) {
      transcript.event(`connect failed: ${tcp.error!.kind} (${tcp.error!.code ?? tcp.error!.message})`);
      this.failedStage = 'connect';
      return false;
    }
    transcript.event(`connected from ${tcp.localAddress}:${tcp.localPort} in ${tcp.connectMs!.toFixed(1)} ms`);
    this.socket = tcp.socket;
    return true;
  }

  /** The TCP stage through a proxy: the proxy's TCP connect and its tunnel, each in the transcript. */
  private async tunnel(where: string, proxy: NonNullable<SessionParams['proxy']>): Promise<TcpResult> {
    const { p, transcript } = this;
    const { spec, resolvedBy } = proxy;
    transcript.event(`connect ${where} (${p.mode}) through ${spec.kind === 'http' ? 'HTTP CONNECT' : spec.kind.toUpperCase()} proxy ${spec.host}:${spec.port}${resolvedBy === 'proxy' ? ', name resolved by the proxy' : ''}`);
    const t = await this.net.proxyConnect(spec, p.target.address, p.port, p.timeouts.connect, resolvedBy);
    const pr = t.proxy;
    this.proxyFacts = pr;
    if (pr.connect_ms !== null) transcript.event(`proxy: TCP connected in ${pr.connect_ms.toFixed(1)} ms`);
    if (pr.reply) transcript.event(`proxy: ${pr.reply}${pr.tunnel_ms !== null ? ` after ${pr.tunnel_ms.toFixed(1)} ms` : ''}`);
    return t;
  }

  /** Port 465: TLS before any SMTP. Otherwise the dialogue starts in the clear. */
  async implicitTls(): Promise<boolean> {
    if (this.p.mode !== 'implicit') {
      this.wire.attach(this.socket);
      return true;
    }
    return (await this.handshake('connect')) || this.stop('tls');
  }

  /** The 220 banner. A silent port gets a second look: it may expect implicit TLS. */
  async greet(): Promise<boolean> {
    const { p, smtp } = this;
    const banner = await this.ask('banner', null);
    if (!banner && smtp.error?.kind === 'timeout' && p.mode !== 'implicit' && !smtp.banner) {
      this.socket.destroy();
      // A second look goes direct; through a proxy it would test a different path.
      if (!p.proxy) smtp.port_speaks_tls = await this.net.portSpeaksTls(p.target.address, p.port, p.sni, Math.min(p.timeouts.tls, 3000));
      this.transcript.event(`second look: the port ${smtp.port_speaks_tls ? 'answered' : 'did not answer'} a TLS ClientHello on a new connection`);
    }
    return (!!banner && banner.code === 220) || this.stop();
  }

  ehlo(): Promise<boolean> {
    return this.sayEhlo('ehlo');
  }

  /**
   * The STARTTLS-required check, checked rather than read: MAIL FROM on the plain channel
   * (a submission port must refuse it, RFC 8314 3.3), then RSET so no transaction stays
   * open. Never RCPT or DATA: nothing can be sent. Its codes are recorded, not judged here.
   */
  async mailBeforeTls(): Promise<boolean> {
    const check = this.p.starttlsCheck;
    if (this.p.mode !== 'starttls' || !check || !this.smtp.features.starttls) return true;
    const mail = await this.ask('mail_plain', `MAIL FROM:<${check.from}>`);
    if (!mail) return this.stop();
    return !!(await this.ask('rset_plain', 'RSET')) || this.stop();
  }

  /** STARTTLS mode only: the upgrade the server must offer and accept, then the TLS handshake. */
  async starttls(): Promise<boolean> {
    const { smtp } = this;
    if (this.p.mode !== 'starttls') return true;
    if (!smtp.features.starttls) {
      smtp.error = { kind: 'starttls-not-offered', code: null, message: 'the server did not offer STARTTLS in its EHLO reply' };
      this.transcript.event(smtp.error.message);
      await this.politeQuit();
      return this.stop('tls');
    }
    const st = await this.ask('starttls', 'STARTTLS');
    if (!st) return this.stop();
    if (st.code !== 220) {
      smtp.error = { kind: 'starttls-refused', code: String(st.code), message: `STARTTLS answered ${st.lines[0]}` };
      return this.stop('tls');
    }
    return (await this.handshake('starttls')) || this.stop('tls');
  }

  /** RFC 3207: after the upgrade the client forgets what it knew and says EHLO again. */
  ehloOverTls(): Promise<boolean> {
    return this.p.mode === 'starttls' ? this.sayEhlo('ehlo_tls') : Promise.resolve(true);
  }

  /** --auth-test: one login, only where sending the credentials is safe and allowed. */
  async auth(): Promise<boolean> {
    const { smtp } = this;
    const a = this.p.auth;
    if (!a) return true;
    const why = this.authSkipReason(a);
    if (why) {
      smtp.auth_skipped = why;
      this.transcript.event(`AUTH not tried: ${why}`);
      return true;
    }
    const mech = pickMechanism(a.mechanism, smtp.features.auth_mechanisms, a.isToken);
    smtp.auth_mechanism = mech;
    if (!mech || !smtp.features.auth_mechanisms.includes(mech)) {
      const offered = smtp.features.auth_mechanisms.join(' ') || 'none';
      smtp.error = { kind: 'auth-mechanism-not-offered', code: null, message: `AUTH ${mech ?? 'PLAIN/LOGIN'} is not offered (server offers: ${offered})` };
      this.transcript.event(smtp.error.message);
      await this.politeQuit();
      return this.stop('auth');
    }
    const reply = await this.authenticate(mech, a);
    if (!reply) return this.stop('auth');
    if (reply.code !== 235) return this.quitAndStop('auth');
    this.authed = true;
    return true;
  }

  /**
   * MAIL FROM after a successful AUTH (the "ok" path), or for --send-test without AUTH.
   * When AUTH was asked for but skipped, sending unauthenticated would test another path.
   */
  async mail(): Promise<boolean> {
    const { p } = this;
    if (!this.authed && (!p.send || p.auth)) return true;
    const from = p.send?.from ?? p.auth!.user;
    const mail = await this.ask('mail', `MAIL FROM:<${from}>`);
    if (!mail) return this.stop();
    if (mail.code !== 250) return this.quitAndStop(this.authed ? 'smtp' : 'auth');
    this.from = from;
    return true;
  }

  /** --send-test: the recipient (251, "will forward", is an accept too). */
  async rcpt(): Promise<boolean> {
    const send = this.p.send;
    if (!this.from || !send) return true;
    const rcpt = await this.ask('rcpt', `RCPT TO:<${send.to}>`);
    if (!rcpt) return this.stop();
    return rcpt.code === 250 || rcpt.code === 251 || this.quitAndStop();
  }

  /** --send-test: the message itself. Only its size goes to the transcript, not its content. */
  async data(): Promise<boolean> {
    const { smtp } = this;
    const send = this.p.send;
    if (!this.from || !send) return true;
    const data = await this.ask('data', 'DATA');
    if (!data) return this.stop();
    if (data.code !== 354) return this.quitAndStop();
    const body = composeMessage({ from: this.from, to: send.to, runId: send.runId, attachment: send.attachment });
    smtp.message = { bytes: Buffer.byteLength(body), attachment: send.attachment?.name ?? null };
    const shown = `message sent: ${smtp.message.bytes} bytes${smtp.message.attachment ? `, attachment ${smtp.message.attachment}` : ''} (content not recorded)`;
    const end = await this.ask('data_end', `${body}\r\n.`, shown);
    if (!end) return this.stop();
    return end.code === 250 || this.quitAndStop();
  }

  /** Without --send-test, an accepted MAIL FROM is withdrawn: nothing is sent. Its code is not judged. */
  async rset(): Promise<boolean> {
    if (!this.from || this.p.send) return true;
    return !!(await this.ask('rset', 'RSET')) || this.stop();
  }

  async noop(): Promise<boolean> {
    const noop = await this.ask('noop', 'NOOP');
    return (!!noop && noop.code === 250) || this.stop();
  }

  /** The end of a dialogue that went through: QUIT answered, the socket closed from our side. */
  async quit(): Promise<boolean> {
    const quit = await this.ask('quit', 'QUIT');
    if (!quit) return this.stop();
    this.socket.end();
    this.final = this.snapshot();
    return true;
  }

  /** A bug or an unexpected throw ends the attempt as an internal error, with what was seen so far. */
  abort(err: unknown): void {
    this.smtp.error = { kind: 'internal', code: null, message: err instanceof Error ? err.message : String(err) };
    this.stop();
  }

  private snapshot(): SessionResult {
    const { tcp } = this;
    return {
      startedAt: this.startedAt,
      connectedAt: tcp.connectedAt,
      durationMs: performance.now() - this.t0,
      tcp: { ok: tcp.error === null, connect_ms: tcp.connectMs, local_address: tcp.localAddress, local_port: tcp.localPort, error: tcp.error },
      tls: this.tls,
      smtp: { ...this.smtp, last_line: this.wire.lastLine },
      failedStage: this.failedStage,
      transcript: this.transcript,
      tlsRaw: this.tlsRaw,
      proxy: this.proxyFacts,
    };
  }

  /** Ends the attempt: the first stage to fail is the one reported. Always false, for `return this.stop()`. */
  private stop(stage: 'tls' | 'smtp' | 'auth' = 'smtp'): false {
    this.failedStage ??= stage;
    this.socket.destroy();
    this.final = this.snapshot();
    return false;
  }

  /** A refusal ends the dialogue politely (QUIT) before the attempt ends. */
  private async quitAndStop(stage: 'tls' | 'smtp' | 'auth' = 'smtp'): Promise<false> {
    await this.politeQuit();
    return this.stop(stage);
  }

  private async politeQuit(): Promise<void> {
    this.transcript.client('QUIT');
    this.wire.write('QUIT');
    await this.wire.read(Math.min(this.p.timeouts.smtp, 2000), 'QUIT').catch(() => undefined);
  }

  /** Sends a command (if any) and reads the reply. `shown` is what the transcript gets instead. */
  private async ask(step: Step, command: string | null, shown?: string): Promise<Reply | null> {
    const { smtp, transcript, wire } = this;
    const s0 = performance.now();
    if (command !== null) {
      if (shown !== undefined) transcript.event(shown);
      else transcript.client(command);
      wire.write(command);
    }
    try {
      const reply = await wire.read(this.p.timeouts.smtp, step === 'banner' ? 'the connection (banner)' : step.toUpperCase());
      smtp[step] = toSmtpReply(reply, performance.now() - s0, step === 'auth');
      return reply;
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      smtp.error = { ...err.info, message: `${step}: ${err.info.message}` };
      if (err.partial.length) smtp[step] = { code: null, enhanced: null, lines: err.partial, ms: performance.now() - s0 };
      transcript.event(`${step} failed: ${err.info.kind}: ${err.info.message}`);
      return null;
    }
  }

  /** EHLO (again after STARTTLS); its reply replaces what the extensions were. */
  private async sayEhlo(step: 'ehlo' | 'ehlo_tls'): Promise<boolean> {
    const { smtp } = this;
    const ehlo = await this.ask(step, `EHLO ${this.p.ehloName}`);
    if (!ehlo || ehlo.code !== 250) return this.stop();
    smtp.extensions = ehlo.lines.slice(1).map((l) => l.slice(4));
    smtp.features = parseExtensions(smtp.extensions);
    smtp.egress_ip = egressIp(ehlo.lines[0]!) ?? smtp.egress_ip;
    return true;
  }

  /** The TLS handshake on the current socket; the wire then reads the TLS socket. False when it failed. */
  private async handshake(after: TlsResult['after']): Promise<boolean> {
    const { p, transcript, wire } = this;
    const leftover = wire.detach();
    if (leftover.length) transcript.event(`discarded ${leftover.length} bytes the server sent before TLS (RFC 3207 forbids it)`);
    transcript.event(`TLS handshake${p.sni ? `, SNI ${p.sni}` : ', no SNI'}`);
    // Long enough for TLS 1.3 tickets to arrive on this path (see startTls), short on loopback.
    const ticketWaitMs = Math.min(50, Math.max(5, 2 * (this.tcp.connectMs ?? 0)));
    const out = await this.net.startTls(this.socket, { sni: p.sni, verifyName: p.verifyName, trust: p.trust, timeoutMs: p.timeouts.tls, after, ticketWaitMs });
    const tls = out.result;
    this.tls = tls;
    this.tlsRaw = out.raw ?? [];
    if (!out.socket) {
      transcript.event(`TLS failed: ${tls.error!.kind}: ${tls.error!.message}`);
      this.failedStage = 'tls';
      return false;
    }
    transcript.event(
      `TLS ${tls.protocol} ${tls.cipher} in ${tls.handshake_ms!.toFixed(1)} ms; ` +
        (tls.authorized ? `certificate verified for ${p.verifyName}` : `certificate NOT trusted: ${tls.verify_error} (${tls.verify_reason})`),
    );
    // A distrusted chain is the failure, but the dialogue goes on (nothing secret is sent) for more evidence.
    if (!tls.authorized) this.failedStage = 'tls';
    this.socket = out.socket;
    wire.attach(this.socket);
    return true;
  }

  /** Why credentials must not be sent on this attempt, or null when they may. */
  private authSkipReason(a: AuthPlan): string | null {
    if (this.failedStage === 'tls') return 'the TLS certificate did not verify; credentials are never sent over an untrusted channel';
    if (this.p.mode === 'plain') return 'no TLS on this port (--mode plain); credentials are never sent in clear text';
    // Last, so a slot is only used up by an attempt that will really log in.
    if (!a.claim()) return 'the run\'s AUTH attempts are used up (--auth-max), to stay clear of the provider\'s login limits';
    return null;
  }

  /** The AUTH exchange: the command, then one line per 334 challenge. Null when the wire failed. */
  private async authenticate(mech: AuthMechanism, a: AuthPlan): Promise<Reply | null> {
    const { transcript, wire } = this;
    const lines = authLines({ user: a.user, secret: a.secret, mechanism: mech });
    const s0 = performance.now();
    let reply: Reply | null = null;
    for (const [i, line] of lines.entries()) {
      transcript.client(line);
      wire.write(line);
      reply = await this.readAuth(s0);
      if (!reply) return null;
      if (reply.code !== 334) break;
      if (i === lines.length - 1) {
        // A 334 after the credentials is an error challenge (XOAUTH2: base64 JSON with the
        // reason); RFC 7628 has the client answer with an empty line to get the final reply.
        this.smtp.auth_challenge = true;
        transcript.client('');
        wire.write('');
        reply = await this.readAuth(s0);
        if (!reply) return null;
      }
    }
    if (reply) this.smtp.auth = toSmtpReply(reply, performance.now() - s0, true);
    return reply;
  }

  /** One reply within AUTH; what a failed read leaves is masked like any AUTH reply. */
  private async readAuth(s0: number): Promise<Reply | null> {
    const { smtp } = this;
    try {
      return await this.wire.read(this.p.timeouts.smtp, 'AUTH');
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      smtp.error = { ...err.info, message: `auth: ${err.info.message}` };
      smtp.auth = { code: null, enhanced: null, lines: err.partial.map(maskBase64), ms: performance.now() - s0 };
      this.transcript.event(`auth failed: ${err.info.kind}: ${err.info.message}`);
      return null;
    }
  }
}

function toSmtpReply(r: Reply, ms: number, masked = false): SmtpReply {
  return { code: r.code, enhanced: r.enhanced, lines: masked ? r.lines.map(maskBase64) : r.lines, ms };
}

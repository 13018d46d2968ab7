// One attempt against one address and port, in wire order: connect -> [TLS] -> greeting ->
// capabilities -> [STARTTLS/STLS -> TLS -> capabilities] -> [login] -> LOGOUT/QUIT. The
// DNS-free stages of the SMTP probe are reused (tcpConnect, startTls and its verdict on the
// chain, the Transcript); credentials go only over TLS whose certificate verified.
import type { SecureContext } from 'node:tls';
import { performance } from '../util/clock.js';
import type { ErrorInfo, TlsResult } from '../schema/summary.js';
import type { MailreadAttempt, MailreadStep } from '../schema/mailread.js';
import { tcpConnect } from '../probe/tcp.js';
import { startTls } from '../probe/tls.js';
import { Transcript } from '../probe/transcript.js';
import { Exchange, type Dialect, type LoginPlan } from './dialect.js';
import { LineError, LineReader } from './lines.js';
import type { Pop3 } from './pop3.js';

export type MailMode = 'starttls' | 'implicit' | 'plain';
export type FailedStage = NonNullable<MailreadAttempt['failed_stage']>;

export interface MailSessionParams {
  address: string;
  port: number;
  mode: MailMode;
  sni: string | null;
  verifyName: string;
  trust: SecureContext | undefined;
  timeouts: { connect: number; tls: number; command: number };
  login: LoginPlan | null;
}

export interface MailSessionResult extends Omit<MailreadAttempt, 'classification' | 'transcript_file'> {
  error: ErrorInfo | null;
  /** The server lines the verdict rests on, when a reply decides it. */
  evidence: string | null;
  transcript: Transcript;
}

export async function runMailSession(dialect: Dialect, p: MailSessionParams): Promise<MailSessionResult> {
  const transcript = new Transcript();
  const started = Date.now();
  const t0 = performance.now();
  const steps: Record<string, MailreadStep> = {};
  const r: MailSessionResult = {
    address: p.address,
    port: p.port,
    mode: p.mode,
    started_at: new Date(started).toISOString(),
    duration_ms: 0,
    tcp: { ok: false, connect_ms: null, error: null },
    tls: null,
    greeting: null,
    capabilities_before_tls: [],
    capabilities: [],
    steps,
    login: null,
    failed_stage: null,
    error: null,
    evidence: null,
    transcript,
  };
  const end = (stage: FailedStage | null, error: ErrorInfo | null = null, evidence: string | null = null) => {
    r.failed_stage = stage;
    r.error = error;
    r.evidence = evidence;
    r.duration_ms = performance.now() - t0;
    return r;
  };
  const where = p.address.includes(':') ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`;
  transcript.event(`connect ${where} (${dialect.protocol}, ${p.mode})`);
  const tcp = await tcpConnect(p.address, p.port, p.timeouts.connect);
  r.tcp = { ok: !!tcp.socket, connect_ms: tcp.connectMs, error: tcp.error };
  if (!tcp.socket) {
    transcript.event(`connect failed: ${tcp.error!.kind} (${tcp.error!.code ?? tcp.error!.message})`);
    return end('connect', tcp.error);
  }
  transcript.event(`connected in ${tcp.connectMs!.toFixed(1)} ms`);
  let socket = tcp.socket;
  const reader = new LineReader();
  const x = new Exchange(reader, transcript, p.timeouts.command);

  const handshake = async (after: TlsResult['after']): Promise<boolean> => {
    reader.detach();
    const o = await startTls(socket, { sni: p.sni, verifyName: p.verifyName, trust: p.trust, timeoutMs: p.timeouts.tls, after, ticketWaitMs: 50 });
    r.tls = o.result;
    if (!o.socket) {
      transcript.event(`TLS failed: ${o.result.error?.kind} (${o.result.error?.message})`);
      return false;
    }
    socket = o.socket;
    transcript.event(`TLS ${o.result.protocol} ${o.result.cipher} in ${o.result.handshake_ms!.toFixed(1)} ms; certificate ${o.result.authorized ? 'verified' : `NOT verified: ${o.result.verify_reason}`}`);
    reader.attach(socket);
    return true;
  };

  try {
    if (p.mode === 'implicit') {
      if (!(await handshake('connect'))) return end('tls', r.tls?.error ?? null);
    } else reader.attach(socket);

    const g = await dialect.greeting(x);
    r.greeting = g.step;
    if (!g.ok) return closeAnd(end('greeting', { kind: 'refused', code: null, message: `the server's greeting was not OK` }, g.step.lines.join('\n')));

    let caps = await dialect.capability(x);
    steps.capability = caps.step;
    r.capabilities = caps.capabilities;
    if (p.mode === 'starttls') {
      r.capabilities_before_tls = caps.capabilities;
      if (!dialect.offersStarttls(caps.capabilities)) {
        await dialect.logout(x).catch(() => undefined);
        return closeAnd(end('starttls', { kind: 'starttls-not-offered', code: null, message: `the server did not offer ${dialect.starttlsVerb}` }, caps.step.lines.join('\n')));
      }
      const st = await dialect.starttls(x);
      steps.starttls = st.step;
      if (!st.ok) return closeAnd(end('starttls', { kind: 'starttls-refused', code: null, message: `${dialect.starttlsVerb} was refused` }, st.step.lines.join('\n')));
      if (!(await handshake('starttls'))) return end('tls', r.tls?.error ?? null);
      caps = await dialect.capability(x);
      steps.capability_tls = caps.step;
      r.capabilities = caps.capabilities;
    }
    if (r.tls && !r.tls.authorized) {
      if (p.login) r.login = { method: dialect.pickMethod(p.login.mechanism, r.capabilities, p.login.isToken), status: 'not-tried', why_not: 'the certificate did not verify: credentials are not sent' };
      await dialect.logout(x).catch(() => undefined);
      return closeAnd(end('tls', { kind: 'verify', code: r.tls.verify_error, message: r.tls.verify_reason ?? 'the certificate did not verify' }));
    }
    if (p.login) {
      const method = dialect.pickMethod(p.login.mechanism, r.capabilities, p.login.isToken);
      if (p.mode === 'plain') {
        // A bot with TLS off: ask whether the server takes a login here, without the secret.
        const refusal = dialect.refusesPlaintext(r.capabilities);
        if (refusal) {
          r.login = { method, status: 'refused', why_not: 'the server refuses logins without TLS' };
          await dialect.logout(x).catch(() => undefined);
          return closeAnd(end('login', { kind: 'plaintext-refused', code: null, message: 'the server takes no login without TLS' }, refusal));
        }
        if (dialect.protocol === 'pop3') {
          const u = await (dialect as Pop3).probePlaintextUser(x, p.login.user);
          steps.login = u;
          if (u.status !== '+OK') {
            r.login = { method, status: 'refused', why_not: null };
            await dialect.logout(x).catch(() => undefined);
            return closeAnd(end('login', { kind: 'refused', code: null, message: 'USER was refused' }, u.lines.join('\n')));
          }
        }
        r.login = { method, status: 'not-tried', why_not: 'no TLS: the password is not sent in clear text (the server would take a login here)' };
      } else {
        const offered = dialect.mechanisms(r.capabilities);
        if (!offered.includes(method === 'USER' ? 'USER' : method)) {
          r.login = { method, status: 'not-tried', why_not: `${method} is not offered (offered: ${offered.join(' ') || 'none'})` };
          await dialect.logout(x).catch(() => undefined);
          return closeAnd(end('login', { kind: 'mechanism-not-offered', code: null, message: r.login.why_not! }, caps.step.lines.join('\n')));
        }
        const l = await dialect.login(x, p.login, method, r.capabilities);
        steps.login = l.step;
        r.login = { method, status: l.ok ? 'ok' : l.why ? 'not-tried' : 'refused', why_not: l.why };
        if (!l.ok) {
          await dialect.logout(x).catch(() => undefined);
          return closeAnd(end('login', { kind: l.why ? 'not-sent' : 'refused', code: null, message: l.why ?? `the login was refused` }, l.step.lines.at(-1) ?? null));
        }
      }
    }
    steps.logout = await dialect.logout(x);
    socket.end();
    return end(null);
  } catch (err) {
    socket.destroy();
    const info = err instanceof LineError ? err.info : { kind: 'internal', code: null, message: err instanceof Error ? err.message : String(err) };
    transcript.event(`stopped: ${info.message}`);
    const stage: FailedStage = r.tls?.authorized === false ? 'tls' : !r.greeting ? 'greeting' : r.steps.login || r.login ? 'login' : 'capability';
    return end(stage, info);
  }

  function closeAnd(res: MailSessionResult): MailSessionResult {
    socket.destroy();
    return res;
  }
}

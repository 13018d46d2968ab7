// Stage 3: the TLS handshake, either right after connect (implicit, port 465) or after
// STARTTLS. Verification is done but never enforced here, so the served chain is
// captured even when it is distrusted: that chain is the evidence.
import { performance } from '../util/clock.js';
import type { Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { checkServerIdentity, connect, createSecureContext, rootCertificates, type DetailedPeerCertificate, type SecureContext, type SecureContextOptions, type SecureVersion, type TLSSocket } from 'node:tls';
import type { Certificate, ErrorInfo, TlsResult } from '../schema/summary.js';
import { errorCode, errorMessage } from '../util/errors.js';
import { chainTrusted, osStore } from './trust-store.js';

/** Plain-language reasons for the OpenSSL/Node verification codes a runner meets. */
const VERIFY_REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the server certificate has expired (or this machine\'s clock is ahead)',
  CERT_NOT_YET_VALID: 'the server certificate is not valid yet (this machine\'s clock is probably behind)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server presented a self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends in a root this machine does not trust (often a TLS-inspecting proxy\'s root)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate\'s issuer is unknown here and the server sent no intermediate that leads to a trusted root',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer of a certificate in the chain is unknown here',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the chain leads to a CA that is not in the trust store in use',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate is not issued for the name that was asked for (SNI / host name mismatch)',
  CERT_REVOKED: 'the certificate is revoked',
  CERT_SIGNATURE_FAILURE: 'a signature in the chain does not verify',
  CERT_CHAIN_TOO_LONG: 'the chain is longer than allowed',
  INVALID_CA: 'a certificate in the chain is used as a CA but is not one',
  INVALID_PURPOSE: 'the certificate is not meant for TLS server authentication',
};

export function verifyReason(code: string | null): string | null {
  if (!code) return null;
  return VERIFY_REASONS[code] ?? `verification failed: ${code}`;
}

function dn(x: Record<string, string | string[]> | undefined): string {
  if (!x) return '';
  return Object.entries(x)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

/** The served chain, leaf first, as far as the server sent it (plus the root if the store completed it). */
export function chainOf(socket: TLSSocket): Certificate[] {
  const chain: Certificate[] = [];
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert && cert.fingerprint256 && !seen.has(cert.fingerprint256) && chain.length < 16) {
    seen.add(cert.fingerprint256);
    chain.push({
      subject: dn(cert.subject as unknown as Record<string, string>),
      issuer: dn(cert.issuer as unknown as Record<string, string>),
      subject_alt_names: cert.subjectaltname ? cert.subjectaltname.split(/,\s*/) : [],
      valid_from: new Date(cert.valid_from).toISOString(),
      valid_to: new Date(cert.valid_to).toISOString(),
      serial: cert.serialNumber,
      fingerprint_sha256: cert.fingerprint256,
      ...(cert.pubkey ? { spki_sha256: createHash('sha256').update(cert.pubkey).digest('hex') } : {}),
      self_signed: cert.issuerCertificate === cert || dn(cert.subject as unknown as Record<string, string>) === dn(cert.issuer as unknown as Record<string, string>),
    });
    cert = cert.issuerCertificate;
  }
  return chain;
}

const TLS_KINDS: Array<[RegExp, string]> = [
  [/wrong version number|packet length too long|record layer failure|http request/i, 'not-tls'],
  [/unsupported protocol|protocol version|no protocols available|version too low/i, 'protocol-version'],
  [/handshake failure|no shared cipher|no ciphers available|insufficient security/i, 'handshake-failure'],
  [/alert/i, 'alert'],
];

export function tlsError(err: unknown): ErrorInfo {
  const code = errorCode(err) ?? null;
  const message = errorMessage(err);
  if (code === 'ECONNRESET') return { kind: 'reset', code, message };
  if (code === 'ETIMEDOUT') return { kind: 'timeout', code, message };
  const kind = TLS_KINDS.find(([re]) => re.test(`${code ?? ''} ${message}`))?.[1] ?? 'handshake';
  return { kind, code, message };
}

/**
 * Node's bundled roots plus the --ca anchors, as one context (undefined without --ca: Node's
 * default). Giving Node `ca: [...rootCertificates, ...extra]` makes it parse the ~150 roots'
 * PEM text again (about 40 ms of CPU on a quiet machine, 150 ms under load: a third of a whole
 * probe's CPU). Adding the anchors to a context that starts on Node's own root store instead
 * has Node copy that store from the certificates it parsed once per process (its native
 * AddCACert does so when the context still shares the root store) and parse only the anchors.
 * `context` is Node's native handle, undocumented but used by Node's own TLS code since 0.x;
 * where it is missing the slow documented way gives the same store.
 */
export function trustContext(extraCa: readonly string[], options: SecureContextOptions = {}): SecureContext | undefined {
  if (!extraCa.length) return undefined;
  const ctx = createSecureContext(options);
  const native = (ctx as { context?: { addCACert?: (pem: string) => void } }).context;
  if (typeof native?.addCACert !== 'function') return createSecureContext({ ...options, ca: [...rootCertificates, ...extraCa] });
  for (const pem of extraCa) native.addCACert(pem);
  return ctx;
}

export interface TlsParams {
  /** Name sent as SNI; null sends none (IP targets). */
  sni: string | null;
  /** Name the certificate must match: the SNI, or the host when it is an IP. */
  verifyName: string;
  /** Node's bundled roots plus --ca anchors, from trustContext(); undefined: Node's default. */
  trust: SecureContext | undefined;
  timeoutMs: number;
  after: TlsResult['after'];
  /** How long to let TLS 1.3 session tickets arrive before the dialogue goes on (see below). */
  ticketWaitMs: number;
  /** Pins what the ClientHello offers (the TLS matrix); absent: this runtime's defaults, as a bot sends. */
  offer?: { minVersion: SecureVersion; maxVersion: SecureVersion; ciphers: string; secureContext?: SecureContext };
}

export interface TlsOutcome {
  result: TlsResult;
  socket: TLSSocket | null;
  /** The served chain as DER, leaf first, for the OS-store check made after the attempt. */
  raw?: Buffer[];
}

export function startTls(raw: Socket, p: TlsParams): Promise<TlsOutcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const base = blankResult(p);
    const socket = connect({
      socket: raw,
      ...(p.sni ? { servername: p.sni } : {}),
      host: p.verifyName,
      // Node ignores version and cipher options next to a ready context: an offer builds its own.
      ...(p.offer ?? { secureContext: p.trust }),
      rejectUnauthorized: false,
      // Verification is judged below, for the name the bot would use; Node's own check is not trusted to run.
      checkServerIdentity: () => undefined,
    });
    let settled = false;
    const finish = (o: TlsOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const timer = setTimeout(() => {
      socket.destroy();
      finish({ socket: null, result: { ...base, error: { kind: 'timeout', code: 'ETIMEDOUT', message: `TLS handshake not finished within ${p.timeoutMs} ms` } } });
    }, p.timeoutMs);
    socket.once('error', (err) => {
      socket.destroy();
      finish({ socket: null, result: { ...base, handshake_ms: null, chain: safeChain(socket), error: tlsError(err) } });
    });
    socket.once('close', () => finish({ socket: null, result: { ...base, error: { kind: 'closed', code: null, message: 'connection closed during the TLS handshake' } } }));
    let ticket = false;
    socket.once('session', () => (ticket = true));
    socket.once('secureConnect', async () => {
      const handshakeMs = performance.now() - t0;
      if (socket.getProtocol() === 'TLSv1.3' && !ticket && p.ticketWaitMs > 0) await ticketOrTimeout(socket, p.ticketWaitMs);
      if (settled) return;
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
      finish({ socket, raw: rawChain(socket), result: secureResult(socket, base, handshakeMs, p.verifyName) });
    });
  });
}

/** The result before anything is known: what was asked for, nothing measured. */
function blankResult(p: TlsParams): TlsResult {
  return {
    sni: p.sni,
    after: p.after,
    handshake_ms: null,
    protocol: null,
    cipher: null,
    cipher_standard_name: null,
    alpn: null,
    authorized: false,
    verify_error: null,
    verify_reason: null,
    chain: [],
    os_trusted: null,
    os_store: null,
    error: null,
  };
}

/**
 * TLS 1.3 servers send session tickets right after the handshake. A server that leaves
 * Nagle on (Postfix does) then holds its next reply until they are acknowledged, and a
 * delayed ACK costs 40 ms: the EHLO time would measure the TCP stacks, not the server.
 * Letting the tickets arrive first makes the EHLO carry that ACK.
 */
function ticketOrTimeout(socket: TLSSocket, ms: number): Promise<void> {
  return new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    // 'session' fires from inside OpenSSL's read: go on only once that has returned.
    socket.once('session', () => (clearTimeout(t), setImmediate(r)));
  });
}

/** The verdict on the chain (Node's) and on the name (ours, for the name the bot would use). */
function verification(socket: TLSSocket, verifyName: string): { verifyError: string | null; reason: string | null } {
  let verifyError = socket.authorized ? null : String(socket.authorizationError ?? 'UNKNOWN');
  let reason = verifyReason(verifyError);
  if (!verifyError) {
    const peer = socket.getPeerCertificate(true);
    const mismatch = checkServerIdentity(verifyName, peer);
    if (mismatch) {
      verifyError = (mismatch as Error & { code?: string }).code ?? 'ERR_TLS_CERT_ALTNAME_INVALID';
      reason = `${verifyReason(verifyError)}: ${mismatch.message}`;
    }
  }
  return { verifyError, reason };
}

/** What a finished handshake gives: protocol, cipher, the chain and the verdict on it. */
function secureResult(socket: TLSSocket, base: TlsResult, handshakeMs: number, verifyName: string): TlsResult {
  const chain = chainOf(socket);
  const { verifyError, reason } = verification(socket, verifyName);
  const cipher = socket.getCipher();
  return {
    ...base,
    handshake_ms: handshakeMs,
    protocol: socket.getProtocol() ?? null,
    cipher: cipher?.name ?? null,
    cipher_standard_name: cipher?.standardName ?? null,
    alpn: socket.alpnProtocol || null,
    authorized: verifyError === null,
    verify_error: verifyError,
    verify_reason: reason,
    chain,
  };
}

/**
 * The second look when a port stays silent: open a new connection and send a ClientHello.
 * Any TLS answer (a handshake, or a TLS alert) means the port expects implicit TLS.
 */
export function portSpeaksTls(ip: string, port: number, sni: string | null, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port, ...(sni ? { servername: sni } : {}), rejectUnauthorized: false, checkServerIdentity: () => undefined });
    const done = (v: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('secureConnect', () => done(true));
    s.once('error', (err) => {
      const e = tlsError(err);
      done(e.kind !== 'not-tls' && e.kind !== 'reset' && e.kind !== 'timeout' && /^ERR_SSL_/.test(e.code ?? ''));
    });
    s.once('close', () => done(false));
  });
}

function rawChain(socket: TLSSocket): Buffer[] {
  const raws: Buffer[] = [];
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert?.raw && !raws.some((r) => r.equals(cert!.raw)) && raws.length < 16) {
    raws.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return raws;
}

// One verdict per served chain: a sweep sees the same chain many times.
const osVerdicts = new Map<string, { trusted: boolean | null; source: string | null }>();

/**
 * Checks a served chain against the OS store. Called after the attempt, not inside it:
 * loading the store costs more than a loopback handshake and would distort the timings.
 */
export function osVerdict(raw: readonly Buffer[]): { trusted: boolean | null; source: string | null } {
  const key = raw.map((r) => r.toString('base64', 0, 64) + r.length).join('/');
  let v = osVerdicts.get(key);
  if (!v) {
    const store = osStore();
    v = store && raw.length ? { trusted: chainTrusted(raw, store.roots), source: store.source } : { trusted: null, source: null };
    osVerdicts.set(key, v);
  }
  return v;
}

function safeChain(socket: TLSSocket): Certificate[] {
  try {
    return chainOf(socket);
  } catch {
    return [];
  }
}

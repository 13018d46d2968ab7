// The HTTPS leg of WinRM: one keep-alive connection (NTLM authenticates a connection, not
// a request), certificate checks done before a byte of the request is written, and every
// failure turned into a TransportError a user can act on.
import { Agent, request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, type TLSSocket, type ConnectionOptions } from 'node:tls';
import type { Socket } from 'node:net';
import { TransportError } from '../types.js';
import { authenticateMessage, channelBindingsHash, negotiateMessage } from './ntlm.js';

export interface HttpSettings {
  address: string;
  port: number;
  username: string;
  password: string;
  auth: 'basic' | 'ntlm';
  caFile?: string;
  thumbprint?: string;
  insecureSkipVerify?: boolean;
  connectTimeoutMs: number;
  label: string;
}

export interface HttpReply {
  status: number;
  body: string;
  headers: IncomingMessage['headers'];
  socket: Socket;
}

/**
 * A reply larger than this is dropped before it is parsed: WinRM keeps replies within the
 * MaxEnvelopeSize each request names (512 KB by default, a few MB at most), and a hostile
 * or broken peer must not make a worker hold an unbounded body.
 */
export const MAX_REPLY_BYTES = 16 * 1024 * 1024;

const CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|HOSTNAME|ERR_TLS_CERT|THUMBPRINT/i;

/** Lowercase hex without separators: Windows shows thumbprints as AB12..., openssl as AB:12:... */
export function normThumbprint(t: string): string {
  return t.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
}

export function mapNetError(err: unknown, label: string): TransportError {
  if (err instanceof TransportError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? '';
  const msg = e?.message ?? String(err);
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new TransportError('unreachable', `${label}: cannot reach the WinRM listener (${code})`, { cause: err });
  if (CERT_ERRORS.test(code) || CERT_ERRORS.test(msg))
    return new TransportError('tls', `${label}: the WinRM certificate is not trusted: ${msg} (give --winrm-ca or the host's certificate thumbprint)`, { cause: err });
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(msg))
    return new TransportError('reset', `${label}: the WinRM connection was dropped (${code || msg})`, { cause: err });
  if (code === 'ETIMEDOUT') return new TransportError('timeout', `${label}: ${msg}`, { cause: err });
  return new TransportError('reset', `${label}: ${msg}`, { cause: err });
}

export class WinRmHttp {
  readonly url: string;
  private readonly agent: Agent;
  private peerCert: Buffer | undefined;
  private authed: Socket | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** HTTP requests sent, handshake legs included. */
  requests = 0;

  constructor(private readonly s: HttpSettings) {
    const host = s.address.includes(':') ? `[${s.address}]` : s.address;
    this.url = `https://${host}:${s.port}/wsman`;
    const pin = s.thumbprint ? normThumbprint(s.thumbprint) : undefined;
    // SHA-1 is what Windows shows as a certificate's Thumbprint (certlm, Get-ChildItem Cert:\),
    // so it is accepted next to SHA-256: matching an existing certificate's SHA-1 needs a
    // second preimage, which no known attack gives.
    if (pin && pin.length !== 64 && pin.length !== 40)
      throw new TransportError('tls', `${s.label}: the pinned thumbprint must be a SHA-256 (64 hex digits) or the SHA-1 Windows shows (40), got ${pin.length} digits`, { retryable: false });
    if (s.insecureSkipVerify && !pin) {
      process.emitWarning(`${s.label}: WinRM certificate validation is OFF (insecureSkipVerify): anyone on the path can read the password and commands`, { code: 'SMTP_PROBE_WINRM_INSECURE' });
    }
    const ca = s.caFile ? readCa(s.caFile, s.label) : undefined;
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
    // Our own connect: the certificate is judged on secureConnect, before https writes
    // the request (with a Basic password in it) to the socket.
    (this.agent as unknown as { createConnection: unknown }).createConnection = (_opts: ConnectionOptions, cb: (err: Error | null, s?: Socket) => void) => {
      const sock: TLSSocket = tlsConnect({
        host: s.address,
        port: s.port,
        servername: /^[\d.]+$|:/.test(s.address) ? undefined : s.address,
        ca,
        rejectUnauthorized: !(pin || s.insecureSkipVerify),
        ALPNProtocols: ['http/1.1'],
      } as ConnectionOptions);
      const timer = setTimeout(() => sock.destroy(Object.assign(new Error(`no TLS connection within ${s.connectTimeoutMs} ms`), { code: 'ETIMEDOUT' })), s.connectTimeoutMs);
      sock.once('secureConnect', () => {
        clearTimeout(timer);
        const cert = sock.getPeerCertificate();
        if (pin) {
          const got = normThumbprint((pin.length === 40 ? cert.fingerprint : cert.fingerprint256) ?? '');
          if (got !== pin) {
            const err = Object.assign(new Error(`certificate thumbprint mismatch: expected ${pin}, got ${got}`), { code: 'ERR_WINRM_THUMBPRINT' });
            sock.destroy();
            cb(err);
            return;
          }
        }
        this.peerCert = cert.raw;
        cb(null, sock);
      });
      sock.once('error', (err) => {
        clearTimeout(timer);
        cb(err);
      });
      return undefined;
    };
  }

  /** Posts one SOAP envelope, authenticating as needed; requests are serialised on the one connection. */
  post(xml: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<HttpReply> {
    const run = this.queue.then(() => this.postNow(xml, timeoutMs, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async postNow(xml: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<HttpReply> {
    if (this.s.auth === 'basic') {
      const basic = `Basic ${Buffer.from(`${this.s.username}:${this.s.password}`).toString('base64')}`;
      return this.refusedIf401(await this.send(xml, timeoutMs, basic, signal));
    }
    if (this.authed && !this.authed.destroyed) {
      const r = await this.send(xml, timeoutMs, undefined, signal);
      if (r.status !== 401) return r;
    }
    return this.refusedIf401(await this.ntlmHandshake(xml, timeoutMs, signal));
  }

  /** NEGOTIATE on an empty request, then AUTHENTICATE riding on the real one. */
  private async ntlmHandshake(xml: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<HttpReply> {
    this.authed = undefined;
    const negotiate = negotiateMessage();
    const r1 = await this.send(Buffer.alloc(0), timeoutMs, `Negotiate ${negotiate.toString('base64')}`, signal);
    const offered = [r1.headers['www-authenticate'] ?? []].flat();
    const token = offered.map((h) => /^(?:Negotiate|NTLM)\s+([A-Za-z0-9+/=]+)/i.exec(h)?.[1]).find(Boolean);
    if (r1.status !== 401 || !token) {
      if (r1.status === 401) throw this.authError(r1, 'the host does not offer Negotiate/NTLM');
      throw new TransportError('protocol', `${this.s.label}: NTLM handshake: expected HTTP 401 with a challenge, got HTTP ${r1.status}`);
    }
    const authenticate = authenticateMessage({
      negotiate,
      challenge: Buffer.from(token, 'base64'),
      username: this.s.username,
      password: this.s.password,
      channelBindings: this.peerCert ? channelBindingsHash(this.peerCert) : undefined,
    });
    const r2 = await this.send(xml, timeoutMs, `Negotiate ${authenticate.toString('base64')}`, signal);
    if (r2.socket !== r1.socket) throw new TransportError('reset', `${this.s.label}: the WinRM host closed the connection during the NTLM handshake`);
    if (r2.status !== 401) this.authed = r2.socket;
    return r2;
  }

  private refusedIf401(r: HttpReply): HttpReply {
    if (r.status === 401) throw this.authError(r);
    return r;
  }

  private authError(r: HttpReply, why?: string): TransportError {
    const offered = [r.headers['www-authenticate'] ?? []].flat().map((h) => h.split(/\s/)[0]).join(', ') || 'nothing';
    return new TransportError(
      'auth',
      `${this.s.label}: WinRM refused the ${this.s.auth} login of ${this.s.username} (HTTP 401${why ? `, ${why}` : ''}): wrong user or password, or ${this.s.auth} auth is disabled on the host (it offers: ${offered})`,
    );
  }

  /** One HTTP exchange; an abort tears the request (and so the connection) down at once. */
  private send(data: Buffer, timeoutMs: number, authorization?: string, signal?: AbortSignal): Promise<HttpReply> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    this.requests++;
    return new Promise((resolve, reject) => {
      const req = request(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: {
          'Content-Type': 'application/soap+xml;charset=UTF-8',
          'Content-Length': data.length,
          'User-Agent': 'smtp-probe WinRM client',
          ...(authorization ? { Authorization: authorization } : {}),
        },
      });
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no reply within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
      const onAbort = () => req.destroy();
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => (clearTimeout(timer), signal?.removeEventListener('abort', onAbort));
      req.on('error', (err) => {
        settle();
        reject(signal?.aborted ? abortReason(signal) : mapNetError(err, this.s.label));
      });
      req.on('response', (res) => {
        const socket = res.socket; // taken now: a keep-alive socket is detached once the reply ends
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_REPLY_BYTES) {
            settle();
            reject(new TransportError('too-large', `${this.s.label}: the WinRM reply exceeds ${MAX_REPLY_BYTES} bytes`, { retryable: false }));
            req.destroy();
            return;
          }
          parts.push(c);
        });
        res.on('end', () => {
          settle();
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), headers: res.headers, socket });
        });
        res.on('error', (err) => {
          settle();
          reject(signal?.aborted ? abortReason(signal) : mapNetError(err, this.s.label));
        });
      });
      req.end(data);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new TransportError('timeout', 'WinRM request aborted', { retryable: false });
}

function readCa(file: string, label: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new TransportError('tls', `${label}: cannot read the WinRM CA file ${file}: ${(err as Error).message}`, { cause: err, retryable: false });
  }
}

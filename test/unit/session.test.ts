import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { ProxyAttempt, TlsResult } from '../../payload/schema/summary.js';
import type { ProxySpec } from '../../payload/probe/proxy-url.js';
import { runSession, type SessionNet, type SessionParams, type SessionResult } from '../../payload/probe/session.js';

// The session over an in-memory socket: the server is a script that answers each client
// line, so a dialogue bug fails here in milliseconds instead of in the lab. TLS is stood
// in for by handing the same stream back as the "TLS socket".

/** What the scripted server does with one client line: send text, say nothing, or close. */
type Answer = string | null | { send?: string; close: true };
type Script = (line: string) => Answer;

const END_OF_DATA = '<end of data>';

class FakeSocket extends Duplex {
  /** Every line the client sent (message lines folded into END_OF_DATA). */
  readonly received: string[] = [];
  private buf = '';
  private inData = false;

  constructor(private readonly script: Script) {
    super();
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.buf += chunk.toString('latin1');
    let nl: number;
    while ((nl = this.buf.indexOf('\r\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 2);
      if (this.inData && line !== '.') continue;
      const heard = this.inData ? END_OF_DATA : line;
      this.inData = false;
      this.received.push(heard);
      const answer = this.script(heard);
      if (typeof answer === 'string' && answer.startsWith('354')) this.inData = true;
      this.answer(answer);
    }
    cb();
  }

  /** Like a server: the reply comes later than the command, never inside the write. */
  answer(a: Answer): void {
    if (a === null) return;
    setImmediate(() => {
      if (typeof a === 'string') this.push(a);
      else {
        if (a.send) this.push(a.send);
        this.push(null);
      }
    });
  }
}

const TLS_OK: TlsResult = {
  sni: 'smtp.example.test',
  after: 'starttls',
  handshake_ms: 1.5,
  protocol: 'TLSv1.3',
  cipher: 'TLS_AES_256_GCM_SHA384',
  cipher_standard_name: 'TLS_AES_256_GCM_SHA384',
  alpn: null,
  authorized: true,
  verify_error: null,
  verify_reason: null,
  chain: [],
  os_trusted: null,
  os_store: null,
  error: null,
};

const SOCKS: ProxySpec = { kind: 'socks5h', host: '127.0.0.1', port: 1080, user: null, password: null, passwordFrom: null, source: '--proxy' };

/** What a fake proxy reports: the tunnel to `destination` opened by a SOCKS5 0x00. */
function tunnelFacts(spec: ProxySpec, host: string, port: number, resolvedBy: 'local' | 'proxy'): ProxyAttempt {
  return {
    proxy: `${spec.kind}://${spec.host}:${spec.port}`,
    kind: spec.kind,
    source: spec.source,
    destination: `${host}:${port}`,
    resolved_by: resolvedBy,
    connect_ms: 0.3,
    tunnel_ms: 1.2,
    reply: 'SOCKS5 0x00 succeeded',
    reply_code: 0,
    failed_step: null,
    error: null,
  };
}

/** A network with one socket: connect (direct or through the proxy) returns it, TLS "upgrades" it in place. */
function fakeNet(sock: FakeSocket, greeting: Answer): SessionNet & { secondLooks: number; tunnels: string[] } {
  const net = {
    secondLooks: 0,
    tunnels: [] as string[],
    tcpConnect: async () => {
      sock.answer(greeting);
      return { socket: sock as unknown as Socket, connectMs: 0.4, connectedAt: Date.now(), localAddress: '127.0.0.1', localPort: 40001, error: null };
    },
    proxyConnect: async (spec: ProxySpec, host: string, port: number, _timeoutMs: number, resolvedBy: 'local' | 'proxy') => {
      net.tunnels.push(`${host}:${port} by ${resolvedBy}`);
      sock.answer(greeting);
      return { socket: sock as unknown as Socket, connectMs: 1.6, connectedAt: Date.now(), localAddress: '127.0.0.1', localPort: 40002, error: null, proxy: tunnelFacts(spec, host, port, resolvedBy) };
    },
    startTls: async (_raw: Socket, p: { after: TlsResult['after'] }) => ({ socket: sock as unknown as TLSSocket, raw: [], result: { ...TLS_OK, after: p.after } }),
    portSpeaksTls: async () => {
      net.secondLooks++;
      return false;
    },
  };
  return net;
}

const SECRET = 'app-password-1234';
const PLAIN_B64 = Buffer.from(`\0bot@example.test\0${SECRET}`).toString('base64');

function params(over: Partial<SessionParams> = {}): SessionParams {
  return {
    target: { address: '192.0.2.10', family: 4 },
    port: 587,
    mode: 'plain',
    sni: 'smtp.example.test',
    verifyName: 'smtp.example.test',
    ehloName: 'runner.example.test',
    trust: undefined,
    timeouts: { dns: 1000, connect: 1000, tls: 1000, smtp: 1000 },
    ...over,
  };
}

const auth = (slots = 1) => ({ user: 'bot@example.test', secret: SECRET, isToken: false, mechanism: 'auto' as const, claim: () => slots-- > 0 });
const send = { from: 'bot@example.test', to: 'inbox@example.test', runId: 'run-1', attachment: null };

const EHLO_PLAIN = '250-smtp.example.test at your service, [203.0.113.7]\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n';
const EHLO_TLS = '250-smtp.example.test at your service, [203.0.113.7]\r\n250-SIZE 35882577\r\n250-AUTH LOGIN PLAIN XOAUTH2\r\n250 SMTPUTF8\r\n';

/** A well-behaved server; `over` replaces the answer to the command it names (by verb). */
function server(over: Record<string, Answer> = {}): Script {
  let tls = false;
  return (line) => {
    const verb = line === END_OF_DATA ? END_OF_DATA : line.split(/[\s:]/)[0]!.toUpperCase();
    if (verb in over) return over[verb]!;
    switch (verb) {
      case 'EHLO':
        return tls ? EHLO_TLS : EHLO_PLAIN.replace('250 SMTPUTF8', '250-SMTPUTF8\r\n250 STARTTLS');
      case 'STARTTLS':
        tls = true;
        return '220 2.0.0 Ready to start TLS\r\n';
      case 'AUTH':
        return '235 2.7.0 Accepted\r\n';
      case 'MAIL':
      case 'RCPT':
        return '250 2.1.0 OK\r\n';
      case 'DATA':
        return '354 Go ahead\r\n';
      case END_OF_DATA:
        return '250 2.0.0 OK 1700000000 queued\r\n';
      case 'RSET':
      case 'NOOP':
        return '250 2.0.0 OK\r\n';
      case 'QUIT':
        return { send: '221 2.0.0 closing connection\r\n', close: true };
      default:
        return '502 5.5.1 Unrecognized command\r\n';
    }
  };
}

async function session(p: SessionParams, script: Script, greeting: Answer = '220 smtp.example.test ESMTP ready\r\n') {
  const sock = new FakeSocket(script);
  const net = fakeNet(sock, greeting);
  const r = await runSession(p, net);
  const text = r.transcript.lines.map((l) => `${l.dir} ${l.text}`);
  return { r, sock, net, text };
}

const codes = (r: SessionResult) => Object.fromEntries((['banner', 'ehlo', 'starttls', 'ehlo_tls', 'auth', 'mail', 'rcpt', 'data', 'data_end', 'rset', 'noop', 'quit'] as const).map((k) => [k, r.smtp[k]?.code ?? null]));

describe('SMTP session, in memory', () => {
  it('goes through STARTTLS, AUTH PLAIN, MAIL, RCPT and DATA, and withholds the credentials', async () => {
    const { r, sock, text } = await session(params({ mode: 'starttls', auth: auth(), send }), server());
    expect(r.failedStage).toBeNull();
    expect(r.smtp.error).toBeNull();
    expect(codes(r)).toEqual({ banner: 220, ehlo: 250, starttls: 220, ehlo_tls: 250, auth: 235, mail: 250, rcpt: 250, data: 354, data_end: 250, rset: null, noop: 250, quit: 221 });
    expect(sock.received).toEqual([
      'EHLO runner.example.test',
      'STARTTLS',
      'EHLO runner.example.test',
      `AUTH PLAIN ${PLAIN_B64}`,
      'MAIL FROM:<bot@example.test>',
      'RCPT TO:<inbox@example.test>',
      'DATA',
      END_OF_DATA,
      'NOOP',
      'QUIT',
    ]);
    // The extensions are the ones said over TLS, the egress address the one the server saw.
    expect(r.smtp.features.auth_mechanisms).toEqual(['LOGIN', 'PLAIN', 'XOAUTH2']);
    expect(r.smtp.egress_ip).toBe('203.0.113.7');
    expect(r.smtp.auth_mechanism).toBe('PLAIN');
    expect(r.tls).toMatchObject({ after: 'starttls', authorized: true });
    expect(r.smtp.message?.bytes).toBeGreaterThan(0);
    expect(r.tcp).toEqual({ ok: true, connect_ms: 0.4, local_address: '127.0.0.1', local_port: 40001, error: null });
    expect(r.proxy).toBeNull();
    // After AUTH only the verb and the code reach the transcript.
    expect(text).toContain('C AUTH PLAIN [withheld]');
    expect(text).toContain('S 235 2.7.0 Accepted');
    expect(JSON.stringify(r)).not.toContain(PLAIN_B64);
    expect(JSON.stringify(r.transcript.lines)).not.toContain(SECRET);
    expect(text.some((l) => l.startsWith('** message sent:') && l.endsWith('(content not recorded)'))).toBe(true);
    expect(r.smtp.last_line).toBe('221 2.0.0 closing connection');
  });

  it('in plain mode says no STARTTLS and never sends credentials in clear text', async () => {
    const { r, sock, text } = await session(params({ auth: auth() }), server());
    expect(r.failedStage).toBeNull();
    expect(r.tls).toBeNull();
    expect(r.smtp.ehlo?.lines).toHaveLength(6);
    expect(r.smtp.extensions).toEqual(['SIZE 35882577', '8BITMIME', 'PIPELINING', 'SMTPUTF8', 'STARTTLS']);
    expect(r.smtp.auth_skipped).toMatch(/clear text/);
    expect(sock.received).toEqual(['EHLO runner.example.test', 'NOOP', 'QUIT']);
    expect(text[0]).toBe('** connect 192.0.2.10:587 (plain)');
    expect(text).toContain('S 221 2.0.0 closing connection');
  });

  it('stops at a 554 greeting without saying EHLO', async () => {
    const { r, sock } = await session(params(), server(), '554 5.7.1 No SMTP service here\r\n');
    expect(r.failedStage).toBe('smtp');
    expect(r.smtp.banner).toMatchObject({ code: 554, enhanced: '5.7.1' });
    expect(r.smtp.ehlo).toBeNull();
    expect(sock.received).toEqual([]);
    expect(sock.destroyed).toBe(true);
  });

  it('a 530 "must STARTTLS" to MAIL FROM is an auth failure, ended with QUIT', async () => {
    const { r, sock, text } = await session(params({ send }), server({ MAIL: '530 5.7.0 Must issue a STARTTLS command first.\r\n' }));
    expect(r.failedStage).toBe('auth');
    expect(r.smtp.mail).toMatchObject({ code: 530, enhanced: '5.7.0' });
    expect(r.smtp.rcpt).toBeNull();
    expect(sock.received).toEqual(['EHLO runner.example.test', 'MAIL FROM:<bot@example.test>', 'QUIT']);
    // The polite QUIT is in the transcript but not a step of its own.
    expect(r.smtp.quit).toBeNull();
    expect(text.slice(-2)).toEqual(['C QUIT', 'S 221 2.0.0 closing connection']);
  });

  it('a 535 to AUTH fails the auth stage, masked, and sends no MAIL', async () => {
    const reply = '535-5.7.8 Username and Password not accepted. eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIn0=\r\n535 5.7.8 https://support.google.com/mail/?p=BadCredentials - gsmtp\r\n';
    const { r, sock, text } = await session(params({ mode: 'starttls', auth: auth(), send }), server({ AUTH: reply }));
    expect(r.failedStage).toBe('auth');
    expect(r.smtp.auth).toMatchObject({ code: 535, enhanced: '5.7.8' });
    expect(r.smtp.auth!.lines[0]).toBe('535-5.7.8 Username and Password not accepted. [withheld]');
    expect(r.smtp.mail).toBeNull();
    expect(sock.received.slice(-2)).toEqual([`AUTH PLAIN ${PLAIN_B64}`, 'QUIT']);
    expect(text).toContain('C AUTH PLAIN [withheld]');
    expect(text).toContain('S 535-5.7.8 Username and Password not accepted. [withheld]');
    expect(JSON.stringify(r)).not.toContain(PLAIN_B64);
  });

  it('a 550 to RCPT fails the smtp stage after a polite QUIT', async () => {
    const { r, sock } = await session(params({ send }), server({ RCPT: '550 5.1.1 The email account that you tried to reach does not exist.\r\n' }));
    expect(r.failedStage).toBe('smtp');
    expect(r.smtp.rcpt).toMatchObject({ code: 550, enhanced: '5.1.1' });
    expect(r.smtp.data).toBeNull();
    expect(sock.received.slice(-2)).toEqual(['RCPT TO:<inbox@example.test>', 'QUIT']);
  });

  it('a connection closed in the middle of the EHLO reply keeps the lines read', async () => {
    const { r, text } = await session(params(), server({ EHLO: { send: '250-smtp.example.test at your service\r\n250-SIZE 35882577\r\n', close: true } }));
    expect(r.failedStage).toBe('smtp');
    expect(r.smtp.error).toMatchObject({ kind: 'closed', message: 'ehlo: server closed the connection' });
    expect(r.smtp.ehlo).toMatchObject({ code: null, lines: ['250-smtp.example.test at your service', '250-SIZE 35882577'] });
    expect(r.smtp.last_line).toBe('250-SIZE 35882577');
    expect(text).toContain('** ehlo failed: closed: server closed the connection');
  });

  it('a silent port times out at the banner and gets the second look for implicit TLS', async () => {
    const p = params({ timeouts: { dns: 1000, connect: 1000, tls: 1000, smtp: 60 } });
    const { r, net, sock, text } = await session(p, server(), null);
    expect(r.failedStage).toBe('smtp');
    expect(r.smtp.error).toMatchObject({ kind: 'timeout', code: 'ETIMEDOUT', message: 'banner: no complete reply to the connection (banner) within 60 ms' });
    expect(net.secondLooks).toBe(1);
    expect(r.smtp.port_speaks_tls).toBe(false);
    expect(text.at(-1)).toBe('** second look: the port did not answer a TLS ClientHello on a new connection');
    expect(sock.received).toEqual([]);
  });

  it('a timeout after the banner keeps the partial reply and ends the attempt', async () => {
    const p = params({ timeouts: { dns: 1000, connect: 1000, tls: 1000, smtp: 60 } });
    const { r, net } = await session(p, server({ NOOP: '250-still\r\n' }));
    expect(r.failedStage).toBe('smtp');
    expect(r.smtp.error).toMatchObject({ kind: 'timeout', message: 'noop: no complete reply to NOOP within 60 ms' });
    expect(r.smtp.noop).toMatchObject({ code: null, lines: ['250-still'] });
    expect(r.smtp.quit).toBeNull();
    expect(net.secondLooks).toBe(0);
  });

  it('a refused connection is a connect failure with no dialogue', async () => {
    const net: SessionNet = {
      tcpConnect: async () => ({ socket: null, connectMs: null, connectedAt: null, localAddress: null, localPort: null, error: { kind: 'refused', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } }),
      proxyConnect: () => Promise.reject(new Error('not reached')),
      startTls: () => Promise.reject(new Error('not reached')),
      portSpeaksTls: () => Promise.reject(new Error('not reached')),
    };
    const r = await runSession(params(), net);
    expect(r.failedStage).toBe('connect');
    expect(r.tcp).toMatchObject({ ok: false, error: { kind: 'refused' } });
    expect(r.proxy).toBeNull();
    expect(r.transcript.lines.map((l) => l.text)).toEqual(['connect 192.0.2.10:587 (plain)', 'connect failed: refused (ECONNREFUSED)']);
  });

  it('through a SOCKS5h proxy: the name goes to the proxy, the tunnel is in the transcript, the dialogue is the same', async () => {
    const p = params({ target: { address: 'smtp.example.test', family: null }, mode: 'starttls', proxy: { spec: SOCKS, resolvedBy: 'proxy' } });
    const { r, net, sock, text } = await session(p, server());
    expect(net.tunnels).toEqual(['smtp.example.test:587 by proxy']);
    expect(r.failedStage).toBeNull();
    expect(codes(r)).toMatchObject({ banner: 220, ehlo: 250, starttls: 220, ehlo_tls: 250, noop: 250, quit: 221 });
    expect(sock.received).toEqual(['EHLO runner.example.test', 'STARTTLS', 'EHLO runner.example.test', 'NOOP', 'QUIT']);
    expect(r.tcp).toEqual({ ok: true, connect_ms: 1.6, local_address: '127.0.0.1', local_port: 40002, error: null });
    expect(r.proxy).toMatchObject({ proxy: 'socks5h://127.0.0.1:1080', destination: 'smtp.example.test:587', resolved_by: 'proxy', reply_code: 0, failed_step: null });
    expect(text.slice(0, 4)).toEqual([
      '** connect smtp.example.test:587 (starttls) through SOCKS5H proxy 127.0.0.1:1080, name resolved by the proxy',
      '** proxy: TCP connected in 0.3 ms',
      '** proxy: SOCKS5 0x00 succeeded after 1.2 ms',
      '** connected from 127.0.0.1:40002 in 1.6 ms',
    ]);
  });

  it('through a proxy, a silent port gets no second look (it would go direct)', async () => {
    const p = params({ proxy: { spec: SOCKS, resolvedBy: 'local' }, timeouts: { dns: 1000, connect: 1000, tls: 1000, smtp: 60 } });
    const { r, net } = await session(p, server(), null);
    expect(net.tunnels).toEqual(['192.0.2.10:587 by local']);
    expect(r.failedStage).toBe('smtp');
    expect(r.smtp.error).toMatchObject({ kind: 'timeout' });
    expect(net.secondLooks).toBe(0);
    expect(r.smtp.port_speaks_tls).toBeNull();
  });

  it('a tunnel the proxy refuses is a connect failure that keeps what the proxy said', async () => {
    const error = { kind: 'proxy-refused', code: 'SOCKS5 0x05', message: 'the SOCKS5 proxy could not reach 192.0.2.10:587: connection refused' };
    const net: SessionNet = {
      tcpConnect: () => Promise.reject(new Error('not reached: the proxy path never connects directly')),
      proxyConnect: async (spec, host, port, _t, resolvedBy) => ({
        socket: null,
        connectMs: null,
        connectedAt: null,
        localAddress: '127.0.0.1',
        localPort: 40003,
        error,
        proxy: { ...tunnelFacts(spec, host, port, resolvedBy), reply: 'SOCKS5 0x05 connection refused', reply_code: 5, failed_step: 'tunnel', error },
      }),
      startTls: () => Promise.reject(new Error('not reached')),
      portSpeaksTls: () => Promise.reject(new Error('not reached')),
    };
    const r = await runSession(params({ proxy: { spec: { ...SOCKS, kind: 'socks5' }, resolvedBy: 'local' } }), net);
    expect(r.failedStage).toBe('connect');
    expect(r.tcp).toMatchObject({ ok: false, error: { kind: 'proxy-refused', code: 'SOCKS5 0x05' } });
    expect(r.proxy).toMatchObject({ proxy: 'socks5://127.0.0.1:1080', failed_step: 'tunnel', reply_code: 5, error: { kind: 'proxy-refused' } });
    expect(r.transcript.lines.map((l) => l.text)).toEqual([
      'connect 192.0.2.10:587 (plain) through SOCKS5 proxy 127.0.0.1:1080',
      'proxy: TCP connected in 0.3 ms',
      'proxy: SOCKS5 0x05 connection refused after 1.2 ms',
      'connect failed: proxy-refused (SOCKS5 0x05)',
    ]);
  });
});

// The tee's listener: accepts bot connections up to --max-sessions at once, runs each as
// a session, and on stop closes what is still open and hands back every session's record.
import { createServer, type Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { trustContext } from '../probe/tls.js';
import { makeTeeCertificates, type TeeCertificates } from './cert.js';
import type { TeeSettings } from './options.js';
import { runTeeSession, type TeeSessionOutcome } from './session.js';

// Sessions kept for the report; beyond this a long tee run only counts them (memory stays bounded).
export const MAX_RECORDED_SESSIONS = 1000;
// On stop, sessions in flight get this long to finish before both legs are closed.
const STOP_GRACE_MS = 1500;

export interface TeeRun {
  sessions: TeeSessionOutcome[];
  refused: number;
  notRecorded: number;
}

export interface TeeServer {
  host: string;
  port: number;
  certs: TeeCertificates;
  stop(): Promise<TeeRun>;
}

export async function startTee(s: TeeSettings): Promise<TeeServer> {
  const certs = makeTeeCertificates([s.listen.host, 'localhost', '127.0.0.1', '::1', s.upstream.host]);
  const botContext = createSecureContext({ key: certs.keyPem, cert: certs.certPem + certs.caPem });
  const trust = trustContext(s.ca);
  const sessions: TeeSessionOutcome[] = [];
  const running = new Set<Promise<void>>();
  const closers = new Set<() => void>();
  let refused = 0;
  let notRecorded = 0;
  let stopping = false;

  const server = createServer({ noDelay: true }, (sock: Socket) => {
    sock.on('error', () => {});
    if (stopping || running.size >= s.maxSessions) {
      refused++;
      sock.end(`421 4.3.2 tee: too many sessions at once (--max-sessions ${s.maxSessions}), try again later\r\n`);
      return;
    }
    let close: (() => void) | null = null;
    const job = runTeeSession(sock, {
      upstream: { host: s.upstream.host, port: s.upstream.port, tls: s.upstream.tls, sni: s.sni, verifyName: s.verifyName, trust },
      botTls: s.botTls,
      botContext,
      idleMs: s.idleMs,
      connectMs: Math.min(s.idleMs, 15_000),
      tlsMs: Math.min(s.idleMs, 15_000),
      maxMessageBytes: s.maxMessageBytes,
      onStop: (c) => {
        close = c;
        closers.add(c);
      },
    }).then((o) => {
      if (close) closers.delete(close);
      if (sessions.length < MAX_RECORDED_SESSIONS) sessions.push(o);
      else notRecorded++;
    });
    running.add(job);
    void job.finally(() => running.delete(job));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(s.listen.port, s.listen.host, () => (server.off('error', reject), resolve()));
  });
  const addr = server.address() as { address: string; port: number };

  return {
    host: addr.address,
    port: addr.port,
    certs,
    async stop() {
      stopping = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      if (running.size) {
        await Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]);
        for (const c of closers) c();
        await Promise.all(running);
      }
      await closed;
      sessions.sort((a, b) => a.record.started_at.localeCompare(b.record.started_at));
      return { sessions, refused, notRecorded };
    },
  };
}

// One bot session through the tee, terminated as SMTP on both sides: the bot's commands
// are read one at a time and relayed, the upstream's replies relayed back. So each leg
// has its own TLS: the tee answers the bot's STARTTLS itself and upgrades the upstream
// leg before the bot's EHLO that follows. What is recorded goes through the probe's
// Transcript (AUTH payloads withheld) and address masking; message text never does.
import { lookup } from 'node:dns/promises';
import type { Socket } from 'node:net';
import { performance } from '../util/clock.js';
import type { SecureContext } from 'node:tls';
import type { ErrorInfo, SmtpReply, SmtpResult, TlsResult } from '../schema/summary.js';
import type { BotTls, MessageFactsRecord, TeeCommand, TeeSession } from '../schema/tee.js';
import { egressIp, parseExtensions } from '../probe/extensions.js';
import { emptySmtp } from '../probe/session.js';
import { tcpConnect } from '../probe/tcp.js';
import { startTls } from '../probe/tls.js';
import { Transcript, maskBase64 } from '../probe/transcript.js';
import { Wire, WireError, type Reply } from '../probe/wire.js';
import { errorCode, errorMessage } from '../util/errors.js';
import { BotReader, type ReadEnd } from './bot-reader.js';
import { acceptTls } from './bot-tls.js';
import { maskAddresses, rewriteEhlo } from './ehlo-rewrite.js';
import { MessageSummariser } from './mime-summary.js';

export type UpstreamTls = 'starttls' | 'implicit' | 'none';
export type BotTlsMode = 'none' | 'starttls' | 'implicit';

export interface TeeSessionParams {
  upstream: { host: string; port: number; tls: UpstreamTls; sni: string | null; verifyName: string; trust: SecureContext | undefined };
  botTls: BotTlsMode;
  botContext: SecureContext;
  idleMs: number;
  connectMs: number;
  tlsMs: number;
  maxMessageBytes: number;
  /** Called when the tee stops: the session closes both legs. */
  onStop: (close: () => void) => void;
}

/** What a session leaves: the session record without its id/classification/file, and its transcript. */
export interface TeeSessionOutcome {
  record: Omit<TeeSession, 'id' | 'round' | 'classification' | 'transcript_file'>;
  transcript: Transcript;
  /** Set when the session failed before the upstream dialogue could be judged by the probe's classifier. */
  early: 'dns' | 'bot-tls' | null;
  dnsError: ErrorInfo | null;
  tlsRaw: Buffer[];
}

const MAX_COMMANDS = 500;
const MAX_TRANSCRIPT_LINES = 5000;
type Slot = 'banner' | 'ehlo' | 'starttls' | 'ehlo_tls' | 'auth' | 'mail' | 'rcpt' | 'data' | 'data_end' | 'rset' | 'noop' | 'quit';

class Ended extends Error {
  constructor(readonly why: TeeSession['ended_by']) {
    super(why);
  }
}

export async function runTeeSession(bot: Socket, p: TeeSessionParams): Promise<TeeSessionOutcome> {
  const t0 = performance.now();
  const startedAt = Date.now();
  const transcript = new Transcript(Date.now, MAX_TRANSCRIPT_LINES);
  const smtp: SmtpResult = emptySmtp();
  const commands: TeeCommand[] = [];
  let commandsDropped = 0;
  const messages: MessageFactsRecord[] = [];
  const notes: string[] = [];
  const botAddr = { address: bot.remoteAddress ?? '?', port: bot.remotePort ?? 0 };
  let botSocket: Socket = bot;
  let botTls: BotTls | null = null;
  let botSecure = false;
  let botEhlo: string | null = null;
  let upSocket: Socket | null = null;
  let upTls: TlsResult | null = null;
  let tlsRaw: Buffer[] = [];
  let upSecure = false;
  let upEhloDone = false;
  let upAddress = p.upstream.host;
  let family: 4 | 6 = 4;
  let tcp: TeeSession['tcp'] = { ok: false, connect_ms: null, local_address: null, local_port: null, error: null };
  let connectedAt: number | null = null;
  let dnsError: ErrorInfo | null = null;
  let early: TeeSessionOutcome['early'] = null;
  let endedBy: TeeSession['ended_by'] = 'bot-closed';
  const reader = new BotReader();
  const wire = new Wire((line, final) => transcript.server(maskAddresses(line), final));
  let stopped = false;
  const closeAll = () => {
    stopped = true;
    botSocket.destroy();
    upSocket?.destroy();
  };
  p.onStop(closeAll);
  bot.on('error', () => {});

  // Lines are latin1 strings holding the bytes as sent, so 8-bit text (SMTPUTF8) passes unchanged.
  const toBot = (lines: readonly string[]) => {
    if (!botSocket.destroyed) botSocket.write(Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1'));
  };
  const upWrite = (line: string) => {
    if (upSocket && !upSocket.destroyed) upSocket.write(Buffer.from(`${line}\r\n`, 'latin1'));
  };
  /** What the bot sent, shown as text: its bytes are UTF-8 when they are not ASCII. */
  const shownText = (line: string) => Buffer.from(line, 'latin1').toString('utf8');
  /** A reply the tee makes itself; in the transcript as an event, so it is never mistaken for the server's. */
  const teeSays = (line: string) => {
    transcript.event(`tee answers the bot: ${line}`);
    toBot([line]);
  };
  const note = (text: string) => {
    notes.push(text);
    transcript.event(text);
  };
  const logCommand = (c: Omit<TeeCommand, 'at'> & { at: number }) => {
    if (commands.length < MAX_COMMANDS) commands.push({ ...c, at: new Date(c.at).toISOString() });
    else commandsDropped++;
  };
  const store = (slot: Slot, r: Reply, ms: number) => {
    const rec: SmtpReply = { code: r.code, enhanced: r.enhanced, lines: r.lines.map((l) => maskAddresses(slot === 'auth' ? maskBase64(l) : l)), ms };
    // Latest reply per step, but a failure sticks: it is what the session is judged on.
    const prev = smtp[slot];
    if (prev && prev.code !== null && prev.code >= 400 && !(r.code >= 400)) return;
    smtp[slot] = rec;
  };
  const upRead = async (what: string): Promise<Reply> => {
    try {
      return await wire.read(p.idleMs, what);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      smtp.error = { ...err.info, message: `${what}: ${err.info.message}` };
      transcript.event(`upstream ${what} failed: ${err.info.kind}: ${err.info.message}`);
      teeSays(`421 4.4.2 tee: the upstream server ${err.info.kind === 'timeout' ? 'did not answer' : 'closed the connection'}`);
      throw new Ended('upstream-closed');
    }
  };
  /** The tee's own command to upstream (EHLO before its STARTTLS): shown as an event, read as a reply. */
  const teeAsk = async (slot: Slot, line: string): Promise<Reply> => {
    transcript.event(`tee to upstream: ${line}`);
    const s0 = performance.now();
    upWrite(line);
    const r = await upRead(line.split(' ')[0]!);
    store(slot, r, performance.now() - s0);
    return r;
  };
  const readEhlo = (r: Reply) => {
    smtp.extensions = r.lines.slice(1).map((l) => l.slice(4));
    smtp.features = parseExtensions(smtp.extensions);
    smtp.egress_ip = egressIp(r.lines[0]!) ?? smtp.egress_ip;
  };

  const upgradeUpstream = async () => {
    const at = Date.now();
    const u0 = performance.now();
    if (!upEhloDone) {
      const e = await teeAsk('ehlo', `EHLO ${botEhlo ?? 'localhost'}`);
      if (e.code === 250) readEhlo(e);
    }
    const st = await teeAsk('starttls', 'STARTTLS');
    if (st.code !== 220) {
      smtp.error = { kind: 'starttls-refused', code: String(st.code), message: `STARTTLS answered ${st.lines[0]}` };
      teeSays('421 4.7.0 tee: the upstream server refused STARTTLS');
      throw new Ended('upstream-failed');
    }
    await upstreamHandshake('starttls');
    upEhloDone = false;
    // The tee's own upgrade of the upstream leg, so the bot's next EHLO time is not a mystery.
    logCommand({ verb: '(upstream STARTTLS)', at, answered_by: 'upstream', code: st.code, upstream_ms: performance.now() - u0, total_ms: performance.now() - u0 });
  };
  const upstreamHandshake = async (after: TlsResult['after']) => {
    wire.detach();
    transcript.event(`TLS handshake with upstream${p.upstream.sni ? `, SNI ${p.upstream.sni}` : ', no SNI'}`);
    const out = await startTls(upSocket!, { sni: p.upstream.sni, verifyName: p.upstream.verifyName, trust: p.upstream.trust, timeoutMs: p.tlsMs, after, ticketWaitMs: 5 });
    upTls = out.result;
    tlsRaw = out.raw ?? [];
    if (!out.socket) {
      transcript.event(`upstream TLS failed: ${upTls.error!.kind}: ${upTls.error!.message}`);
      teeSays('421 4.7.0 tee: TLS with the upstream server failed');
      throw new Ended('upstream-failed');
    }
    transcript.event(
      `upstream TLS ${upTls.protocol} ${upTls.cipher} in ${upTls.handshake_ms!.toFixed(1)} ms; ` +
        (upTls.authorized ? `certificate verified for ${p.upstream.verifyName}` : `certificate NOT trusted: ${upTls.verify_error} (${upTls.verify_reason}); credentials will not be relayed`),
    );
    upSocket = out.socket;
    upSocket.on('error', () => {});
    wire.attach(upSocket);
    upSecure = true;
  };
  const botHandshake = async (after: BotTls['after']) => {
    const leftover = reader.detach();
    if (leftover.length) note(`discarded ${leftover.length} bytes the bot sent before TLS (RFC 3207)`);
    transcript.event('TLS handshake with the bot');
    const out = await acceptTls(botSocket, p.botContext, after, p.tlsMs);
    botTls = out.tls;
    if (!out.socket) {
      transcript.event(`bot TLS failed: ${botTls.error!.kind}: ${botTls.error!.message}`);
      early = 'bot-tls';
      throw new Ended('bot-tls-failed');
    }
    transcript.event(`bot TLS ${botTls.protocol} ${botTls.cipher}${botTls.sni ? `, SNI ${botTls.sni}` : ', no SNI'} in ${botTls.handshake_ms!.toFixed(1)} ms`);
    botSocket = out.socket;
    botSocket.on('error', () => {});
    reader.attach(botSocket);
    botSecure = true;
  };
  const botLine = async (): Promise<string> => {
    const r: string | ReadEnd = await reader.readLine(p.idleMs);
    if (typeof r === 'string') return r;
    if (stopped) throw new Ended('tee-stopped');
    if (r.kind === 'timeout') {
      teeSays('421 4.4.2 tee: idle timeout, closing');
      throw new Ended('idle-timeout');
    }
    if (r.kind === 'too-long') {
      teeSays('500 5.5.2 tee: line too long');
      throw new Ended('line-too-long');
    }
    throw new Ended('bot-closed');
  };

  try {
    transcript.event(`bot connected from ${botAddr.address}:${botAddr.port} (bot leg: ${p.botTls})`);
    if (p.botTls === 'implicit') await botHandshake('connect');
    else reader.attach(botSocket);

    // Resolved per session, as the bot would: a changing answer is part of the evidence.
    try {
      // getaddrinfo has no deadline of its own; a stuck resolver must not hold the bot forever.
      const a = await Promise.race([
        lookup(p.upstream.host),
        new Promise<never>((_r, reject) => setTimeout(() => reject(Object.assign(new Error(`no answer within ${p.connectMs} ms`), { code: 'ETIMEOUT' })), p.connectMs).unref()),
      ]);
      upAddress = a.address;
      family = a.family === 6 ? 6 : 4;
    } catch (err) {
      const code = errorCode(err) ?? null;
      dnsError = { kind: code === 'ENOTFOUND' ? 'nxdomain' : code === 'EAI_AGAIN' ? 'temporary-failure' : code === 'ETIMEOUT' ? 'timeout' : 'error', code, message: errorMessage(err) };
      transcript.event(`upstream name ${p.upstream.host} did not resolve: ${code ?? dnsError.message}`);
      early = 'dns';
      teeSays('421 4.4.3 tee: the upstream name does not resolve');
      throw new Ended('upstream-failed');
    }
    transcript.event(`connect upstream ${upAddress}:${p.upstream.port} (${p.upstream.tls})`);
    const c = await tcpConnect(upAddress, p.upstream.port, p.connectMs);
    tcp = { ok: c.error === null, connect_ms: c.connectMs, local_address: c.localAddress, local_port: c.localPort, error: c.error };
    connectedAt = c.connectedAt;
    if (!c.socket) {
      transcript.event(`upstream connect failed: ${c.error!.kind} (${c.error!.code ?? c.error!.message})`);
      teeSays('421 4.4.1 tee: cannot connect to the upstream server');
      throw new Ended('upstream-failed');
    }
    upSocket = c.socket;
    upSocket.on('error', () => {});
    transcript.event(`upstream connected from ${c.localAddress}:${c.localPort} in ${c.connectMs!.toFixed(1)} ms`);
    if (p.upstream.tls === 'implicit') await upstreamHandshake('connect');
    else wire.attach(upSocket);

    const b0 = performance.now();
    const banner = await upRead('banner');
    store('banner', banner, performance.now() - b0);
    toBot(banner.raw ?? banner.lines);
    logCommand({ verb: '(banner)', at: Date.now(), answered_by: 'upstream', code: banner.code, upstream_ms: performance.now() - b0, total_ms: performance.now() - b0 });
    if (banner.code !== 220) throw new Ended('upstream-closed');

    for (;;) {
      const line = await botLine();
      const at = Date.now();
      const c0 = performance.now();
      const verb = (/^\S*/.exec(line)![0] || '').toUpperCase();
      const done = (answered_by: TeeCommand['answered_by'], code: number | null, upstreamMs: number | null, shownVerb = verb) =>
        logCommand({ verb: shownVerb.slice(0, 24), at, answered_by, code, upstream_ms: upstreamMs, total_ms: performance.now() - c0 });
      /** Relays one command and its reply as they are (the transcript masks what it must). */
      const relay = async (slot: Slot | null, shown = maskAddresses(shownText(line))): Promise<Reply> => {
        transcript.client(shown);
        const s0 = performance.now();
        upWrite(line);
        const r = await upRead(verb || 'command');
        const ms = performance.now() - s0;
        if (slot) store(slot, r, ms);
        return Object.assign(r, { ms });
      };

      if (verb === 'STARTTLS') {
        transcript.client(line);
        if (p.botTls !== 'starttls' || botSecure) {
          teeSays(botSecure ? '503 5.5.1 tee: TLS already active' : '502 5.5.1 tee: STARTTLS not offered on this leg (--bot-tls)');
          done('tee', botSecure ? 503 : 502, null);
          continue;
        }
        teeSays('220 2.0.0 Ready to start TLS (tee)');
        done('tee', 220, null);
        await botHandshake('starttls');
        continue;
      }
      if (verb === 'EHLO' || verb === 'HELO') {
        botEhlo = line.slice(5).trim().slice(0, 255) || null;
        // Before the bot's own STARTTLS the upstream leg stays as it is, so the bot sees the real pre-TLS answer.
        const botFinal = p.botTls !== 'starttls' || botSecure;
        if (botFinal && p.upstream.tls === 'starttls' && !upSecure) await upgradeUpstream();
        const r = await relay(p.upstream.tls === 'starttls' && upSecure ? 'ehlo_tls' : 'ehlo');
        upEhloDone = true;
        let out = r.raw ?? r.lines;
        if (verb === 'EHLO' && r.code === 250) {
          readEhlo(r);
          const w = rewriteEhlo(out, p.botTls === 'starttls' && !botSecure);
          out = w.lines;
          if (w.changes.length) transcript.event(`EHLO reply to the bot: ${w.changes.join(', ')}`);
        }
        toBot(out);
        done('upstream', r.code, (r as Reply & { ms: number }).ms);
        continue;
      }
      if (verb === 'AUTH') {
        const mech = (line.split(/\s+/)[1] ?? '').toUpperCase().slice(0, 20);
        smtp.auth_mechanism = mech || null;
        const why = !upSecure ? 'the upstream leg is not encrypted' : upTls && !(upTls as TlsResult).authorized ? 'the upstream certificate did not verify' : null;
        if (why) {
          transcript.event(`AUTH ${mech} from the bot, not relayed: ${why}`);
          smtp.auth_skipped = `credentials are never relayed when ${why}`;
          teeSays(`530 5.7.0 tee: AUTH not relayed: ${why}`);
          done('tee', 530, null, `AUTH ${mech}`);
          continue;
        }
        const initial = line.trim().split(/\s+/).length > 2;
        transcript.client(line);
        const s0 = performance.now();
        upWrite(line);
        let r = await upRead('AUTH');
        let challenges = 0;
        while (r.code === 334) {
          challenges++;
          toBot(r.raw ?? r.lines);
          const cont = await botLine();
          transcript.client(cont);
          upWrite(cont);
          r = await upRead('AUTH');
        }
        // XOAUTH2 answers a refused token with a 334 carrying the reason (RFC 7628).
        smtp.auth_challenge = mech === 'XOAUTH2' && challenges > (initial ? 0 : 1);
        store('auth', r, performance.now() - s0);
        toBot(r.raw ?? r.lines);
        done('upstream', r.code, performance.now() - s0, `AUTH ${mech}`);
        continue;
      }
      if (verb === 'BDAT') {
        transcript.client('BDAT [not relayed]');
        teeSays('502 5.5.1 tee: BDAT is not relayed (CHUNKING is not advertised)');
        done('tee', 502, null);
        continue;
      }
      if (verb === 'DATA') {
        const r = await relay('data');
        toBot(r.raw ?? r.lines);
        done('upstream', r.code, (r as Reply & { ms: number }).ms);
        if (r.code !== 354) continue;
        await relayMessage();
        continue;
      }
      const slot: Slot | null = verb === 'MAIL' ? 'mail' : verb === 'RCPT' ? 'rcpt' : verb === 'RSET' ? 'rset' : verb === 'NOOP' ? 'noop' : verb === 'QUIT' ? 'quit' : null;
      const r = await relay(slot);
      toBot(r.raw ?? r.lines);
      done('upstream', r.code, (r as Reply & { ms: number }).ms);
      if (verb === 'QUIT') throw new Ended('quit');
      if (r.code === 421) throw new Ended('upstream-closed');
    }
  } catch (err) {
    if (err instanceof Ended) endedBy = stopped && err.why !== 'quit' ? 'tee-stopped' : err.why;
    else {
      smtp.error = { kind: 'internal', code: null, message: errorMessage(err) };
      endedBy = 'upstream-failed';
    }
  } finally {
    transcript.event(`session ended: ${endedBy}`);
    reader.detach();
    if (!botSocket.destroyed) botSocket.end();
    setTimeout(() => botSocket.destroy(), 1000).unref();
    upSocket?.destroy();
  }

  async function relayMessage(): Promise<void> {
    const at = Date.now();
    const c0 = performance.now();
    const summary = new MessageSummariser();
    let sent = 0;
    let tooLarge = false;
    const up = upSocket!;
    const end = await reader.readData(
      async (raw) => {
        sent += raw.length;
        if (sent > p.maxMessageBytes) tooLarge = true;
        if (tooLarge) return;
        // Backpressure: the bot waits while the upstream is slower, so memory stays bounded.
        if (!up.write(raw)) await new Promise<void>((r) => (up.once('drain', r), up.once('close', r)));
      },
      (bytes) => summary.write(bytes),
      p.idleMs,
    );
    const facts = summary.finish();
    const record = (relayed: boolean, code: number | null) => messages.length < 100 && messages.push({ ...facts, relayed, reply_code: code });
    const shown = `message from the bot: ${facts.bytes} bytes, ${facts.header_names.length} header fields (${facts.header_names.join(', ')})` +
      (facts.attachments.length ? `, attachments: ${facts.attachments.map((a) => `${a.name ?? '(no name)'} ${a.type} ${a.bytes} bytes`).join('; ')}` : ', no attachments') +
      ' (content not recorded)';
    if (end) {
      transcript.event(`${shown}; the bot stopped before the end of the message (${end.kind})`);
      record(false, null);
      if (end.kind === 'timeout') teeSays('421 4.4.2 tee: idle timeout during the message');
      throw new Ended(end.kind === 'timeout' ? 'idle-timeout' : stopped ? 'tee-stopped' : 'bot-closed');
    }
    smtp.message = { bytes: facts.bytes, attachment: facts.attachments[0]?.name ?? null };
    if (tooLarge) {
      transcript.event(`${shown}; larger than --max-message-bytes ${p.maxMessageBytes}: not relayed, upstream connection closed`);
      record(false, 552);
      teeSays(`552 5.3.4 tee: message larger than --max-message-bytes (${p.maxMessageBytes})`);
      logCommand({ verb: '(message)', at, answered_by: 'tee', code: 552, upstream_ms: null, total_ms: performance.now() - c0 });
      throw new Ended('message-too-large');
    }
    transcript.event(shown);
    const s0 = performance.now();
    const r = await upRead('the message');
    store('data_end', r, performance.now() - s0);
    record(true, r.code);
    toBot(r.raw ?? r.lines);
    logCommand({ verb: '(message)', at, answered_by: 'upstream', code: r.code, upstream_ms: performance.now() - s0, total_ms: performance.now() - c0 });
  }

  return {
    record: {
      ip: upAddress,
      family,
      // The tee reaches its upstream directly; --proxy is the probe's.
      path: 'direct',
      proxy: null,
      port: p.upstream.port,
      mode: p.upstream.tls === 'none' ? 'plain' : p.upstream.tls,
      started_at: new Date(startedAt).toISOString(),
      connected_time: connectedAt ? new Date(connectedAt).toISOString() : null,
      duration_ms: performance.now() - t0,
      tcp,
      tls: upTls,
      smtp: { ...smtp, last_line: wire.lastLine === null ? null : maskAddresses(wire.lastLine) },
      failed_stage: null,
      bot: { ...botAddr, tls_mode: p.botTls, tls: botTls, ehlo_name: botEhlo },
      upstream_host: p.upstream.host,
      ended_by: endedBy,
      commands,
      commands_not_listed: commandsDropped,
      messages,
      notes,
    },
    transcript,
    early,
    dnsError,
    tlsRaw,
  };
}

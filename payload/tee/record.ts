// Turns the sessions of a tee run into the on-disk record: each session classified with
// the probe's classifier from the tee's own record of the upstream's answers, then the
// summary, the transcripts, the upstream TLS files and report.md.
import { classifyAttempt, classifyDns } from '../classify/classify.js';
import { EXIT_CODES } from '../classify/classes.js';
import { hint } from '../classify/hints.js';
import { hostPort, sweepStats, transcriptFile, verdictOf } from '../probe/sweep.js';
import { osVerdict } from '../probe/tls.js';
import type { Classification, DnsResolution, ProbeSummary, SmtpReply } from '../schema/summary.js';
import type { TeeSession } from '../schema/tee.js';
import type { TeeSessionOutcome } from './session.js';

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];
const JUDGED: ReadonlyArray<keyof TeeSession['smtp']> = ['banner', 'ehlo', 'starttls', 'ehlo_tls', 'mail', 'rcpt', 'data', 'data_end'];

function noDns(host: string, error: DnsResolution['error']): DnsResolution {
  return { schema: 'smtp-probe/dns-resolution', schema_version: 1, host, family: 'any', source: 'system', system_servers: [], getaddrinfo: null, resolvers: [], hosts_file: null, targets: [], differences: [], ms: 0, error };
}

export function classifySession(o: TeeSessionOutcome): { failed: TeeSession['failed_stage']; classification: Classification } {
  const r = o.record;
  if (o.early === 'dns') return { failed: 'dns', classification: classifyDns(noDns(r.upstream_host, o.dnsError)) };
  if (o.early === 'bot-tls') {
    const h = hint('tee-bot-tls');
    const e = r.bot.tls?.error;
    return { failed: 'tls', classification: { class: h.class, hint_id: h.id, summary: h.summary, next_step: h.next_step, evidence: `bot ${r.bot.address}: TLS toward the bot failed: ${e?.kind}: ${e?.message}`.slice(0, 500) } };
  }
  const s = r.smtp;
  const failing = (k: keyof TeeSession['smtp']) => {
    const x = s[k] as SmtpReply | null;
    return !!x && x.code !== null && x.code >= 400;
  };
  let failed: 'connect' | 'tls' | 'auth' | 'smtp' | null = null;
  if (!r.tcp.ok) failed = 'connect';
  else if (r.tls && (r.tls.error || !r.tls.authorized)) failed = 'tls';
  else if (s.error?.kind === 'starttls-refused') failed = 'tls';
  else if (failing('auth')) failed = 'auth';
  else if (s.error || JUDGED.some(failing)) failed = 'smtp';
  const classification = classifyAttempt({
    where: hostPort(r.ip, r.port),
    host: r.upstream_host,
    port: r.port,
    mode: r.mode,
    family: r.family,
    failedStage: failed,
    tcpError: r.tcp.error,
    tls: r.tls,
    smtp: s,
    verifyName: r.tls?.sni ?? r.upstream_host,
    proxyConfigured: PROXY_VARS.some((v) => process.env[v]),
    osTrusted: r.tls?.os_trusted,
  });
  return { failed, classification };
}

export interface TeeRecord {
  sessions: TeeSession[];
  sweep: ProbeSummary['sweep'];
  verdict: ProbeSummary['verdict'];
  transcripts: Array<{ name: string; text: string }>;
}

export function recordSessions(outcomes: TeeSessionOutcome[], header: (s: TeeSession) => string[]): TeeRecord {
  const sessions: TeeSession[] = outcomes.map((o, i) => {
    if (o.record.tls && o.tlsRaw.length) {
      const os = osVerdict(o.tlsRaw);
      o.record.tls.os_trusted = os.trusted;
      o.record.tls.os_store = os.source;
    }
    const { failed, classification } = classifySession(o);
    return {
      ...o.record,
      id: String(i + 1).padStart(3, '0'),
      round: 1,
      failed_stage: failed,
      classification,
      transcript_file: transcriptFile(i, o.record.ip, o.record.port),
    };
  });
  const transcripts = sessions.map((s, i) => ({ name: s.transcript_file, text: outcomes[i]!.transcript.render(header(s)) }));
  return { sessions, sweep: sweepStats(sessions), verdict: teeVerdict(sessions), transcripts };
}

function teeVerdict(sessions: TeeSession[]): ProbeSummary['verdict'] {
  if (!sessions.length) {
    return { class: 'unknown', exit_code: EXIT_CODES.unknown, partial: false, counts: {}, hint_id: 'tee-no-session', summary: 'no bot session came through the tee', evidence: 'no connection was accepted on the listen address', next_step: 'Point the bot at the tee\'s listen address and port, then run the bot\'s mail step while the tee runs.' };
  }
  const host = sessions[0]!.upstream_host;
  return verdictOf(noDns(host, null), sessions);
}


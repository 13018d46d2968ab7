// Stage 5: attempts x addresses x ports with bounded concurrency, then the numbers a
// person needs to tell a transient from a hard failure.
import { classifyAttempt, classifyDns } from '../classify/classify.js';
import { CLASSES, EXIT_CODES, type FailureClass } from '../classify/classes.js';
import { hint } from '../classify/hints.js';
import type { Attempt, Classification, DnsResolution, ProbeSummary, Target } from '../schema/summary.js';
import { TIMING_STAGES } from '../schema/summary.js';
import { mapPool } from '../util/pool.js';
import { distribution } from '../util/stats.js';
import { resolveTarget } from './dns.js';
import { formatDnsServer, type PortSpec, type ProbeSettings } from './options.js';
import { runSession, type SessionParams, type SessionResult } from './session.js';
import { osVerdict, trustContext } from './tls.js';

export interface Job {
  round: number;
  target: Target;
  spec: PortSpec;
}

export interface SweepOutput {
  dns: DnsResolution;
  attempts: Attempt[];
  sessions: SessionResult[];
  sweep: ProbeSummary['sweep'];
  verdict: ProbeSummary['verdict'];
  egressIps: string[];
}

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** File-name-safe on Windows too: IPv6 colons become dashes. */
export function fileSafe(address: string): string {
  return address.replace(/[:%]/g, '-');
}

export function transcriptFile(index: number, address: string, port: number): string {
  return `smtp_transcript_${String(index + 1).padStart(3, '0')}_${fileSafe(address)}_${port}.txt`;
}

export interface SweepHooks {
  onDns?: (d: DnsResolution, jobs: number) => void;
  onAttempt?: (done: number, total: number, a: Attempt) => void;
}

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];

export async function runSweep(s: ProbeSettings, hooks: SweepHooks = {}, runId = 'smtp-probe'): Promise<SweepOutput> {
  const dns = await resolveTarget({ host: s.host, hostsFile: s.hostsFile, family: s.family, timeoutMs: s.timeouts.dns, resolver: s.resolver, compare: s.compareDns });
  const jobs = planJobs(s, dns.targets);
  hooks.onDns?.(dns, jobs.length);
  const run = runContext(s, runId);
  let done = 0;
  const results = await mapPool(jobs, s.concurrency, async (job, i) => {
    const session = await attemptSession(s, run, job);
    const attempt = attemptRecord(job, i, session, classifySession(s, run, job, session));
    hooks.onAttempt?.(++done, jobs.length, attempt);
    return { attempt, session };
  });

  const attempts = results.map((r) => r.attempt);
  return {
    dns,
    attempts,
    sessions: results.map((r) => r.session),
    sweep: sweepStats(attempts),
    verdict: verdictOf(dns, attempts),
    egressIps: [...new Set(attempts.map((a) => a.smtp.egress_ip).filter((x): x is string => !!x))],
  };
}

/** Rounds outermost, so a transient shows up as a pattern over time, not as one burst. */
function planJobs(s: ProbeSettings, targets: Target[]): Job[] {
  const jobs: Job[] = [];
  for (let round = 1; round <= s.attempts; round++) {
    for (const spec of s.ports) for (const target of targets) jobs.push({ round, target, spec });
  }
  return jobs;
}

/** What every attempt of one run shares. */
interface RunContext {
  proxyConfigured: boolean;
  verifyName: string;
  trust: ReturnType<typeof trustContext>;
  auth: SessionParams['auth'];
  send: SessionParams['send'];
}

function runContext(s: ProbeSettings, runId: string): RunContext {
  // AUTH is capped per run: many logins in a row trip the provider's lockouts.
  let authSlots = s.auth?.max ?? 0;
  return {
    proxyConfigured: PROXY_VARS.some((v) => process.env[v]),
    verifyName: s.sni ?? s.host,
    trust: trustContext(s.ca),
    auth: s.auth && { user: s.auth.user, secret: s.auth.secret, isToken: s.auth.isToken, mechanism: s.auth.mechanism, claim: () => authSlots-- > 0 },
    send: s.send && { ...s.send, runId },
  };
}

/** One session, then the OS-store verdict on its chain (after it, so it does not skew the timings). */
async function attemptSession(s: ProbeSettings, run: RunContext, job: Job): Promise<SessionResult> {
  const r = await runSession({
    target: job.target,
    port: job.spec.port,
    mode: job.spec.mode,
    sni: s.sni,
    verifyName: run.verifyName,
    ehloName: s.ehloName,
    trust: run.trust,
    timeouts: s.timeouts,
    auth: run.auth,
    send: run.send,
  });
  if (r.tls && r.tlsRaw.length) {
    const os = osVerdict(r.tlsRaw);
    r.tls.os_trusted = os.trusted;
    r.tls.os_store = os.source;
  }
  return r;
}

function classifySession(s: ProbeSettings, run: RunContext, job: Job, r: SessionResult): Classification {
  return classifyAttempt({
    where: hostPort(job.target.address, job.spec.port),
    port: job.spec.port,
    mode: job.spec.mode,
    family: job.target.family,
    failedStage: r.failedStage,
    tcpError: r.tcp.error,
    tls: r.tls,
    smtp: r.smtp,
    verifyName: run.verifyName,
    proxyConfigured: run.proxyConfigured,
    host: s.host,
    speaksTls: r.smtp.port_speaks_tls ?? undefined,
    osTrusted: r.tls?.os_trusted,
  });
}

function attemptRecord(job: Job, i: number, r: SessionResult, classification: Classification): Attempt {
  return {
    id: String(i + 1).padStart(3, '0'),
    round: job.round,
    ip: job.target.address,
    family: job.target.family,
    port: job.spec.port,
    mode: job.spec.mode,
    started_at: new Date(r.startedAt).toISOString(),
    connected_time: r.connectedAt ? new Date(r.connectedAt).toISOString() : null,
    duration_ms: r.durationMs,
    tcp: r.tcp,
    tls: r.tls,
    smtp: r.smtp,
    failed_stage: r.failedStage,
    classification,
    transcript_file: transcriptFile(i, job.target.address, job.spec.port),
  };
}

export function sweepStats(attempts: Attempt[]): ProbeSummary['sweep'] {
  const groups = new Map<string, Attempt[]>();
  for (const a of attempts) {
    const k = `${a.ip}|${a.port}`;
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  const ok = attempts.filter((a) => a.classification.class === 'ok');
  const per = (stage: (typeof TIMING_STAGES)[number]): number[] => {
    const pick = (a: Attempt): number | null | undefined => {
      switch (stage) {
        case 'connect':
          return a.tcp.connect_ms;
        case 'tls':
          return a.tls?.handshake_ms;
        case 'total':
          return a.classification.class === 'ok' ? a.duration_ms : null;
        default: {
          const r = a.smtp[stage];
          return r && r.code !== null ? r.ms : null;
        }
      }
    };
    return attempts.map(pick).filter((v): v is number => typeof v === 'number');
  };
  return {
    total: attempts.length,
    ok: ok.length,
    success_rate: attempts.length ? ok.length / attempts.length : 0,
    per_target: [...groups.values()].map((g) => {
      const classes: Record<string, number> = {};
      for (const a of g) classes[a.classification.class] = (classes[a.classification.class] ?? 0) + 1;
      const n = g.filter((a) => a.classification.class === 'ok').length;
      return { ip: g[0]!.ip, port: g[0]!.port, mode: g[0]!.mode, attempts: g.length, ok: n, success_rate: n / g.length, classes };
    }),
    timings_ms: Object.fromEntries(TIMING_STAGES.map((st) => [st, distribution(per(st))])) as ProbeSummary['sweep']['timings_ms'],
  };
}

/** The run's verdict: ok only when every attempt was; otherwise the most frequent failure class. */
export function verdictOf(dns: DnsResolution, attempts: Attempt[]): ProbeSummary['verdict'] {
  const counts: Record<string, number> = {};
  for (const a of attempts) counts[a.classification.class] = (counts[a.classification.class] ?? 0) + 1;
  let c: Classification;
  let partial = false;
  if (!attempts.length) {
    c = classifyDns(dns);
    counts[c.class] = 0;
  } else {
    const failures = CLASSES.filter((k) => k !== 'ok' && counts[k]);
    if (!failures.length) {
      c = attempts[0]!.classification;
    } else {
      const worst = failures.reduce((a, b) => ((counts[b] ?? 0) > (counts[a] ?? 0) ? b : a));
      c = patternVerdict(dns, attempts) ?? attempts.find((a) => a.classification.class === worst)!.classification;
      partial = (counts.ok ?? 0) > 0;
    }
  }
  const failed = attempts.length - (counts.ok ?? 0);
  const summary = partial ? `${failed} of ${attempts.length} attempts failed: ${c.summary}` : c.summary;
  return {
    class: c.class as FailureClass,
    exit_code: EXIT_CODES[c.class as FailureClass],
    partial,
    counts,
    hint_id: c.hint_id,
    summary,
    evidence: c.evidence,
    next_step: c.next_step,
  };
}

const NETWORK_FAILURE = new Set(['connect', 'tls', 'proxy']);

/**
 * Failures whose cause only shows across attempts: every address from the hosts file or
 * from the resolver in use fails while another resolver knows other addresses, or IPv6
 * fails where IPv4 works.
 */
export function patternVerdict(dns: DnsResolution, attempts: Attempt[]): Classification | null {
  const failedNet = (a: Attempt) => NETWORK_FAILURE.has(a.classification.class);
  const noneOk = attempts.every((a) => a.classification.class !== 'ok');
  const used = new Set(dns.targets.map((t) => t.address));
  if (noneOk && attempts.every(failedNet)) {
    const first = attempts[0]!.classification;
    if (dns.source === 'hosts-file' && dns.hosts_file?.entries.length) {
      const e = dns.hosts_file.entries[0]!;
      return { ...pick('dns-hosts-override'), evidence: `hosts file ${dns.hosts_file.path} line ${e.line}: ${e.address} ${dns.host}; connecting there fails: ${first.evidence}`.slice(0, 500) };
    }
    const other = dns.resolvers.find((r) => r.role === 'compare' && r.addresses.length && r.addresses.every((x) => !used.has(x)));
    if (other) {
      return {
        ...pick('dns-wrong-resolver'),
        evidence: `${dns.source === 'resolver' ? `resolver ${dns.resolvers[0]?.server}` : 'the system resolver'} gave ${[...used].join(', ')} (all fail: ${first.evidence.slice(0, 160)}); ${other.server} gives ${other.addresses.join(', ')}`,
      };
    }
  }
  const v6 = attempts.filter((a) => a.family === 6);
  const v4 = attempts.filter((a) => a.family === 4);
  if (v6.length && v4.some((a) => a.classification.class === 'ok') && v6.every((a) => a.classification.class === 'connect' || a.classification.class === 'proxy')) {
    const bad = v6[0]!;
    return { ...pick('connect-ipv6-unreachable'), evidence: `IPv6 ${hostPort(bad.ip, bad.port)} fails (${bad.tcp.error?.kind ?? bad.classification.hint_id}) while IPv4 works: ${bad.classification.evidence}`.slice(0, 500) };
  }
  return null;
}

function pick(id: Parameters<typeof hint>[0]): Omit<Classification, 'evidence'> {
  const h = hint(id);
  return { class: h.class, hint_id: h.id, summary: h.summary, next_step: h.next_step };
}

export function settingsRecord(s: ProbeSettings): ProbeSummary['settings'] {
  return {
    host: s.host,
    ports: s.ports,
    family: s.family,
    attempts: s.attempts,
    concurrency: s.concurrency,
    timeouts_ms: s.timeouts,
    sni: s.sni,
    ehlo_name: s.ehloName,
    resolver: s.resolver ? formatDnsServer(s.resolver) : null,
    hosts_file: s.hostsFile,
    compare_dns: s.compareDns.map(formatDnsServer),
    ca_files: s.caFiles,
    auth_test: s.auth ? { user: s.auth.user, mechanism: s.auth.isToken ? 'XOAUTH2' : s.auth.mechanism, max_attempts: s.auth.max, secret_from: s.auth.secretFrom } : null,
    send_test: s.send ? { from: s.send.from, to: s.send.to, attachment: s.send.attachment?.name ?? null } : null,
  };
}

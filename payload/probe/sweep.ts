// Stage 5: attempts x addresses x ports with bounded concurrency, then the numbers a
// person needs to tell a transient from a hard failure.
import { classifyAttempt, classifyDns } from '../classify/classify.js';
import { CLASSES, EXIT_CODES, type FailureClass } from '../classify/classes.js';
import type { Attempt, Classification, DnsResolution, ProbeSummary, Target } from '../schema/summary.js';
import { TIMING_STAGES } from '../schema/summary.js';
import { mapPool } from '../util/pool.js';
import { distribution } from '../util/stats.js';
import { resolveTarget } from './dns.js';
import { formatDnsServer, type PortSpec, type ProbeSettings } from './options.js';
import { runSession, type SessionResult } from './session.js';
import { trustContext } from './tls.js';

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

export async function runSweep(s: ProbeSettings, hooks: SweepHooks = {}): Promise<SweepOutput> {
  const dns = await resolveTarget({ host: s.host, family: s.family, timeoutMs: s.timeouts.dns, resolver: s.resolver, compare: s.compareDns });
  // Rounds outermost, so a transient shows up as a pattern over time, not as one burst.
  const jobs: Job[] = [];
  for (let round = 1; round <= s.attempts; round++) {
    for (const spec of s.ports) for (const target of dns.targets) jobs.push({ round, target, spec });
  }
  hooks.onDns?.(dns, jobs.length);
  const proxyConfigured = PROXY_VARS.some((v) => process.env[v]);
  const verifyName = s.sni ?? s.host;
  const trust = trustContext(s.ca);

  let done = 0;
  const results = await mapPool(jobs, s.concurrency, async (job, i) => {
    const where = hostPort(job.target.address, job.spec.port);
    const r = await runSession({
      target: job.target,
      port: job.spec.port,
      mode: job.spec.mode,
      sni: s.sni,
      verifyName,
      ehloName: s.ehloName,
      trust,
      timeouts: s.timeouts,
    });
    const classification = classifyAttempt({
      where,
      port: job.spec.port,
      mode: job.spec.mode,
      family: job.target.family,
      failedStage: r.failedStage,
      tcpError: r.tcp.error,
      tls: r.tls,
      smtp: r.smtp,
      verifyName,
      proxyConfigured,
    });
    const attempt: Attempt = {
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
    hooks.onAttempt?.(++done, jobs.length, attempt);
    return { attempt, session: r };
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
        default:
          return a.smtp[stage]?.code != null ? a.smtp[stage]!.ms : null;
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
      c = attempts.find((a) => a.classification.class === worst)!.classification;
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
    compare_dns: s.compareDns.map(formatDnsServer),
    ca_files: s.caFiles,
  };
}

// Stage 5: attempts x addresses x ports with bounded concurrency, then the numbers a
// person needs to tell a transient from a hard failure.
import { classifyAttempt, classifyDns } from '../classify/classify.js';
import { CLASSES, EXIT_CODES, type FailureClass } from '../classify/classes.js';
import { hint } from '../classify/hints.js';
import type { Attempt, Classification, Comparison, DnsResolution, PathSummary, ProbeSummary, Target } from '../schema/summary.js';
import { SUMMARY_SCHEMA_VERSION, TIMING_STAGES } from '../schema/constants.js';
import { mapPool } from '../util/pool.js';
import { distribution } from '../util/stats.js';
import { resolveTarget } from './dns.js';
import { formatDnsServer, type PortSpec, type ProbeSettings } from './options.js';
import { formatProxy, proxyResolves, type ProxySpec } from './proxy-url.js';
import { runSession, type SessionParams, type SessionResult } from './session.js';
import { findGreylist, retryWaitS } from './greylist.js';
import { osVerdict, trustContext } from './tls.js';

export interface Job {
  round: number;
  target: Target;
  spec: PortSpec;
  /** Through this proxy; null: direct. */
  via: ProxySpec | null;
}

export interface SweepOutput {
  dns: DnsResolution;
  attempts: Attempt[];
  sessions: SessionResult[];
  sweep: ProbeSummary['sweep'];
  verdict: ProbeSummary['verdict'];
  egressIps: string[];
  /** --proxy auto with a proxy found: both paths side by side. */
  comparison: Comparison | null;
}

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** File-name-safe on Windows too: IPv6 colons become dashes. */
export function fileSafe(address: string): string {
  return address.replace(/[:%]/g, '-');
}

export function transcriptFile(index: number, address: string, port: number, viaProxy = false): string {
  return `smtp_transcript_${String(index + 1).padStart(3, '0')}_${fileSafe(address)}_${port}${viaProxy ? '_via-proxy' : ''}.txt`;
}

/**
 * The DNS record when the proxy resolves the name (socks5h, HTTP CONNECT by name): nothing
 * is asked here, and the record says so instead of inventing an answer.
 */
export function proxyDns(s: ProbeSettings, px: ProxySpec): DnsResolution {
  const host = s.host.replace(/\.$/, '');
  return {
    schema: 'smtp-probe/dns-resolution',
    schema_version: SUMMARY_SCHEMA_VERSION,
    host: s.host,
    family: s.family,
    source: 'proxy',
    system_servers: [],
    getaddrinfo: null,
    resolvers: [],
    hosts_file: null,
    targets: [{ address: host, family: null }],
    differences: [`${host} was not resolved on this machine: the proxy ${formatProxy(px)} resolves it (${px.kind === 'http' ? 'HTTP CONNECT by name' : 'socks5h'}), so its answer is not visible here`],
    ms: 0,
    error: null,
  };
}

export interface SweepHooks {
  onDns?: (d: DnsResolution, jobs: number) => void;
  onAttempt?: (done: number, total: number, a: Attempt) => void;
  /** After DNS, before the first connect (--pcap starts its capture here). */
  beforeConnect?: (d: DnsResolution) => Promise<void>;
}

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];

export async function runSweep(s: ProbeSettings, hooks: SweepHooks = {}, runId = 'smtp-probe'): Promise<SweepOutput> {
  const plan = await planPaths(s);
  const { dns } = plan;
  const jobs = planJobs(s, plan);
  hooks.onDns?.(dns, jobs.length);
  await hooks.beforeConnect?.(dns);
  const run = runContext(s, runId);
  let done = 0;
  const rounds = new RoundChain(s);
  const results = await mapPool(jobs, s.concurrency, (job, i) =>
    rounds.run(job, i, async (retry) => {
      const session = await attemptSession(s, run, job);
      const attempt = attemptRecord(job, i, session, classifySession(s, run, job, session));
      if (retry) attempt.greylist_retry = retry;
      hooks.onAttempt?.(++done, jobs.length, attempt);
      return { attempt, session };
    }),
  );

  const attempts = results.map((r) => r.attempt);
  const { verdict, comparison } = judgePaths(s, dns, attempts);
  return {
    dns,
    attempts,
    sessions: results.map((r) => r.session),
    sweep: sweepStats(attempts),
    verdict,
    egressIps: [...new Set(attempts.map((a) => a.smtp.egress_ip).filter((x): x is string => !!x))],
    comparison,
  };
}

type Retry = NonNullable<Attempt['greylist_retry']>;

/**
 * Greylisting retries. With --send-test (greylisting answers RCPT), a round's attempt
 * on an address and port starts after the previous round's on the same one ended, and waits
 * the delay a greylisting answer asked for (bounded by --greylist-wait): the retry is what
 * tells greylisting from a block. Other runs keep rounds concurrent, as before. The jobs go
 * out in order, rounds outermost, so an attempt only ever waits for one already started.
 */
class RoundChain {
  private readonly ended = new Map<string, Promise<{ id: string; r: SessionResult }>>();
  constructor(private readonly s: ProbeSettings) {}

  async run<T extends { attempt: Attempt; session: SessionResult }>(job: Job, i: number, body: (retry: Retry | null) => Promise<T>): Promise<T> {
    if (!this.s.send) return body(null);
    const key = `${job.via ? 'proxy' : 'direct'}|${job.target.address}|${job.spec.port}`;
    const previous = job.round > 1 ? this.ended.get(`${job.round - 1}|${key}`) : undefined;
    const mine = (async () => {
      let retry: Retry | null = null;
      const prev = previous && (await previous);
      const grey = prev ? prev.r.smtp.greylist : null;
      const waitS = grey ? retryWaitS(grey.delay_s, this.s.greylistWaitS) : null;
      if (prev && grey && waitS !== null) {
        const t0 = Date.now();
        await new Promise((r) => setTimeout(r, waitS * 1000));
        retry = { after_attempt: prev.id, asked_s: grey.delay_s, waited_ms: Date.now() - t0 };
      }
      return body(retry);
    })();
    this.ended.set(`${job.round}|${key}`, mine.then((x) => ({ id: x.attempt.id, r: x.session })));
    return mine;
  }
}

/** Which paths the run takes (direct, through the proxy, or both) and what each connects to. */
interface PathPlan {
  dns: DnsResolution;
  /** The proxy, or null when there is none. */
  px: ProxySpec | null;
  /** --proxy (explicit): only the proxy path. */
  proxyOnly: boolean;
  /** What the proxy is asked to reach: the name itself when the proxy resolves it. */
  proxyTargets: Target[];
}

async function planPaths(s: ProbeSettings): Promise<PathPlan> {
  const px = s.proxy?.spec ?? null;
  const proxyOnly = s.proxy?.mode === 'explicit';
  const byProxyName = !!px && proxyResolves(px, s.host);
  // Only the proxy path and the proxy resolving: this machine's DNS plays no part.
  const dns = proxyOnly && byProxyName ? proxyDns(s, px!) : await resolveTarget({ host: s.host, hostsFile: s.hostsFile, family: s.family, timeoutMs: s.timeouts.dns, resolver: s.resolver, compare: s.compareDns });
  const proxyTargets: Target[] = !px ? [] : byProxyName ? proxyDns(s, px).targets : dns.targets;
  return { dns, px, proxyOnly, proxyTargets };
}

/** Rounds outermost, so a transient shows up as a pattern over time, not as one burst. */
function planJobs(s: ProbeSettings, plan: PathPlan): Job[] {
  const jobs: Job[] = [];
  for (let round = 1; round <= s.attempts; round++) {
    for (const spec of s.ports) {
      if (!plan.proxyOnly) for (const target of plan.dns.targets) jobs.push({ round, target, spec, via: null });
      for (const target of plan.proxyTargets) jobs.push({ round, target, spec, via: plan.px });
    }
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
    // A target without a family is a name: the proxy resolves it.
    proxy: job.via ? { spec: job.via, resolvedBy: job.target.family === null ? 'proxy' : 'local' } : null,
    starttlsCheck: s.starttlsCheck ? { from: s.send?.from ?? s.auth?.user ?? '' } : null,
  });
  r.smtp.greylist = findGreylist(r.smtp);
  if (r.tls && r.tlsRaw.length) {
    const os = osVerdict(r.tlsRaw);
    r.tls.os_trusted = os.trusted;
    r.tls.os_store = os.source;
  }
  return r;
}

function classifySession(s: ProbeSettings, run: RunContext, job: Job, r: SessionResult): Classification {
  const where = hostPort(job.target.address, job.spec.port);
  return classifyAttempt({
    where: job.via ? `${where} via ${formatProxy(job.via)}` : where,
    port: job.spec.port,
    mode: job.spec.mode,
    family: job.target.family,
    failedStage: r.failedStage,
    tcpError: r.tcp.error,
    tls: r.tls,
    smtp: r.smtp,
    verifyName: run.verifyName,
    // Through a proxy, "proxy variables are set" explains nothing about a failure.
    proxyConfigured: run.proxyConfigured && !job.via,
    host: s.host,
    speaksTls: r.smtp.port_speaks_tls ?? undefined,
    osTrusted: r.tls?.os_trusted,
    proxy: r.proxy,
    proxyCredentials: !!job.via && job.via.user !== null,
  });
}

function attemptRecord(job: Job, i: number, r: SessionResult, classification: Classification): Attempt {
  return {
    id: String(i + 1).padStart(3, '0'),
    round: job.round,
    ip: job.target.address,
    family: job.target.family,
    path: job.via ? 'proxy' : 'direct',
    proxy: r.proxy,
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
    transcript_file: transcriptFile(i, job.target.address, job.spec.port, !!job.via),
  };
}

/** The run's verdict; with --proxy auto and a proxy found, from both paths side by side. */
function judgePaths(s: ProbeSettings, dns: DnsResolution, attempts: Attempt[]): { verdict: ProbeSummary['verdict']; comparison: Comparison | null } {
  const px = s.proxy?.spec ?? null;
  if (s.proxy?.mode !== 'auto' || !px) return { verdict: verdictOf(dns, attempts), comparison: null };
  const direct = attempts.filter((a) => a.path === 'direct');
  const proxied = attempts.filter((a) => a.path === 'proxy');
  const comparison = comparePaths(dns, direct, proxied, formatProxy(px));
  return { verdict: autoVerdict(dns, direct, proxied, comparison), comparison };
}

/** "connect timeout", "ok", "tls untrusted": what a path's attempts ended in, in words. */
function outcomeWords(a: Attempt): string {
  if (a.classification.class === 'ok') return 'ok';
  if (a.path === 'direct' && a.failed_stage === 'connect' && a.tcp.error) return `connect ${a.tcp.error.kind}`;
  return a.classification.hint_id.replace(/-/g, ' ');
}

export function pathSummary(dns: DnsResolution, list: Attempt[], path: 'direct' | 'proxy', via: string | null): PathSummary {
  const v = verdictOf(dns, list);
  const classes: Record<string, number> = {};
  for (const a of list) classes[a.classification.class] = (classes[a.classification.class] ?? 0) + 1;
  const ok = list.filter((a) => a.classification.class === 'ok');
  const label = path === 'direct' ? 'direct' : `via proxy ${via}`;
  let text: string;
  if (!list.length) text = `${label}: no attempt (${v.hint_id.replace(/-/g, ' ')}: ${v.evidence.slice(0, 120)})`;
  else {
    const words = [...new Set(list.map(outcomeWords))];
    const every = list.length > 1 ? (new Set(list.map((a) => a.ip)).size > 1 ? ' on every address' : ' on every attempt') : '';
    text = words.length === 1 ? `${label}: ${words[0]}${words[0] === 'ok' ? ` (${ok.length}/${list.length})` : every}` : `${label}: ${ok.length}/${list.length} ok; ${words.filter((w) => w !== 'ok').join(', ')}`;
  }
  const med = (xs: Array<number | null | undefined>) => {
    const d = distribution(xs.filter((x): x is number => typeof x === 'number'));
    return d ? d.median : null;
  };
  return {
    path,
    via,
    attempts: list.length,
    ok: ok.length,
    classes,
    class: v.class,
    hint_id: v.hint_id,
    evidence: v.evidence,
    connect_ms_median: med(list.map((a) => a.tcp.connect_ms)),
    total_ms_median: med(ok.map((a) => a.duration_ms)),
    text,
  };
}

export function comparePaths(dns: DnsResolution, direct: Attempt[], proxied: Attempt[], via: string): Comparison {
  const d = pathSummary(dns, direct, 'direct', null);
  const p = pathSummary(dns, proxied, 'proxy', via);
  const differs = d.class !== p.class || (d.ok === d.attempts) !== (p.ok === p.attempts);
  return { direct: d, proxy: p, differs, text: `${d.text}; ${p.text}` };
}

/**
 * --proxy auto's verdict: the direct path's (that is what a bot ignoring the proxy meets),
 * unless it fails where the proxy works: then the finding is that only the proxy gets out.
 */
function autoVerdict(dns: DnsResolution, direct: Attempt[], proxied: Attempt[], c: Comparison): ProbeSummary['verdict'] {
  const d = verdictOf(dns, direct);
  const directOk = d.class === 'ok' && !d.partial && direct.length > 0;
  const proxyOk = proxied.length > 0 && proxied.every((a) => a.classification.class === 'ok');
  if (!directOk && proxyOk) {
    const h = hint('proxy-only-path');
    const counts: Record<string, number> = {};
    for (const a of [...direct, ...proxied]) counts[a.classification.class] = (counts[a.classification.class] ?? 0) + 1;
    return { class: h.class, exit_code: EXIT_CODES[h.class], partial: false, counts, hint_id: h.id, summary: h.summary, evidence: c.text.slice(0, 500), next_step: h.next_step };
  }
  return d;
}

export function sweepStats(attempts: Attempt[]): ProbeSummary['sweep'] {
  const groups = new Map<string, Attempt[]>();
  for (const a of attempts) {
    const k = `${a.path}|${a.ip}|${a.port}`;
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
      return { ip: g[0]!.ip, port: g[0]!.port, mode: g[0]!.mode, path: g[0]!.path, attempts: g.length, ok: n, success_rate: n / g.length, classes };
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
  let authNote = '';
  if (!attempts.length) {
    c = classifyDns(dns);
    counts[c.class] = 0;
  } else {
    const failures = CLASSES.filter((k) => k !== 'ok' && counts[k]);
    if (!failures.length) {
      // A run that logged in on some attempts is judged by those; the rest stopped before
      // AUTH on purpose (--auth-max) and must not read as if they had authenticated too.
      const authed = attempts.filter((a) => a.classification.hint_id === 'ok-auth');
      c = (authed[0] ?? attempts[0]!).classification;
      if (authed.length && authed.length < attempts.length) {
        const skipped = attempts.filter((a) => a.smtp.auth_skipped).length;
        authNote = ` (authenticated on ${authed.length} of ${attempts.length} attempts${skipped ? `; ${skipped} stopped before AUTH on purpose: ${attempts.find((a) => a.smtp.auth_skipped)!.smtp.auth_skipped}` : ''})`;
      }
    } else {
      const worst = failures.reduce((a, b) => ((counts[b] ?? 0) > (counts[a] ?? 0) ? b : a));
      c = patternVerdict(dns, attempts) ?? attempts.find((a) => a.classification.class === worst)!.classification;
      partial = (counts.ok ?? 0) > 0;
    }
  }
  const failed = attempts.length - (counts.ok ?? 0);
  const summary = partial ? `${failed} of ${attempts.length} attempts failed: ${c.summary}` : `${c.summary}${authNote}`;
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
    proxy: s.proxy
      ? {
          mode: s.proxy.mode,
          proxy: s.proxy.spec ? formatProxy(s.proxy.spec) : null,
          kind: s.proxy.spec?.kind ?? null,
          source: s.proxy.spec?.source ?? null,
          password_from: s.proxy.spec?.passwordFrom ?? null,
          resolved_by: s.proxy.spec ? (proxyResolves(s.proxy.spec, s.host) ? 'proxy' : 'local') : null,
        }
      : null,
    ...(s.preset ? { provider: s.preset } : {}),
  };
}

// The ESMTP feature matrix (one row per port, from the EHLO replies the attempts got) and
// the findings a person acts on: a submission port that takes MAIL FROM before STARTTLS,
// a server slow enough to be a tarpit, greylisting and whether its retry went through.
import type { Attempt, Esmtp, EsmtpFinding, SmtpResult } from '../schema/summary.js';
import { parseExtensions } from './extensions.js';
import { TIMING } from './greylist.js';

const COMMAND_STEPS = ['ehlo', 'starttls', 'ehlo_tls', 'mail_plain', 'rset_plain', 'mail', 'rcpt', 'data', 'data_end', 'rset', 'noop'] as const;

export interface LatencyThresholds {
  banner: { slow: number; tarpit: number };
  command: { slow: number; tarpit: number };
}

/** The data file's thresholds; `tarpitMs` (--tarpit-threshold) replaces both tarpit levels. */
export function thresholds(tarpitMs: number | null = null): LatencyThresholds {
  const { banner_ms: b, command_ms: c } = TIMING.latency;
  if (tarpitMs === null) return { banner: { ...b }, command: { ...c } };
  return { banner: { slow: Math.min(b.slow, tarpitMs), tarpit: tarpitMs }, command: { slow: Math.min(c.slow, tarpitMs), tarpit: tarpitMs } };
}

function mailBeforeTls(smtp: SmtpResult): Esmtp['ports'][number]['mail_before_tls'] {
  const code = smtp.mail_plain?.code;
  if (code === undefined || code === null) return 'not-checked';
  return code >= 500 ? 'refused' : code >= 400 ? 'deferred' : 'accepted';
}

const maxOf = (xs: Array<number | null>): number | null => (xs.some((x) => x !== null) ? Math.max(...xs.filter((x): x is number => x !== null)) : null);

function commandMs(smtp: SmtpResult): Array<{ step: string; ms: number }> {
  return COMMAND_STEPS.flatMap((step) => {
    const r = smtp[step];
    return r && r.code !== null ? [{ step, ms: r.ms }] : [];
  });
}

export function esmtpMatrix(attempts: readonly Attempt[], limits: LatencyThresholds): Esmtp {
  const ports: Esmtp['ports'] = [];
  const findings: EsmtpFinding[] = [];
  const byPort = new Map<number, Attempt[]>();
  for (const a of attempts) byPort.set(a.port, [...(byPort.get(a.port) ?? []), a]);
  for (const [port, list] of byPort) {
    // The first attempt that got an EHLO answer speaks for the port (all addresses serve one service).
    const a = list.find((x) => x.smtp.ehlo?.code === 250);
    if (a) {
      const m = a.smtp;
      const plain = a.mode === 'starttls' ? parseExtensions(m.ehlo!.lines.slice(1).map((l) => l.slice(4))) : null;
      const overTls = a.mode === 'implicit' ? m.features : a.mode === 'starttls' && m.ehlo_tls?.code === 250 ? m.features : null;
      const f = overTls ?? m.features;
      const check = mailBeforeTls(m);
      ports.push({
        port,
        mode: a.mode,
        size_bytes: f.size_bytes,
        size_mb: f.size_mb,
        eightbitmime: f.eightbitmime,
        smtputf8: f.smtputf8,
        pipelining: f.pipelining,
        chunking: f.chunking,
        dsn: f.dsn,
        enhancedstatuscodes: f.enhancedstatuscodes,
        starttls_offered: plain?.starttls ?? false,
        auth_before_tls: plain?.auth_mechanisms ?? null,
        auth_after_tls: overTls?.auth_mechanisms ?? null,
        mail_before_tls: check,
        mail_before_tls_reply: m.mail_plain?.lines[0] ?? null,
        banner_ms_max: maxOf(list.map((x) => (x.smtp.banner?.code ? x.smtp.banner.ms : null))),
        command_ms_max: maxOf(list.flatMap((x) => commandMs(x.smtp).map((c) => c.ms))),
      });
      findings.push(...starttlsFindings(port, check, m.mail_plain?.lines[0] ?? ''));
    }
    findings.push(...latencyFindings(port, list, limits), ...greylistFindings(port, list));
  }
  return { ports, findings };
}

function starttlsFindings(port: number, check: Esmtp['ports'][number]['mail_before_tls'], line: string): EsmtpFinding[] {
  if (check === 'refused') return [{ id: 'starttls-required', severity: 'info', port, step: 'mail_plain', ms: null, text: `port ${port} refuses MAIL FROM before STARTTLS (${line.slice(0, 120)}): TLS is required, as a submission port should` }];
  // Port 25 between MTAs takes mail in the clear by design (opportunistic TLS); a submission port must not.
  if (check === 'accepted' && port !== 25) {
    return [{ id: 'starttls-not-required', severity: 'warning', port, step: 'mail_plain', ms: null, text: `port ${port} accepted MAIL FROM before STARTTLS (${line.slice(0, 120)}): a client that skips STARTTLS would send mail and credentials in clear text` }];
  }
  return [];
}

/** The slowest reply of each attempt against the thresholds; one finding per port and level. */
function latencyFindings(port: number, list: readonly Attempt[], limits: LatencyThresholds): EsmtpFinding[] {
  let worst: { step: string; ms: number; level: 'slow' | 'tarpit'; limit: number } | null = null;
  for (const a of list) {
    const banner = a.smtp.banner;
    const samples = [...(banner && banner.code !== null ? [{ step: 'banner', ms: banner.ms }] : []), ...commandMs(a.smtp)];
    // A step that timed out waited at least the timeout: that is a tarpit when the timeout is past the threshold.
    const failed = a.smtp.error?.kind === 'timeout' ? /^(\w+):/.exec(a.smtp.error.message)?.[1] : undefined;
    if (failed) {
      const r = a.smtp[failed as 'banner'];
      if (r === null || r?.code === null || r === undefined) samples.push({ step: failed, ms: a.duration_ms - (a.tcp.connect_ms ?? 0) - (a.tls?.handshake_ms ?? 0) });
    }
    for (const { step, ms } of samples) {
      const l = step === 'banner' ? limits.banner : limits.command;
      const level = ms >= l.tarpit ? 'tarpit' : ms >= l.slow ? 'slow' : null;
      if (level && (!worst || ms > worst.ms)) worst = { step, ms, level, limit: level === 'tarpit' ? l.tarpit : l.slow };
    }
  }
  if (!worst) return [];
  const what = worst.step === 'banner' ? 'the banner came' : `${worst.step.toUpperCase()} was answered`;
  return [
    worst.level === 'tarpit'
      ? { id: 'tarpit', severity: 'problem', port, step: worst.step, ms: worst.ms, text: `port ${port}: ${what} after ${Math.round(worst.ms)} ms (tarpit threshold ${worst.limit} ms): the server or a filter in the path is stalling this client on purpose (tarpit, postscreen, reputation delay); bots with short timeouts fail here` }
      : { id: 'slow-reply', severity: 'warning', port, step: worst.step, ms: worst.ms, text: `port ${port}: ${what} after ${Math.round(worst.ms)} ms (slow threshold ${worst.limit} ms)` },
  ];
}

function greylistFindings(port: number, list: readonly Attempt[]): EsmtpFinding[] {
  const grey = list.filter((a) => a.smtp.greylist);
  if (!grey.length) return [];
  const g = grey[0]!.smtp.greylist!;
  const out: EsmtpFinding[] = [{ id: 'greylisted', severity: 'info', port, step: g.step, ms: null, text: `port ${port}: ${g.step.toUpperCase()} was greylisted (${g.line.slice(0, 160)})${g.delay_s !== null ? `, asked to wait ${g.delay_s} s` : ''}` }];
  const retried = list.filter((a) => a.greylist_retry);
  const passed = retried.find((a) => !a.smtp.greylist && a.classification.class === 'ok');
  if (passed) out.push({ id: 'greylist-passed', severity: 'info', port, step: g.step, ms: passed.greylist_retry!.waited_ms, text: `port ${port}: the retry after ${Math.round(passed.greylist_retry!.waited_ms / 1000)} s went through: greylisting, not a block; the bot must retry 4xx replies` });
  else if (!retried.length) out.push({ id: 'greylist-not-retried', severity: 'warning', port, step: g.step, ms: null, text: `port ${port}: not retried (needs --attempts 2 or more, and a delay within --greylist-wait)` });
  return out;
}

// The bot's own last mail error, read from its logs (already redacted: what is scanned is
// what the run folder holds, so no secret can reach the summary), classified with the same
// engine as `smtp-probe explain`, and one line that reads it against the probe's verdict
// from this machine now. The probe says whether the path works; the bot's error says what
// failed when the bot ran: together they say where to look.
import type { FailureClass } from '../classify/classes.js';
import { readClientError, readError } from '../classify/client-errors.js';
import { parseReply } from '../classify/replies.js';
import type { BotError } from '../schema/diagnose.js';

/** The newest part of a log that is scanned: the last error is near the end, and the cost stays bounded. */
export const SCAN_TAIL_BYTES = 1024 * 1024;
/** A trace longer than this many lines is cut: its cause is in its first lines (Java, .NET) or its last (Python). */
const MAX_ENTRY_LINES = 200;

// A log entry starts with a timestamp (log4j, logback, .NET loggers); lines without one
// (stack frames, multi-line replies) belong to the entry above.
const ENTRY_STAMP = /^\[?(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})/;
/** What precedes the message on an entry's first line: the stamp, millis, zone, level, logger bits. */
const LINE_PREFIX = /^\[?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?\]?\s{0,8}(?:\[[^\]\n]{0,60}\]\s{0,8})?(?:(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|SEVERE)\b\s{0,8})?/;

export interface Entry {
  at: string | null;
  lines: string[];
}

/** The log's entries, oldest first. */
export function entries(text: string): Entry[] {
  const out: Entry[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = ENTRY_STAMP.exec(line);
    if (m || !out.length) out.push({ at: m ? `${m[1]} ${m[2]}` : null, lines: [line] });
    else if (out.at(-1)!.lines.length < MAX_ENTRY_LINES) out.at(-1)!.lines.push(line);
  }
  return out;
}

/** A failing server reply in the entry: a 4xx/5xx reply code at a line start or before an enhanced code. */
function hasFailingReply(text: string): boolean {
  const code = parseReply(text).code;
  return code !== null && code >= 400;
}

export type BotErrorFound = Omit<BotError, 'probe_class' | 'reading'>;

/** The last mail-related error in one (redacted) log, or null. */
export function lastBotError(text: string, file: string, activity: string | null): BotErrorFound | null {
  const all = entries(text.length > SCAN_TAIL_BYTES ? text.slice(-SCAN_TAIL_BYTES) : text);
  for (let i = all.length - 1; i >= 0; i--) {
    const e = all[i]!;
    const body = [e.lines[0]!.replace(LINE_PREFIX, ''), ...e.lines.slice(1)].join('\n');
    if (!body.trim()) continue;
    const r = readClientError(body) ?? (hasFailingReply(body) ? readError(body) : null);
    if (!r || r.class === 'ok') continue;
    return { at: e.at, activity, file, class: r.class, rule: r.rule, library: r.library, summary: r.summary, next_step: r.next_step, evidence_line: (r.evidence_line ?? body.split('\n')[0]!).slice(0, 500), source: r.source };
  }
  return null;
}

/**
 * What the bot's class and the probe's class say together. Keys: "bot/probe", with the
 * probe's hint id where it says more than its class (ok-auth: the probe's credentials work);
 * "same" when both failed the same way; "bot/fail" for the probe failing otherwise.
 */
export const READINGS: Readonly<Record<string, string>> = {
  'auth/ok-auth': 'the path and the probe\'s credentials work: the bot logs in with other credentials (user name, app password, token) than the ones tested',
  'auth/ok': 'the path works, the credentials are the problem',
  'connect/ok': 'the path works now: intermittent, or the bot uses another host/port/proxy',
  'dns/ok': 'the name resolves from here now: intermittent DNS, or the bot uses another host name, resolver or hosts entry',
  'tls/ok': 'TLS works from here: compare the bot\'s TLS settings and runtime (SSL/STARTTLS mode for its port, its trust store, its TLS versions) with the probe\'s',
  'proxy/ok': 'the path works from here: the bot goes through a proxy or TLS inspection the probe did not meet; compare the bot\'s proxy settings',
  'smtp-policy/ok': 'the session works: the server refused what the bot sent (sender, recipient, size, content), not the connection',
  'rate-limit/ok': 'the server takes this machine now: the bot hit a temporary limit; space its sends out',
  'unknown/ok': 'the path works from here; the bot\'s error is not one smtp-probe knows: read it in the log',
  same: 'the probe reproduces it: fix what the verdict above says, then run the bot again',
  'auth/fail': 'the probe fails before it gets to log in: fix the path first (the verdict above), then check the bot\'s credentials',
  'unknown/fail': 'start with the probe\'s verdict, which is reproducible from here',
  fail: 'the probe fails in another way than the bot did: the bot\'s path (host, port, mode, proxy) or the time differs; start with the probe\'s verdict, which is reproducible from here',
};

export function readingOf(bot: FailureClass, probe: FailureClass, probeHint: string): string {
  if (probe === 'ok') return READINGS[`${bot}/${probeHint}`] ?? READINGS[`${bot}/ok`] ?? READINGS['unknown/ok']!;
  if (bot === probe) return READINGS.same!;
  return READINGS[`${bot}/fail`] ?? READINGS.fail!;
}

/** The line at the top of report.md. */
export function botErrorLine(b: BotError, probeSummary: string): string {
  const when = [b.at, b.activity].filter(Boolean).join(', ');
  return `The bot's last mail error${when ? ` (${when})` : ''}: ${b.class} — ${b.evidence_line.replace(/\.$/, '')}. The probe from this machine now: ${b.probe_class}${b.probe_class === 'ok' ? '' : ` (${probeSummary})`}: ${b.reading}.`;
}

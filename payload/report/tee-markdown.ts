// report.md of a tee run: the verdict over the bot's sessions, both TLS legs, where the
// time went per command (upstream round trip vs what the bot waited), and message facts.
import type { EnvSnapshot } from '../schema/summary.js';
import type { TeeSummary } from '../schema/tee.js';
import { formatMs } from '../util/duration.js';
import { distribution } from '../util/stats.js';

const median = (xs: number[]) => distribution(xs)?.median ?? null;

const MAX_ROWS = 40;

function cell(s: string | number | null | undefined): string {
  return String(s ?? '-').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderTeeReport(s: TeeSummary, env: EnvSnapshot): string {
  const v = s.verdict;
  const L: string[] = [];
  L.push(`# smtp-probe tee report: ${s.settings.upstream}`, '');
  L.push('> The tee is for testing only, never for production: it sits in the middle of the bot\'s mail path and holds its own TLS certificate.', '');
  L.push(`**Verdict: \`${v.class}\`**${v.partial ? ' (partial: some sessions succeeded)' : ''} - ${v.summary}`, '');
  L.push(`- Evidence: \`${v.evidence.replace(/`/g, "'")}\``);
  L.push(`- Next step: ${v.next_step}`);
  L.push(`- Sessions: ${s.sessions.length} recorded, ${s.sweep.ok} ok; ${s.sessions_refused} refused at --max-sessions; ${s.sessions_not_recorded} over the record cap`);
  L.push(`- Run: ${s.run.started_at}, ${formatMs(s.run.duration_ms)}, ended by ${s.run.ended_by}; smtp-probe ${s.tool.version} on ${env.os.platform} ${env.os.release}, Node ${env.runtime.node}`);
  L.push(`- Settings: listen ${s.settings.listen} (bot leg ${s.settings.bot_tls}), upstream ${s.settings.upstream} (${s.settings.upstream_tls}, SNI ${s.settings.sni ?? 'none'}); idle timeout ${formatMs(s.settings.idle_timeout_ms)}; max ${s.settings.max_sessions} sessions, ${s.settings.max_message_bytes} bytes per message`);
  L.push(`- Tee certificate: CA \`${s.certificate.ca_file}\` sha256 ${s.certificate.ca_sha256}; server certificate for ${s.certificate.names.join(', ')}`, '');

  L.push('## Sessions', '');
  if (!s.sessions.length) L.push('No bot session came in.', '');
  else {
    L.push('| # | bot | bot TLS | upstream | upstream TLS | commands | messages | ended by | result | evidence |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const x of s.sessions.slice(0, MAX_ROWS)) {
      const botTls = x.bot.tls ? (x.bot.tls.error ? x.bot.tls.error.kind : `${x.bot.tls.protocol} (${x.bot.tls.after})`) : 'none';
      const upTls = x.tls ? (x.tls.error ? x.tls.error.kind : `${x.tls.protocol}${x.tls.authorized ? '' : ' untrusted'}`) : '-';
      L.push(
        `| ${x.id} | ${x.bot.address}:${x.bot.port} | ${cell(botTls)} | ${x.ip}:${x.port} | ${cell(upTls)} | ${x.commands.length} | ${x.messages.length} | ${x.ended_by} | ${x.classification.class} | ${cell(x.classification.evidence.slice(0, 140))} |`,
      );
    }
    if (s.sessions.length > MAX_ROWS) L.push(`| … | ${s.sessions.length - MAX_ROWS} more in tee_summary.json | | | | | | | | |`);
    L.push('');
  }

  const first = s.sessions.find((x) => x.tls && x.tls.chain.length);
  if (first?.tls) {
    const t = first.tls;
    L.push('## Upstream TLS', '');
    L.push(`${t.protocol ?? '-'} ${t.cipher ?? ''} with ${first.ip}:${first.port}, SNI ${t.sni ?? '(none)'}; verification: ${t.authorized ? 'trusted' : `**failed** (${t.verify_error}: ${t.verify_reason})`}; OS store: ${t.os_trusted === null ? 'not checked' : t.os_trusted ? 'trusted' : 'not trusted'}`, '');
    for (const [i, c] of t.chain.entries()) L.push(`${i}. ${c.subject} - issuer ${c.issuer}; ${c.valid_from.slice(0, 10)} to ${c.valid_to.slice(0, 10)}; sha256 ${c.fingerprint_sha256.slice(0, 23)}…`);
    L.push('');
  }

  // Per verb: the upstream's round trip, and what the bot waited; the difference is the tee's own time.
  const byVerb = new Map<string, { up: number[]; total: number[]; tee: number }>();
  for (const x of s.sessions) {
    for (const c of x.commands) {
      const k = c.verb.startsWith('AUTH') ? 'AUTH' : c.verb;
      const e = byVerb.get(k) ?? { up: [], total: [], tee: 0 };
      if (c.upstream_ms !== null) e.up.push(c.upstream_ms);
      else e.tee++;
      e.total.push(c.total_ms);
      byVerb.set(k, e);
    }
  }
  if (byVerb.size) {
    L.push('## Timing per command (median)', '', '| command | n | upstream round trip | bot waited | answered by the tee |', '|---|---|---|---|---|');
    for (const [k, e] of byVerb) L.push(`| ${cell(k)} | ${e.total.length} | ${e.up.length ? formatMs(median(e.up)) : '-'} | ${formatMs(median(e.total))} | ${e.tee} |`);
    L.push('');
  }

  const msgs = s.sessions.flatMap((x) => x.messages.map((m) => ({ id: x.id, m })));
  if (msgs.length) {
    L.push('## Messages (facts only, no content)', '', '| session | bytes | header fields | attachments | answer | notes |', '|---|---|---|---|---|---|');
    for (const { id, m } of msgs.slice(0, MAX_ROWS)) {
      const att = m.attachments.map((a) => `${a.name ?? '(no name)'} (${a.type}, ${a.bytes} B)`).join('; ') || '-';
      L.push(`| ${id} | ${m.bytes} | ${m.header_names.length} | ${cell(att)} | ${m.reply_code ?? '-'}${m.relayed ? '' : ' (not relayed)'} | ${cell(m.notes.join('; ') || '-')} |`);
    }
    L.push('');
  }
  L.push('## What is recorded', '');
  L.push('Commands and replies with timestamps; after AUTH only the mechanism and the reply code; envelope and reply addresses with the domain only; of each message its size, header field names and attachments\' names, types and sizes. Never: passwords, tokens, AUTH payloads, header values, body text, attachment content.', '');
  L.push('## Files', '', s.files.map((f) => `\`${f}\``).join(', '), '');
  return L.join('\n');
}

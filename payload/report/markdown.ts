// report.md: one to two pages a person pastes into a ticket. Sections follow the wire:
// verdict, then DNS -> TCP -> TLS -> SMTP -> sweep, so a fact is found where it happened.
import { matrixMarkdown, pcapMarkdown } from './tls-matrix-report.js';
import { presetSection } from './preset-section.js';
import { senderMarkdown } from './sender-report.js';
import type { DnsResolution, EnvSnapshot, ProbeSummary } from '../schema/summary.js';
import { formatMs } from '../util/duration.js';
import { ESMTP_HEADERS, esmtpRows, findingLines } from './esmtp-table.js';

const MAX_ROWS = 24;
/** What a run without a single attempt says, once, instead of 0/0 and empty tables. */
export const NO_ADDRESS = 'no address to connect to';

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function cell(s: string | number | null | undefined): string {
  return String(s ?? '-').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderReport(s: ProbeSummary, dns: DnsResolution, env: EnvSnapshot): string {
  return [...verdictSection(s, env), ...presetSection(s), ...proxySection(s), ...dnsSection(s, dns), ...senderMarkdown(s), ...connectionsSection(s), ...tlsSection(s), ...matrixMarkdown(s), ...smtpSection(s), ...esmtpSection(s), ...sweepSection(s), ...pcapMarkdown(s), ...filesSection(s)].join('\n');
}

/** The answer first: the verdict, the evidence, what to do, and the run it came from. */
function verdictSection(s: ProbeSummary, env: EnvSnapshot): string[] {
  const v = s.verdict;
  const L: string[] = [];
  L.push(`# smtp-probe report: ${s.settings.host}`, '');
  L.push(`**Verdict: \`${v.class}\`**${v.partial ? ' (partial: some attempts succeeded)' : ''} - ${v.summary}`, '');
  L.push(`- Evidence: \`${v.evidence.replace(/`/g, "'")}\``);
  L.push(`- Next step: ${v.next_step}`);
  if (!s.attempts.length) L.push(`- Connections: ${NO_ADDRESS}`);
  else L.push(`- Success: ${s.sweep.ok}/${s.sweep.total} attempts (${pct(s.sweep.success_rate)}); classes: ${Object.entries(v.counts).map(([k, n]) => `${k} ${n}`).join(', ') || '-'}`);
  L.push(`- Run: ${s.run.started_at}, ${formatMs(s.run.duration_ms)}, smtp-probe ${s.tool.version} on ${env.os.platform} ${env.os.release} (${env.os.hostname}), Node ${env.runtime.node}, OpenSSL ${env.runtime.openssl}`);
  L.push(
    `- Settings: ports ${s.settings.ports.map((p) => `${p.port}/${p.mode}`).join(', ')}; family ${s.settings.family}; ${s.settings.attempts} attempt(s) per address; SNI ${s.settings.sni ?? '(none)'}; EHLO ${s.settings.ehlo_name}`,
  );
  if (s.egress_ips.length) L.push(`- Egress IP seen by the server: ${s.egress_ips.join(', ')}`);
  const proxies = Object.entries(env.proxy_env);
  if (proxies.length) L.push(`- Proxy variables: ${proxies.map(([k, val]) => `${k}=${val}`).join(', ')}`);
  L.push('');
  return L;
}

function dnsSection(s: ProbeSummary, dns: DnsResolution): string[] {
  const L: string[] = [];
  L.push('## DNS', '');
  if (dns.source === 'proxy') L.push(`Not resolved on this machine: the proxy resolves ${dns.host} (${s.settings.proxy?.proxy ?? 'proxy'}); which address it chose is not visible here.`);
  else L.push(`Targets (${dns.source === 'resolver' ? `from --resolver ${s.settings.resolver}` : dns.source === 'system' ? 'getaddrinfo order' : dns.source === 'hosts-file' ? 'hosts file' : 'literal address'}): ${dns.targets.map((t) => t.address).join(', ') || 'none'} in ${formatMs(dns.ms)}`);
  if (dns.source === 'system') L.push(`System resolvers: ${dns.system_servers.join(', ') || '(none found)'}`);
  if (dns.error) L.push(`Error: ${dns.error.kind} ${dns.error.code ?? ''} ${dns.error.message}`);
  L.push('');
  if (dns.resolvers.length) {
    L.push('| resolver | role | A (ttl) | AAAA (ttl) | time |', '|---|---|---|---|---|');
    for (const r of dns.resolvers) {
      const q = (t: 'A' | 'AAAA') => {
        const x = r.queries.find((y) => y.rrtype === t)!;
        return x.error ? x.error.kind : x.answers.map((a) => `${a.address} (${a.ttl ?? '?'})`).join(', ');
      };
      L.push(`| ${cell(r.server)} | ${r.role} | ${cell(q('A'))} | ${cell(q('AAAA'))} | ${formatMs(Math.max(...r.queries.map((x) => x.ms)))} |`);
    }
    L.push('');
  }
  for (const d of dns.differences) L.push(`- ⚠ ${d}`);
  if (dns.differences.length) L.push('');
  return L;
}

/** One row per attempt (the first MAX_ROWS: the JSON has them all). */
function connectionsSection(s: ProbeSummary): string[] {
  // No attempt (DNS gave nothing): the verdict section says so once, and no empty table follows.
  if (!s.attempts.length) return [];
  const L: string[] = [];
  L.push('## Connections (TCP, TLS, SMTP)', '');
  L.push('| # | path | address | port | mode | connect | TLS | banner | result | evidence |', '|---|---|---|---|---|---|---|---|---|---|');
  for (const a of s.attempts.slice(0, MAX_ROWS)) {
    const tls = a.tls ? (a.tls.error ? a.tls.error.kind : `${a.tls.protocol}${a.tls.authorized ? '' : ' untrusted'}`) : '-';
    // Through a proxy, connect = proxy TCP + tunnel, both shown.
    const connect = a.tcp.error ? a.tcp.error.kind : a.proxy ? `${formatMs(a.tcp.connect_ms)} (proxy ${formatMs(a.proxy.connect_ms)} + tunnel ${formatMs(a.proxy.tunnel_ms)})` : formatMs(a.tcp.connect_ms);
    L.push(
      `| ${a.id} | ${a.path === 'proxy' ? 'proxy' : 'direct'} | ${a.ip} | ${a.port} | ${a.mode} | ${cell(connect)} | ${cell(tls)} | ${a.smtp.banner?.code ?? '-'} | ${a.classification.class} | ${cell(a.classification.evidence.slice(0, 120))} |`,
    );
  }
  if (s.attempts.length > MAX_ROWS) L.push(`| … | | ${s.attempts.length - MAX_ROWS} more in probe_summary.json | | | | | | | |`);
  L.push('');
  return L;
}

/** The first served chain stands for all: a sweep usually meets the same one. */
function tlsSection(s: ProbeSummary): string[] {
  const firstTls = s.attempts.find((a) => a.tls && a.tls.chain.length);
  if (!firstTls?.tls) return [];
  const t = firstTls.tls;
  const L: string[] = [];
  L.push('## TLS', '');
  L.push(`${t.protocol ?? '-'} ${t.cipher ?? ''} with ${firstTls.ip}:${firstTls.port}, SNI ${t.sni ?? '(none)'}, ALPN ${t.alpn ?? 'none'}; verification: ${t.authorized ? 'trusted' : `**failed** (${t.verify_error}: ${t.verify_reason})`}; OS store: ${t.os_trusted === null ? 'not checked' : t.os_trusted ? 'trusted' : 'not trusted'}`, '');
  for (const [i, c] of t.chain.entries()) L.push(`${i}. ${c.subject} - issuer ${c.issuer}; ${c.valid_from.slice(0, 10)} to ${c.valid_to.slice(0, 10)}; sha256 ${c.fingerprint_sha256.slice(0, 23)}…`);
  L.push('');
  return L;
}

/** The first server that greeted stands for what the service says about itself. */
function smtpSection(s: ProbeSummary): string[] {
  const firstSmtp = s.attempts.find((a) => a.smtp.banner?.code);
  if (!firstSmtp) return [];
  const m = firstSmtp.smtp;
  const L: string[] = [];
  L.push('## SMTP', '');
  L.push(`- Banner: \`${m.banner!.lines[0]}\``);
  if (m.ehlo) L.push(`- EHLO: \`${m.ehlo.lines[0]}\``);
  if (m.extensions.length) L.push(`- Extensions${m.ehlo_tls ? ' (over TLS)' : ''}: ${m.extensions.join(', ')}`);
  L.push(`- Max message size: ${m.features.size_mb === null ? 'not advertised' : `${m.features.size_mb} MB`}; AUTH: ${m.features.auth_mechanisms.join(' ') || 'none advertised'}`);
  if (m.noop) L.push(`- NOOP: ${m.noop.code} in ${formatMs(m.noop.ms)}; QUIT: ${m.quit?.code ?? '-'}`);
  L.push('');
  return L;
}

/** The ESMTP feature matrix per port, then the STARTTLS, tarpit and greylisting findings. */
function esmtpSection(s: ProbeSummary): string[] {
  const e = s.esmtp;
  if (!e || (!e.ports.length && !e.findings.length)) return [];
  const L: string[] = ['## ESMTP features and timing', ''];
  if (e.ports.length) {
    L.push(`| ${ESMTP_HEADERS.join(' | ')} |`, `|${ESMTP_HEADERS.map(() => '---').join('|')}|`);
    for (const r of esmtpRows(e)) L.push(`| ${r.map(cell).join(' | ')} |`);
    L.push('');
  }
  for (const f of findingLines(e)) L.push(`- ${f}`);
  if (e.findings.length) L.push('');
  return L;
}

/** Success per address and the timing spread: what tells a transient from a hard failure. */
function sweepSection(s: ProbeSummary): string[] {
  const timings = Object.entries(s.sweep.timings_ms).filter(([, d]) => d);
  if (!s.sweep.per_target.length && !timings.length) return [];
  const L: string[] = [];
  L.push('## Sweep', '');
  if (s.sweep.per_target.length) {
    L.push('| path | address | port | attempts | ok | success | classes |', '|---|---|---|---|---|---|---|');
    for (const p of s.sweep.per_target) {
      L.push(`| ${p.path} | ${p.ip} | ${p.port} | ${p.attempts} | ${p.ok} | ${pct(p.success_rate)} | ${Object.entries(p.classes).map(([k, n]) => `${k} ${n}`).join(', ')} |`);
    }
    L.push('');
  }
  if (timings.length) {
    L.push('| stage | n | min | median | p90 | max |', '|---|---|---|---|---|---|');
    for (const [stage, d] of timings) L.push(`| ${stage} | ${d!.n} | ${formatMs(d!.min)} | ${formatMs(d!.median)} | ${formatMs(d!.p90)} | ${formatMs(d!.max)} |`);
    L.push('');
  }
  return L;
}

function filesSection(s: ProbeSummary): string[] {
  return ['## Files', '', s.files.map((f) => `\`${f}\``).join(', '), ''];
}

/** The proxy section: what was used or discovered, and with --proxy auto both paths side by side. */
function proxySection(s: ProbeSummary): string[] {
  const p = s.settings.proxy;
  const d = s.proxy_discovery;
  const found = d && (d.candidates.length || d.winhttp || d.wininet || d.notes.length);
  if (!p && !found) return [];
  const L: string[] = ['## Proxy', ''];
  if (p?.proxy) {
    L.push(`- Probed through: \`${p.proxy}\` (${p.mode === 'auto' ? `--proxy auto, from ${p.source}` : '--proxy'}; ${p.kind === 'http' ? 'HTTP CONNECT' : p.kind === 'socks5h' ? 'SOCKS5, the proxy resolves names' : 'SOCKS5, names resolved here'}${p.password_from ? `; password from ${p.password_from}` : ''})`);
    if (p.resolved_by === 'proxy') L.push(`- DNS of ${s.settings.host} is the proxy's business on this path: not resolved here.`);
  } else if (p?.mode === 'auto') L.push('- --proxy auto: no proxy is configured on this machine; only the direct path was probed.');
  if (s.comparison) {
    const c = s.comparison;
    L.push('', `**${c.text}**`, '', '| path | attempts | ok | classes | connect (median) | attempt (median, ok) | evidence |', '|---|---|---|---|---|---|---|');
    for (const x of [c.direct, c.proxy]) {
      L.push(`| ${x.path === 'direct' ? 'direct' : `via ${x.via}`} | ${x.attempts} | ${x.ok} | ${Object.entries(x.classes).map(([k, n]) => `${k} ${n}`).join(', ') || '-'} | ${formatMs(x.connect_ms_median)} | ${formatMs(x.total_ms_median)} | ${cell(x.evidence.slice(0, 140))} |`);
    }
    if (c.differs) L.push('', 'The paths differ. Most SMTP libraries (Automation Anywhere\'s included) ignore the system proxy, so the direct row is what the bot meets.');
  }
  if (d) {
    L.push('', `Discovered: ${d.candidates.map((x) => `${x.source} ${x.proxy}`).join('; ') || 'no usable proxy setting'}${d.no_proxy ? `; NO_PROXY=${d.no_proxy}${d.no_proxy_covers_host ? ' (covers this host)' : ''}` : ''}`);
    if (d.winhttp) L.push(`- WinHTTP: ${d.winhttp.direct ? 'direct access' : `${d.winhttp.proxy_server}${d.winhttp.bypass_list ? ` (bypass ${d.winhttp.bypass_list})` : ''}`}`);
    if (d.wininet) L.push(`- WinINET: proxy ${d.wininet.proxy_enable ? d.wininet.proxy_server ?? '?' : 'off'}${d.wininet.pac_url ? `; PAC ${d.wininet.pac_url}` : ''}${d.wininet.auto_detect ? '; auto-detect (WPAD) on' : ''}`);
    for (const n of d.notes) L.push(`- ${n}`);
  }
  L.push('');
  return L;
}

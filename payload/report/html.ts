// report.html: the probe run as one offline page for a ticket. The verdict first, then the
// wire in order: DNS, the address x port grid, where each attempt's time went, the
// certificates, the transcripts. Every string a server, resolver or this machine supplied
// goes through esc(); the page has no script (it needs none) and a CSP that forbids fetches.
import { ESMTP_HEADERS, esmtpRows, findingLines } from './esmtp-table.js';
import type { Attempt, DnsResolution, EnvSnapshot, ProbeSummary, SmtpReply } from '../schema/summary.js';
import { formatMs } from '../util/duration.js';
import { BASE_CSS, esc, htmlPage, tok } from './html-page.js';
import { NO_ADDRESS } from './markdown.js';
import { matrixHtml, pcapHtml } from './tls-matrix-report.js';
import { presetHtml } from './preset-section.js';
import { senderHtml } from './sender-report.js';

export interface TranscriptText {
  name: string;
  text: string;
}

const MAX_WATERFALL = 60;
const MAX_TRANSCRIPTS = 40;
/** A transcript is usually 2-4 kB; a hostile server's endless banner is cut here (the file has it all). */
const MAX_TRANSCRIPT_CHARS = 24_000;
const MAX_CHAINS = 4;

const CSS = `${BASE_CSS}
.grid td.cell{text-align:center;min-width:90px}.legend span{margin-right:10px}.legend i{display:inline-block;width:10px;height:10px;margin-right:3px;vertical-align:middle}
.s-connect{background:#0969da}.s-proxy{background:#8250df}.s-tls{background:#bc4c00}.s-smtp{background:#1a7f37}.s-auth{background:#9a6700}.s-fail{background:#cf222e}`;

/** Stage kinds and their colours, for the waterfall bars and its legend. */
const STAGE_FILL: Record<string, string> = { connect: '#0969da', proxy: '#8250df', tls: '#bc4c00', smtp: '#1a7f37', auth: '#9a6700', fail: '#cf222e' };

export function renderHtmlReport(s: ProbeSummary, dns: DnsResolution, env: EnvSnapshot, transcripts: TranscriptText[]): string {
  const body = [
    `<h1>smtp-probe report: <span class="mono">${esc(s.settings.host)}</span></h1>`,
    verdictCard(s, env),
    presetHtml(s),
    proxySection(s),
    dnsSection(s, dns),
    senderHtml(s),
    gridSection(s),
    waterfallSection(s),
    tlsSection(s),
    matrixHtml(s),
    smtpSection(s),
    esmtpSection(s),
    timingsSection(s),
    pcapHtml(s),
    transcriptSection(s, transcripts),
    `<h2>Files</h2><p class="mono">${s.files.map(esc).join(', ')}</p>`,
  ].join('\n');
  return htmlPage(`smtp-probe: ${s.verdict.class} - ${s.settings.host}`, CSS, body);
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function verdictCard(s: ProbeSummary, env: EnvSnapshot): string {
  const v = s.verdict;
  const counts = Object.entries(v.counts).map(([k, n]) => `<span class="badge c-${tok(k)}">${esc(k)} ${n}</span>`).join(' ');
  return `<section id="verdict" class="card c-${tok(v.class)}">
<p><span class="badge c-${tok(v.class)}">${esc(v.class)}</span>${v.partial ? ' <strong>partial:</strong> some attempts succeeded' : ''} <strong>${esc(v.summary)}</strong> <span class="muted">(${esc(v.hint_id)})</span></p>
<p><strong>Evidence:</strong> <code>${esc(v.evidence)}</code></p>
<p><strong>Next step:</strong> ${esc(v.next_step)}</p>
<p>${s.attempts.length ? `<strong>Success:</strong> ${s.sweep.ok}/${s.sweep.total} attempts (${pct(s.sweep.success_rate)}) ${counts}` : `<strong>Connections:</strong> ${NO_ADDRESS}`}</p>
<p class="muted">Run ${esc(s.run.id)}: ${esc(s.run.started_at)}, ${esc(formatMs(s.run.duration_ms))}; smtp-probe ${esc(s.tool.version)} on ${esc(env.os.platform)} ${esc(env.os.release)} (${esc(env.os.hostname)}), Node ${esc(env.runtime.node)}, OpenSSL ${esc(env.runtime.openssl)}.
Ports ${s.settings.ports.map((p) => `${p.port}/${p.mode}`).join(', ')}; family ${esc(s.settings.family)}; ${s.settings.attempts} attempt(s) per address; SNI ${esc(s.settings.sni ?? '(none)')}; EHLO ${esc(s.settings.ehlo_name)}${s.egress_ips.length ? `; egress IP seen by the server: ${s.egress_ips.map(esc).join(', ')}` : ''}${s.settings.proxy?.proxy ? `; through proxy ${esc(s.settings.proxy.proxy)}` : ''}${Object.keys(env.proxy_env).length ? `; proxy variables ${Object.entries(env.proxy_env).map(([k, val]) => `${esc(k)}=${esc(val)}`).join(', ')}` : ''}.</p>
</section>`;
}

function comparison(s: ProbeSummary): string {
  const c = s.comparison;
  if (!c) return '';
  const row = (x: typeof c.direct) =>
    `<tr><td>${x.path === 'direct' ? 'direct' : `via ${esc(x.via)}`}</td><td><span class="badge c-${tok(x.class)}">${esc(x.class)}</span></td><td>${x.ok}/${x.attempts}</td><td>${esc(formatMs(x.connect_ms_median))}</td><td><code>${esc(x.evidence)}</code></td></tr>`;
  return `<h3>Direct and proxy paths</h3><p><strong>${esc(c.text)}</strong></p><table><tr><th>path</th><th>class</th><th>ok</th><th>connect (median)</th><th>evidence</th></tr>${row(c.direct)}${row(c.proxy)}</table>`;
}

/** What proxy was used or discovered (WinHTTP, WinINET, variables, PAC), then the direct/proxy comparison: report.md's Proxy section. */
function proxySection(s: ProbeSummary): string {
  const p = s.settings.proxy;
  const d = s.proxy_discovery;
  const found = d && (d.candidates.length || d.winhttp || d.wininet || d.notes.length);
  if (!p && !found) return '';
  const L: string[] = ['<section id="proxy"><h2>Proxy</h2>'];
  if (p?.proxy) {
    const how = p.kind === 'http' ? 'HTTP CONNECT' : p.kind === 'socks5h' ? 'SOCKS5, the proxy resolves names' : 'SOCKS5, names resolved here';
    L.push(`<p>Probed through <code>${esc(p.proxy)}</code> (${p.mode === 'auto' ? `--proxy auto, from ${esc(p.source)}` : '--proxy'}; ${how}${p.password_from ? `; password from ${esc(p.password_from)}` : ''}).</p>`);
    if (p.resolved_by === 'proxy') L.push(`<p>DNS of <code>${esc(s.settings.host)}</code> is the proxy's business on this path: not resolved here.</p>`);
  } else if (p?.mode === 'auto') L.push('<p>--proxy auto: no proxy is configured on this machine; only the direct path was probed.</p>');
  L.push(comparison(s));
  if (s.comparison?.differs) L.push("<p>The paths differ. Most SMTP libraries (Automation Anywhere's included) ignore the system proxy, so the direct row is what the bot meets.</p>");
  if (d) {
    const li = [
      `<li>Discovered: ${d.candidates.map((x) => `${esc(x.source)} <code>${esc(x.proxy)}</code>`).join('; ') || 'no usable proxy setting'}${d.no_proxy ? `; NO_PROXY=<code>${esc(d.no_proxy)}</code>${d.no_proxy_covers_host ? ' (covers this host)' : ''}` : ''}</li>`,
      d.winhttp ? `<li>WinHTTP: ${d.winhttp.direct ? 'direct access' : `<code>${esc(d.winhttp.proxy_server)}</code>${d.winhttp.bypass_list ? ` (bypass <code>${esc(d.winhttp.bypass_list)}</code>)` : ''}`}</li>` : '',
      d.wininet ? `<li>WinINET: proxy ${d.wininet.proxy_enable ? `<code>${esc(d.wininet.proxy_server ?? '?')}</code>` : 'off'}${d.wininet.pac_url ? `; PAC <code>${esc(d.wininet.pac_url)}</code>` : ''}${d.wininet.auto_detect ? '; auto-detect (WPAD) on' : ''}</li>` : '',
      ...d.notes.map((n) => `<li>${esc(n)}</li>`),
    ];
    L.push(`<ul>${li.join('')}</ul>`);
  }
  L.push('</section>');
  return L.join('\n');
}

function dnsSection(s: ProbeSummary, dns: DnsResolution): string {
  const L: string[] = ['<section id="dns"><h2>DNS</h2>'];
  const from = { resolver: `--resolver ${s.settings.resolver ?? ''}`, system: 'getaddrinfo order', 'hosts-file': 'hosts file', literal: 'literal address', proxy: 'the proxy' }[dns.source];
  if (dns.source === 'proxy') L.push(`<p>Not resolved on this machine: the proxy resolves <code>${esc(dns.host)}</code>.</p>`);
  else L.push(`<p>Targets (from ${esc(from)}): ${dns.targets.map((t) => `<code>${esc(t.address)}</code>`).join(' ') || 'none'} in ${esc(formatMs(dns.ms))}</p>`);
  if (dns.source === 'system') L.push(`<p>System resolvers: ${dns.system_servers.map((x) => `<code>${esc(x)}</code>`).join(' ') || '(none found)'}</p>`);
  if (dns.error) L.push(`<p class="warn">Error: ${esc(dns.error.kind)} ${esc(dns.error.code)} ${esc(dns.error.message)}</p>`);
  // A resolver whose addresses differ from the ones the probe connected to is what the reader looks for.
  const used = new Set(dns.targets.map((t) => t.address));
  const differs = (addrs: string[]) => dns.source !== 'proxy' && (addrs.length !== used.size || addrs.some((a) => !used.has(a)));
  if (dns.resolvers.length || dns.getaddrinfo) {
    L.push('<table><tr><th>resolver</th><th>role</th><th>A (ttl)</th><th>AAAA (ttl)</th><th>time</th></tr>');
    if (dns.getaddrinfo) {
      const g = dns.getaddrinfo;
      const addrs = g.addresses.map((a) => a.address);
      L.push(`<tr${differs(addrs) ? ' class="disagree"' : ''}><td>getaddrinfo</td><td>system</td><td colspan="2">${g.error ? esc(g.error.kind) : addrs.map(esc).join(', ')}</td><td>${esc(formatMs(g.ms))}</td></tr>`);
    }
    for (const r of dns.resolvers) {
      const q = (t: 'A' | 'AAAA') => {
        const x = r.queries.find((y) => y.rrtype === t);
        if (!x) return '-';
        return x.error ? `<span class="warn">${esc(x.error.kind)}</span>` : x.answers.map((a) => `${esc(a.address)} (${esc(a.ttl ?? '?')})`).join(', ') || '<span class="muted">no answer</span>';
      };
      const ms = r.queries.length ? Math.max(...r.queries.map((x) => x.ms)) : null;
      L.push(`<tr${differs(r.addresses) ? ' class="disagree"' : ''}><td class="mono">${esc(r.server)}</td><td>${esc(r.role)}</td><td>${q('A')}</td><td>${q('AAAA')}</td><td>${esc(formatMs(ms))}</td></tr>`);
    }
    L.push('</table>');
  }
  if (dns.hosts_file?.entries.length) L.push(`<p class="warn">Hosts file ${esc(dns.hosts_file.path)} pins ${esc(dns.host)}: ${dns.hosts_file.entries.map((e) => `${esc(e.address)} (line ${e.line})`).join(', ')}</p>`);
  if (dns.differences.length) L.push(`<ul>${dns.differences.map((d) => `<li class="warn">⚠ ${esc(d)}</li>`).join('')}</ul>`);
  L.push('</section>');
  return L.join('\n');
}

/** The class a cell of attempts shows: ok only when all were ok, else the commonest failure. */
function cellClass(classes: Record<string, number>): string {
  const fails = Object.entries(classes).filter(([k]) => k !== 'ok');
  if (!fails.length) return 'ok';
  return fails.sort((a, b) => b[1] - a[1])[0]![0];
}

function gridSection(s: ProbeSummary): string {
  if (!s.sweep.per_target.length) return '';
  const cols = [...new Set(s.sweep.per_target.map((p) => `${p.port}/${p.mode}`))];
  const rows = [...new Set(s.sweep.per_target.map((p) => `${p.path === 'proxy' ? 'proxy ' : ''}${p.ip}`))];
  const at = new Map(s.sweep.per_target.map((p) => [`${p.path === 'proxy' ? 'proxy ' : ''}${p.ip}|${p.port}/${p.mode}`, p]));
  const L = ['<section id="grid"><h2>Addresses and ports</h2><table class="grid"><tr><th>address</th>', ...cols.map((c) => `<th>${esc(c)}</th>`), '</tr>'];
  for (const r of rows) {
    L.push(`<tr><th class="mono">${esc(r)}</th>`);
    for (const c of cols) {
      const p = at.get(`${r}|${c}`);
      if (!p) {
        L.push('<td class="muted">-</td>');
        continue;
      }
      const cls = cellClass(p.classes);
      const detail = Object.entries(p.classes).map(([k, n]) => `${k} ${n}`).join(', ');
      L.push(`<td class="cell c-${tok(cls)}" title="${esc(detail)}">${esc(cls)}<br>${p.ok}/${p.attempts} ok</td>`);
    }
    L.push('</tr>');
  }
  L.push('</table></section>');
  return L.join('');
}

interface Segment {
  label: string;
  kind: keyof typeof STAGE_FILL;
  ms: number;
}

const reply = (label: string, r: SmtpReply | null, kind: Segment['kind'] = 'smtp'): Segment[] => (r ? [{ label: `${label} ${r.code ?? '(none)'}`, kind, ms: r.ms }] : []);

/** The recorded stage timings of an attempt, end to end; what is left of its duration after a failure is the failing stage's wait. */
export function attemptSegments(a: Attempt): Segment[] {
  const seg: Segment[] = [];
  if (a.proxy) {
    if (a.proxy.connect_ms !== null) seg.push({ label: 'proxy connect', kind: 'proxy', ms: a.proxy.connect_ms });
    if (a.proxy.tunnel_ms !== null) seg.push({ label: 'tunnel', kind: 'proxy', ms: a.proxy.tunnel_ms });
  } else if (a.tcp.connect_ms !== null) seg.push({ label: 'connect', kind: 'connect', ms: a.tcp.connect_ms });
  const tls: Segment[] = a.tls?.handshake_ms != null ? [{ label: `TLS ${a.tls.protocol ?? ''}`.trim(), kind: 'tls', ms: a.tls.handshake_ms }] : [];
  const m = a.smtp;
  if (a.tls?.after === 'connect') seg.push(...tls);
  seg.push(...reply('banner', m.banner), ...reply('EHLO', m.ehlo), ...reply('STARTTLS', m.starttls));
  if (a.tls?.after === 'starttls') seg.push(...tls);
  seg.push(...reply('EHLO (TLS)', m.ehlo_tls), ...reply('AUTH', m.auth, 'auth'), ...reply('MAIL', m.mail), ...reply('RCPT', m.rcpt), ...reply('DATA', m.data), ...reply('message', m.data_end), ...reply('RSET', m.rset), ...reply('NOOP', m.noop), ...reply('QUIT', m.quit));
  const used = seg.reduce((t, x) => t + x.ms, 0);
  if (a.failed_stage && a.duration_ms - used > 0.05) seg.push({ label: `${a.failed_stage} failed`, kind: 'fail', ms: a.duration_ms - used });
  return seg;
}

function waterfallSection(s: ProbeSummary): string {
  if (!s.attempts.length) return '';
  const shown = s.attempts.slice(0, MAX_WATERFALL);
  const rows = shown.map((a) => ({ a, seg: attemptSegments(a) }));
  const span = Math.max(1, ...rows.map((r) => Math.max(r.a.duration_ms, r.seg.reduce((t, x) => t + x.ms, 0))));
  const labelW = 230;
  const barW = 640;
  const rowH = 20;
  const svg = [`<svg role="img" aria-label="time per stage of each attempt" width="${labelW + barW + 90}" height="${rows.length * rowH + 24}" viewBox="0 0 ${labelW + barW + 90} ${rows.length * rowH + 24}">`];
  rows.forEach(({ a, seg }, i) => {
    const y = i * rowH;
    svg.push(`<text x="0" y="${y + 14}">${esc(`${a.id} ${a.ip}:${a.port}`.slice(0, 34))}</text>`);
    let x = labelW;
    for (const g of seg) {
      const w = Math.max(1, (g.ms / span) * barW);
      svg.push(`<rect x="${x.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${STAGE_FILL[g.kind]}"><title>${esc(`${g.label}: ${formatMs(g.ms)}`)}</title></rect>`);
      x += w;
    }
    svg.push(`<text x="${(x + 4).toFixed(1)}" y="${y + 14}">${esc(formatMs(a.duration_ms))} ${esc(a.classification.class)}</text>`);
  });
  const yAxis = rows.length * rowH + 16;
  svg.push(`<line x1="${labelW}" y1="${yAxis - 10}" x2="${labelW + barW}" y2="${yAxis - 10}" stroke="#8c959f"/><text x="${labelW}" y="${yAxis + 4}">0</text><text x="${labelW + barW - 60}" y="${yAxis + 4}">${esc(formatMs(span))}</text></svg>`);
  const legend = ['connect', 'proxy', 'tls', 'smtp', 'auth', 'fail'].map((k) => `<span><i class="s-${k}"></i>${k === 'fail' ? 'wait until failure' : k === 'smtp' ? 'SMTP reply' : k}</span>`).join('');
  const table = rows
    .map(({ a, seg }) => `<tr><td>${esc(a.id)}</td><td class="mono">${esc(a.ip)}:${a.port} ${esc(a.mode)}</td><td>${seg.map((g) => `${esc(g.label)} ${esc(formatMs(g.ms))}`).join(' → ')}</td><td>${esc(formatMs(a.duration_ms))}</td><td><span class="badge c-${tok(a.classification.class)}">${esc(a.classification.class)}</span></td></tr>`)
    .join('');
  return `<section id="waterfall"><h2>Where the time went</h2><p class="legend muted">Stages of each attempt end to end, from the recorded timings (hover a bar for its time). ${legend}</p>${svg.join('')}
${s.attempts.length > MAX_WATERFALL ? `<p class="muted">First ${MAX_WATERFALL} of ${s.attempts.length} attempts; probe_summary.json has them all.</p>` : ''}
<details><summary>As a table</summary><table><tr><th>#</th><th>target</th><th>stages</th><th>total</th><th>result</th></tr>${table}</table></details></section>`;
}

function tlsSection(s: ProbeSummary): string {
  const byLeaf = new Map<string, Attempt[]>();
  for (const a of s.attempts) {
    const fp = a.tls?.chain[0]?.fingerprint_sha256;
    if (fp) byLeaf.set(fp, [...(byLeaf.get(fp) ?? []), a]);
  }
  if (!byLeaf.size) return '';
  const L = ['<section id="tls"><h2>TLS certificates</h2>'];
  if (byLeaf.size > 1) L.push(`<p class="warn">${byLeaf.size} different leaf certificates were served across the attempts.</p>`);
  for (const list of [...byLeaf.values()].slice(0, MAX_CHAINS)) {
    const t = list[0]!.tls!;
    const where = [...new Set(list.map((a) => `${a.ip}:${a.port}`))];
    const trust = t.authorized ? '<span class="badge c-ok">trusted</span>' : `<span class="badge c-tls">not trusted</span> <code>${esc(t.verify_error)}</code> ${esc(t.verify_reason)}`;
    const os = t.os_trusted === null ? 'not checked' : t.os_trusted ? 'trusted' : 'not trusted';
    L.push(`<p>${trust}; OS store: ${esc(os)}${t.os_store ? ` (${esc(t.os_store)})` : ''}. ${esc(t.protocol ?? '-')} ${esc(t.cipher ?? '')}, SNI ${esc(t.sni ?? '(none)')}, served by ${where.map((w) => `<code>${esc(w)}</code>`).join(' ')} (${list.length} attempt${list.length === 1 ? '' : 's'})</p>`);
    L.push('<ol start="0">');
    for (const c of t.chain) {
      L.push(
        `<li><strong>${esc(c.subject)}</strong>${c.self_signed ? ' <span class="muted">(self-signed)</span>' : ''}<br>issuer ${esc(c.issuer)}<br>valid ${esc(c.valid_from)} to ${esc(c.valid_to)}${c.subject_alt_names.length ? `<br>SANs ${esc(c.subject_alt_names.slice(0, 12).join(', '))}${c.subject_alt_names.length > 12 ? ` (+${c.subject_alt_names.length - 12})` : ''}` : ''}<br><span class="mono muted">sha256 ${esc(c.fingerprint_sha256)}</span></li>`,
      );
    }
    L.push('</ol>');
  }
  if (byLeaf.size > MAX_CHAINS) L.push(`<p class="muted">${byLeaf.size - MAX_CHAINS} more chains in the tls_handshake_*.txt files.</p>`);
  L.push('</section>');
  return L.join('\n');
}

function smtpSection(s: ProbeSummary): string {
  const first = s.attempts.find((a) => a.smtp.banner?.code);
  if (!first) return '';
  const m = first.smtp;
  return `<section id="smtp"><h2>SMTP</h2><p>Banner: <code>${esc(m.banner!.lines[0])}</code></p>${m.ehlo ? `<p>EHLO: <code>${esc(m.ehlo.lines[0])}</code></p>` : ''}
<p>Extensions${m.ehlo_tls ? ' (over TLS)' : ''}: ${m.extensions.map((e) => `<code>${esc(e)}</code>`).join(' ') || 'none'}; max size ${m.features.size_mb === null ? 'not advertised' : `${m.features.size_mb} MB`}; AUTH ${esc(m.features.auth_mechanisms.join(' ') || 'none advertised')}</p></section>`;
}

function esmtpSection(s: ProbeSummary): string {
  const e = s.esmtp;
  if (!e || (!e.ports.length && !e.findings.length)) return '';
  const table = e.ports.length
    ? `<table><thead><tr>${ESMTP_HEADERS.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${esmtpRows(e).map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
    : '';
  const list = e.findings.length ? `<ul>${findingLines(e).map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : '';
  return `<section id="esmtp"><h2>ESMTP features and timing</h2>${table}${list}</section>`;
}

function timingsSection(s: ProbeSummary): string {
  const rows = Object.entries(s.sweep.timings_ms).filter(([, d]) => d);
  if (!rows.length) return '';
  return `<section id="timings"><h2>Timings</h2><table><tr><th>stage</th><th>n</th><th>min</th><th>median</th><th>p90</th><th>max</th></tr>${rows
    .map(([k, d]) => `<tr><td>${esc(k)}</td><td>${d!.n}</td><td>${esc(formatMs(d!.min))}</td><td>${esc(formatMs(d!.median))}</td><td>${esc(formatMs(d!.p90))}</td><td>${esc(formatMs(d!.max))}</td></tr>`)
    .join('')}</table></section>`;
}

function transcriptSection(s: ProbeSummary, transcripts: TranscriptText[]): string {
  if (!s.attempts.length) return '';
  const text = new Map(transcripts.map((t) => [t.name, t.text]));
  const L = ['<section id="transcripts"><h2>Transcripts</h2>'];
  for (const a of s.attempts.slice(0, MAX_TRANSCRIPTS)) {
    const t = text.get(a.transcript_file) ?? '(not recorded)';
    const cut = t.length > MAX_TRANSCRIPT_CHARS ? `${t.slice(0, MAX_TRANSCRIPT_CHARS)}\n… [cut: the whole transcript is in ${a.transcript_file}]` : t;
    L.push(`<details><summary><span class="badge c-${tok(a.classification.class)}">${esc(a.classification.class)}</span> attempt ${esc(a.id)}: <span class="mono">${esc(a.ip)}:${a.port}</span> ${esc(a.mode)} <span class="muted">${esc(a.transcript_file)}</span></summary><pre>${esc(cut)}</pre></details>`);
  }
  if (s.attempts.length > MAX_TRANSCRIPTS) L.push(`<p class="muted">${s.attempts.length - MAX_TRANSCRIPTS} more transcripts in the run folder.</p>`);
  L.push('</section>');
  return L.join('\n');
}

// fleet_report.html: the sweep as one offline page. Counts by class at a glance, what changed
// since the previous sweep, failing runners grouped by identical evidence with their next
// step, runners not reached apart, a runner table the small inline script filters and sorts
// (without JavaScript it is simply the whole table), and the attempt times as an SVG
// histogram. Every name and every string a runner sent is untrusted: all of it goes through esc().
import { formatMs } from '../payload/util/duration.js';
import type { FleetSummary } from './fleet-schema.js';
import { BASE_CSS, esc, htmlPage, tok } from '../payload/report/html-page.js';

const CSS = `${BASE_CSS}
.tiles{display:flex;flex-wrap:wrap;gap:8px}.tile{border:2px solid var(--c);background:var(--b);color:var(--c);border-radius:8px;padding:6px 14px;min-width:96px}
.tile b{display:block;font-size:24px;line-height:1.1}.group{border-left:4px solid var(--c);padding:2px 10px;margin:10px 0}.group p{margin:3px 0}
#filter{margin:6px 0}#filter input{width:280px}th button{font:inherit;font-weight:600;border:0;background:none;padding:0;cursor:pointer}
th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}td.num{text-align:right}`;

// Hand-written and small: filter by text and class, sort by a column. Rows keep their
// data-outcome; numeric cells carry data-v so "12 ms" sorts after "9 ms".
const SCRIPT = `(function(){
var t=document.getElementById('runners');if(!t)return;
var f=document.getElementById('filter'),q=document.getElementById('q'),sel=document.getElementById('cls'),n=document.getElementById('shown');
f.hidden=false;
var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows),ths=t.tHead.rows[0].cells;
function apply(){var text=q.value.trim().toLowerCase(),c=sel.value,k=0;
rows.forEach(function(r){var show=(!c||r.getAttribute('data-outcome')===c)&&(!text||r.textContent.toLowerCase().indexOf(text)>=0);r.hidden=!show;if(show)k++;});
n.textContent=k+' of '+rows.length+' runners shown';}
function key(td){var v=td.getAttribute('data-v');return v===null?td.textContent.toLowerCase():Number(v);}
Array.prototype.forEach.call(ths,function(th,i){var b=document.createElement('button');b.type='button';b.textContent=th.textContent;th.textContent='';th.appendChild(b);
b.addEventListener('click',function(){var dir=th.getAttribute('aria-sort')==='ascending'?-1:1;
Array.prototype.forEach.call(ths,function(h){h.removeAttribute('aria-sort');});th.setAttribute('aria-sort',dir>0?'ascending':'descending');
rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]);return (x<y?-1:x>y?1:0)*dir;});
rows.forEach(function(r){body.appendChild(r);});});});
q.addEventListener('input',apply);sel.addEventListener('change',apply);apply();})();`;

const MAX_HOSTS_LISTED = 40;
/** A sort value for a missing number: after every real one. */
const LAST = 1e15;

function pct(x: number | null): string {
  return x === null ? '-' : `${Math.round(x * 1000) / 10}%`;
}
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function hostList(hosts: string[]): string {
  const shown = hosts.slice(0, MAX_HOSTS_LISTED).map((h) => `<code>${esc(h)}</code>`).join(' ');
  return hosts.length > MAX_HOSTS_LISTED ? `${shown} … (${hosts.length - MAX_HOSTS_LISTED} more)` : shown;
}

const badge = (outcome: string) => `<span class="badge c-${tok(outcome)}">${esc(outcome)}</span>`;

export function renderFleetHtml(s: FleetSummary): string {
  return [...renderFleetHtmlChunks(s)].join('');
}

/**
 * The same page as pieces to write one after another: with 10,000 runners the page is 4 M
 * characters (two bytes each: it has non-Latin-1 text), and joining the table, the body and the
 * page made three such strings at once.
 */
/**
 * The page in pieces, each made when it is read: the runner table of 10,000 runners is a row
 * at a time, never the whole table (nor the page) in memory.
 */
export function* renderFleetHtmlChunks(s: FleetSummary): Generator<string> {
  const mark = '\u0000body\u0000';
  const [head, tail] = htmlPage(`smtp-fleet: sweep ${s.sweep.id}`, CSS, mark, SCRIPT).split(mark) as [string, string];
  const sections: Array<(s: FleetSummary) => string | Iterable<string>> = [header, tiles, changes, failureGroups, findingGroups, notReached, runnerProblems, timedOut, pending, runnerTable, timings, breakdowns];
  yield head;
  for (const [i, section] of sections.entries()) {
    if (i) yield '\n';
    const x = section(s);
    if (typeof x === 'string') yield x;
    else yield* x;
  }
  yield tail;
}

function header(s: FleetSummary): string {
  const c = s.counts;
  const sel = s.sweep.selection;
  const selText = [
    sel.hosts.length ? `hosts ${sel.hosts.map((x) => `<code>${esc(x)}</code>`).join(' ')}` : '',
    sel.groups.length ? `groups ${sel.groups.map((x) => `<code>${esc(x)}</code>`).join(' ')}` : '',
    sel.tags.length ? `tags ${sel.tags.map((x) => `<code>${esc(x)}</code>`).join(' + ')}` : '',
    sel.limit ? `limit ${sel.limit}` : '',
  ].filter(Boolean);
  return `<h1>Fleet report: sweep <span class="mono">${esc(s.sweep.id)}</span></h1>
<p id="headline"><strong>${c.ok} of ${plural(c.probed, 'probed runner')} can send (${pct(s.success_rate)})</strong>; ${plural(c.smtp_failing, 'runner')} failing SMTP; ${c.unreachable} not reached; attempts ${pct(s.attempt_success_rate)} ok.</p>
<p class="muted">${esc(s.sweep.kind)} started ${esc(s.sweep.created)}${s.sweep.auth_test ? ', with --auth-test' : ''}; selection: ${selText.join('; ') || 'all hosts'} (${plural(c.selected, 'host')}); generated ${esc(s.generated_at)}.</p>`;
}

function tiles(s: FleetSummary): string {
  const c = s.counts;
  const items: Array<[string, number]> = [...Object.entries(s.verdicts).filter(([, n]) => n > 0), ['unreachable', c.unreachable], ['failed', c.failed], ['rejected', c.rejected], ['timed-out', c.timed_out], ['pending', c.pending]];
  const shown = items.filter(([k, n]) => n > 0 || k === 'unreachable');
  return `<section id="counts"><h2>Runners by class</h2><div class="tiles">${shown.map(([k, n]) => `<div class="tile c-${tok(k)}"><b>${n}</b>${esc(k)}</div>`).join('')}</div></section>`;
}

function changes(s: FleetSummary): string {
  const ch = s.changes;
  if (!ch) return '<section id="changes"><h2>Changes since the previous sweep</h2><p class="muted">No earlier sweep with a summary in this store.</p></section>';
  const li = [
    ...ch.new_failures.map((x) => `<li><strong>New failure:</strong> <code>${esc(x.host)}</code> ${esc(x.from)} → ${badge(x.to)}</li>`),
    ...ch.recovered.map((x) => `<li><strong>Recovered:</strong> <code>${esc(x.host)}</code> ${esc(x.from)} → ${badge('ok')}</li>`),
    ...ch.changed.map((x) => `<li>Changed: <code>${esc(x.host)}</code> ${esc(x.from)} → ${badge(x.to)}</li>`),
    ...(ch.new_hosts.length ? [`<li>New in this sweep: ${hostList(ch.new_hosts)}</li>`] : []),
    ...(ch.missing_hosts.length ? [`<li>Not in this sweep: ${hostList(ch.missing_hosts)}</li>`] : []),
  ];
  return `<section id="changes"><h2>Changes since sweep <span class="mono">${esc(ch.previous_sweep_id)}</span> (${esc(ch.previous_created)})</h2>${li.length ? `<ul>${li.join('')}</ul>` : '<p>No change.</p>'}</section>`;
}

function failureGroups(s: FleetSummary): string {
  const L = ['<section id="failures"><h2>SMTP failures by evidence</h2>'];
  if (!s.failure_groups.length) L.push('<p>None.</p>');
  for (const g of s.failure_groups) {
    L.push(`<div class="group c-${tok(g.outcome)}"><p>${badge(g.outcome)} <strong>${plural(g.hosts.length, 'runner')}</strong>${g.hint_id ? ` <span class="muted">(${esc(g.hint_id)})</span>` : ''}</p>
<p>Evidence: <code>${esc(g.evidence)}</code></p>${g.next_step ? `<p><strong>Next step:</strong> ${esc(g.next_step)}</p>` : ''}<p>${hostList(g.hosts)}</p></div>`);
  }
  L.push('</section>');
  return L.join('\n');
}

/** Runners by finding (ESMTP/timing, TLS matrix, provider preset...), largest group first. */
function findingGroups(s: FleetSummary): string {
  if (!s.finding_groups?.length) return '';
  const items = s.finding_groups.map(
    (g) => `<div class="group c-_"><p><code>${esc(g.finding)}</code>${g.label ? ` ${esc(g.label)}` : ''}: <strong>${plural(g.hosts.length, 'runner')}</strong></p>${g.next_step ? `<p><strong>Next step:</strong> ${esc(g.next_step)}</p>` : ''}<p>${hostList(g.hosts)}</p></div>`,
  );
  return `<section id="findings"><h2>Runners by finding</h2><p class="muted">What the probe found besides the verdict (ESMTP and timing, TLS matrix, provider preset), per port.</p>${items.join('')}</section>`;
}

function notReached(s: FleetSummary): string {
  const L = ['<section id="unreachable"><h2>Runners not reached</h2><p class="muted">The probe did not run on these: the transport could not reach the runner. Not SMTP verdicts.</p>'];
  if (!s.unreachable_groups.length) L.push('<p>None.</p>');
  for (const g of s.unreachable_groups) L.push(`<div class="group c-unreachable"><p><strong>${plural(g.hosts.length, 'runner')}</strong>: <code>${esc(g.code)}</code> ${esc(g.message)}</p><p>${hostList(g.hosts)}</p></div>`);
  L.push('</section>');
  return L.join('\n');
}

function runnerProblems(s: FleetSummary): string {
  if (!s.runner_problems.length) return '';
  return `<section id="problems"><h2>Runners reached without a usable result</h2>${s.runner_problems
    .map((g) => `<div class="group c-${tok(g.status)}"><p><strong>${plural(g.hosts.length, 'runner')}</strong>: ${esc(g.status)}${g.code ? ` <code>${esc(g.code)}</code>` : ''} ${esc(g.message)}</p><p>${hostList(g.hosts)}</p></div>`)
    .join('')}</section>`;
}

function timedOut(s: FleetSummary): string {
  if (!s.timed_out.length) return '';
  const items = s.timed_out.map((t) => `<li><code>${esc(t.host)}</code> at ${esc(t.stage)}</li>`).join('');
  return `<section id="timed-out"><h2>Timed out</h2><p>The sweep's deadline passed before ${plural(s.timed_out.length, 'runner')} finished; the stage is where each job was.</p><ul>${items}</ul></section>`;
}

function pending(s: FleetSummary): string {
  return s.pending.length ? `<section id="pending"><h2>Pending</h2><p>No result yet from ${plural(s.pending.length, 'runner')}: ${hostList(s.pending)}</p></section>` : '';
}

function* runnerTable(s: FleetSummary): Generator<string> {
  const outcomes = [...new Set(s.hosts.map((h) => h.outcome))].sort();
  yield `<section id="runners-section"><h2>Runners</h2>
<div id="filter" hidden><label>Filter <input id="q" type="search" placeholder="name, tag, evidence…" autocomplete="off"></label> <label>Class <select id="cls"><option value="">all</option>${outcomes.map((o) => `<option value="${esc(o)}">${esc(o)}</option>`).join('')}</select></label> <span id="shown" class="muted"></span></div>
<table id="runners"><thead><tr><th>runner</th><th>class</th><th>tags</th><th>groups</th><th>address</th><th>OS</th><th>transport</th><th>attempts ok</th><th>median attempt</th><th>detail</th></tr></thead>
<tbody>`;
  for (const [i, h] of s.hosts.entries()) {
    const ok = h.attempts ? `${h.attempts.ok}/${h.attempts.total}` : '-';
    const okV = h.attempts && h.attempts.total ? h.attempts.ok / h.attempts.total : -1;
    yield `${i ? '\n' : ''}<tr data-outcome="${esc(h.outcome)}"><td class="mono">${esc(h.name)}</td><td>${badge(h.outcome)}</td><td>${esc(h.tags.join(', '))}</td><td>${esc(h.groups.join(', '))}</td><td class="mono">${esc(h.address)}</td><td>${esc(h.os)}</td><td>${esc(h.transport)}</td><td class="num" data-v="${okV}">${ok}</td><td class="num" data-v="${h.median_ms ?? LAST}">${esc(formatMs(h.median_ms))}</td><td><code>${esc(h.detail.length > 240 ? `${h.detail.slice(0, 237)}...` : h.detail)}</code></td></tr>`;
  }
  yield '</tbody></table></section>';
}

/** Median attempt time per probed runner, as a histogram: a slow site shows as its own hump. */
export function histogramBins(values: number[], bins = 12): Array<{ from: number; to: number; n: number }> {
  if (!values.length) return [];
  const max = Math.max(...values);
  const step = max > 0 ? max / bins : 1;
  const out = Array.from({ length: bins }, (_, i) => ({ from: i * step, to: (i + 1) * step, n: 0 }));
  for (const v of values) out[Math.min(bins - 1, Math.floor(v / step))]!.n++;
  return out;
}

function timings(s: FleetSummary): string {
  const t = s.timings_ms;
  const medians = s.hosts.map((h) => h.median_ms).filter((x): x is number => x !== null);
  const L = ['<section id="timings"><h2>Attempt times</h2>'];
  L.push(`<p>${t ? `Every attempt of every probed runner: p50 ${esc(formatMs(t.p50))}, p90 ${esc(formatMs(t.p90))}, p99 ${esc(formatMs(t.p99))} (min ${esc(formatMs(t.min))}, max ${esc(formatMs(t.max))}, ${t.n} attempts).` : 'No attempt timings.'}</p>`);
  const bins = histogramBins(medians);
  if (bins.length) {
    const W = 720;
    const H = 160;
    const bw = W / bins.length;
    const top = Math.max(...bins.map((b) => b.n));
    const svg = [`<svg role="img" aria-label="histogram of the median attempt time per runner" width="${W + 20}" height="${H + 50}" viewBox="0 0 ${W + 20} ${H + 50}">`];
    bins.forEach((b, i) => {
      const h = top ? (b.n / top) * H : 0;
      const x = 10 + i * bw;
      svg.push(`<rect x="${x.toFixed(1)}" y="${(H - h + 20).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#0969da"><title>${esc(`${formatMs(b.from)} to ${formatMs(b.to)}: ${plural(b.n, 'runner')}`)}</title></rect>`);
      if (b.n) svg.push(`<text x="${(x + bw / 2 - 4).toFixed(1)}" y="${(H - h + 16).toFixed(1)}">${b.n}</text>`);
    });
    svg.push(`<line x1="10" y1="${H + 20}" x2="${W + 10}" y2="${H + 20}" stroke="#8c959f"/><text x="10" y="${H + 36}">0</text><text x="${W - 60}" y="${H + 36}">${esc(formatMs(bins[bins.length - 1]!.to))}</text></svg>`);
    L.push(`<p class="muted">Median attempt time per probed runner (${plural(medians.length, 'runner')}; hover a bar for its range):</p>${svg.join('')}`);
  }
  L.push('</section>');
  return L.join('\n');
}

function breakdowns(s: FleetSummary): string {
  const L: string[] = [];
  for (const [title, rows] of [
    ['By group', s.by_group],
    ['By tag', s.by_tag],
  ] as const) {
    if (!rows.length) continue;
    L.push(`<h2>${title}</h2><table><tr><th>name</th><th>runners</th><th>ok</th><th>SMTP failing</th><th>not reached</th><th>failed/rejected</th><th>pending</th><th>success</th></tr>`);
    for (const b of rows) L.push(`<tr><td><code>${esc(b.name)}</code></td><td>${b.hosts}</td><td>${b.ok}</td><td>${b.smtp_failing}</td><td>${b.unreachable}</td><td>${b.failed + b.rejected}</td><td>${b.pending}</td><td>${pct(b.success_rate)}</td></tr>`);
    L.push('</table>');
  }
  return L.length ? `<section id="breakdowns">${L.join('\n')}</section>` : '';
}

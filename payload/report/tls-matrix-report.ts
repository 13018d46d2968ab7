// The --tls-matrix and --pcap sections of report.md and report.html: one table per port,
// a row per version, the findings under it.
import type { ProbeSummary } from '../schema/summary.js';
import type { MatrixPort, MatrixVersion, TlsMatrix } from '../schema/tls-matrix.js';
import { esc } from './html-page.js';

const STATUS: Record<MatrixVersion['status'], string> = {
  accepted: 'accepted',
  refused: 'refused by the server (or a middlebox)',
  'runtime-cannot-offer': 'this runtime cannot offer it',
  unreachable: 'not reached (TCP/STARTTLS failed)',
  'not-tried': 'not tried (handshake budget used up)',
};

const suites = (v: MatrixVersion) => (v.ciphers.length ? v.ciphers.map((c) => c.name).join(', ') + (v.ciphers_complete ? '' : ' (list cut by the budget)') : '-');
const runtimeLine = (m: TlsMatrix) => `This runtime (Node ${m.runtime.node}, OpenSSL ${m.runtime.openssl}) offers ${m.runtime.default_offer.join(', ')} by default and can offer ${m.runtime.can_offer.join(', ')} at all.`;
/** Which addresses the matrix covered, and the ones the cap left out. */
const addressLine = (m: TlsMatrix) => {
  const a = m.addresses;
  if (!a) return null;
  const left = a.resolved.filter((ip) => !a.probed.includes(ip));
  return `Addresses: ${a.probed.join(', ')}${left.length ? `; capped at ${a.cap}: not probed ${left.join(', ')}` : ' (every resolved address)'}.`;
};
type Finding = TlsMatrix['ports'][number]['findings'][number];
const findingText = (f: Finding) => `${f.text}.${f.evidence ? ` Evidence: ${f.evidence}.` : ''} Next step: ${f.next_step}`;
const portTitle = (p: MatrixPort) => `${p.ip}:${p.port} (${p.mode})${p.verification ? `, certificate for ${p.verification.name}: ${p.verification.authorized ? 'verified' : `not verified (${p.verification.verify_error})`}` : ''}`;

export function matrixMarkdown(s: ProbeSummary): string[] {
  const m = s.tls_matrix;
  if (!m) return [];
  const L = ['## TLS matrix', ''];
  if (m.skipped) return [...L, `Not made: ${m.skipped}.`, ''];
  L.push(runtimeLine(m), '');
  const addr = addressLine(m);
  if (addr) L.push(addr, '');
  for (const f of m.findings ?? []) L.push(`- ⚠ **${f.id}** (${f.severity}): ${findingText(f)}`);
  if (m.findings?.length) L.push('');
  for (const p of m.ports) {
    L.push(`### ${portTitle(p)}`, '', '| version | result | suites accepted | handshakes |', '|---|---|---|---|');
    for (const v of p.versions) L.push(`| ${v.version} | ${STATUS[v.status]} | ${suites(v).replace(/\|/g, '\\|')} | ${v.handshakes} |`);
    L.push('');
    for (const f of p.findings) L.push(`- ${f.severity === 'error' ? '⚠ ' : ''}**${f.id}** (${f.severity}): ${findingText(f)}`);
    if (p.findings.length) L.push('');
  }
  for (const n of m.runtime.notes) L.push(`- ${n}`);
  L.push('');
  return L;
}

const findingLi = (f: Finding) => `<li${f.severity === 'error' ? ' class="warn"' : ''}><strong>${esc(f.id)}</strong> (${esc(f.severity)}): ${esc(f.text)}.${f.evidence ? ` Evidence: <code>${esc(f.evidence)}</code>.` : ''} <strong>Next step:</strong> ${esc(f.next_step)}</li>`;

export function matrixHtml(s: ProbeSummary): string {
  const m = s.tls_matrix;
  if (!m) return '';
  if (m.skipped) return `<section id="tls-matrix"><h2>TLS matrix</h2><p>Not made: ${esc(m.skipped)}.</p></section>`;
  const ports = m.ports.map((p) => {
    const rows = p.versions.map((v) => `<tr><td>${esc(v.version)}</td><td>${esc(STATUS[v.status])}</td><td class="mono">${esc(suites(v))}</td><td>${v.handshakes}</td></tr>`).join('');
    const findings = p.findings.map(findingLi).join('');
    return `<h3>${esc(portTitle(p))}</h3><table><tr><th>version</th><th>result</th><th>suites accepted</th><th>handshakes</th></tr>${rows}</table>${findings ? `<ul>${findings}</ul>` : ''}`;
  });
  const addr = addressLine(m);
  const across = m.findings?.length ? `<ul>${m.findings.map(findingLi).join('')}</ul>` : '';
  return `<section id="tls-matrix"><h2>TLS matrix</h2><p>${esc(runtimeLine(m))}</p>${addr ? `<p>${esc(addr)}</p>` : ''}${across}${ports.join('')}<ul>${m.runtime.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`;
}

export function pcapMarkdown(s: ProbeSummary): string[] {
  if (!s.pcap) return [];
  return ['## Packet capture', '', `${s.pcap.message}${s.pcap.filter ? `; filter \`${s.pcap.filter}\`` : ''}`, ''];
}

export function pcapHtml(s: ProbeSummary): string {
  if (!s.pcap) return '';
  return `<section id="pcap"><h2>Packet capture</h2><p>${esc(s.pcap.message)}</p>${s.pcap.filter ? `<p class="mono">${esc(s.pcap.filter)}</p>` : ''}</section>`;
}

// The HTML reports take every string from servers, resolvers and runners as hostile: each
// free-text field of a probe run and of a fleet summary in turn carries markup, and none of
// it may come out as markup. The CSP's hashes must match the inline blocks, or the page
// would lose its style (and the fleet page its script).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { attemptSegments, renderHtmlReport } from '../../payload/report/html.js';
import { esc } from '../../payload/report/html-page.js';
import { DnsResolutionSchema, EnvSnapshotSchema, ProbeSummarySchema, type Attempt } from '../../payload/schema/summary.js';
import { aggregate } from '../../store/aggregate.js';
import { renderHealthHtml } from '../../payload/health/report.js';
import { HealthSummarySchema } from '../../payload/schema/health.js';
import { histogramBins, renderFleetHtml } from '../../store/fleet-html.js';
import { FleetSummarySchema, HostResultSchema, transportFailureResult, type SweepMeta } from '../../store/fleet-schema.js';

const EVIL = `<script>alert(1)</script><img src=http://evil.example/x onerror=alert(2)>"'&</textarea><!--`;

const reply = (code: number, line: string, ms = 5) => ({ code, enhanced: null, lines: [line], ms });
const attempt = (id: string, ip: string): Attempt => ({
  id,
  round: 1,
  ip,
  family: 4,
  path: 'direct',
  proxy: null,
  port: 587,
  mode: 'starttls',
  started_at: '2026-11-22T02:00:00.000Z',
  connected_time: '2026-11-22T02:00:00.010Z',
  duration_ms: 120,
  tcp: { ok: true, connect_ms: 10, local_address: '127.0.0.1', local_port: 40000, error: null },
  tls: {
    sni: 'smtp.gmail.com', after: 'starttls', handshake_ms: 20, protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', cipher_standard_name: 'TLS_AES_256_GCM_SHA384', alpn: null,
    authorized: false, verify_error: 'SELF_SIGNED_CERT_IN_CHAIN', verify_reason: 'self-signed certificate in certificate chain',
    chain: [{ subject: 'CN=smtp.gmail.com', issuer: 'CN=Fortinet_CA_SSL', subject_alt_names: ['DNS:smtp.gmail.com'], valid_from: '2026-01-01', valid_to: '2027-01-01', serial: '01', fingerprint_sha256: 'AA:BB', self_signed: false }],
    os_trusted: false, os_store: '/etc/ssl/certs', error: null,
  },
  smtp: {
    banner: reply(220, '220 smtp.gmail.com ESMTP'), ehlo: reply(250, '250-smtp.gmail.com'), starttls: reply(220, '220 go ahead'), ehlo_tls: reply(250, '250-smtp.gmail.com'), noop: reply(250, '250 ok'), quit: reply(221, '221 bye'),
    extensions: ['SIZE', 'AUTH'], features: { size_bytes: 1000, size_mb: 1, auth_mechanisms: ['PLAIN'], starttls: true, pipelining: true, eightbitmime: true, smtputf8: true, chunking: true, enhancedstatuscodes: true, dsn: false },
    egress_ip: '127.0.0.1', auth: null, auth_mechanism: null, auth_challenge: false, auth_skipped: null, mail: null, rcpt: null, data: null, data_end: null, rset: null, message: null, port_speaks_tls: null, error: null, last_line: '221 bye',
  },
  failed_stage: 'tls',
  classification: { class: 'tls', hint_id: 'tls-untrusted', summary: 'untrusted', evidence: 'TLS 127.0.0.1:587', next_step: 'look at the chain' },
  transcript_file: `transcript_${id}.txt`,
});

const summary = () => ({
  schema: 'smtp-probe/probe-summary',
  schema_version: 2,
  tool: { name: 'smtp-probe', version: '0.1.0' },
  run: { id: 'smtp-probe-20261122_020000', command: 'probe', started_at: '2026-11-22T02:00:00.000Z', finished_at: '2026-11-22T02:00:01.000Z', duration_ms: 1000 },
  settings: {
    host: 'smtp.gmail.com', ports: [{ port: 587, mode: 'starttls' }], family: 'any', attempts: 1, concurrency: 4, timeouts_ms: { dns: 1, connect: 1, tls: 1, smtp: 1 }, sni: null, ehlo_name: 'bot', resolver: '127.0.0.1:53',
    hosts_file: '/etc/hosts', compare_dns: ['127.0.0.2:53'], ca_files: [], auth_test: null, send_test: null,
    proxy: { mode: 'auto', proxy: 'http://proxy.corp:8080', kind: 'http', source: 'HTTPS_PROXY', password_from: null, resolved_by: 'proxy' },
    provider: { id: 'gmail', name: 'Gmail', region: null, region_defaulted: false, endpoints: [{ host: 'smtp.gmail.com', port: 587, mode: 'starttls', optional: false }], username: 'the address', auth_mechanisms: ['XOAUTH2'], always_offers_starttls: true, certificate_issuer: 'Google Trust Services', source: 'https://support.google.com' },
  },
  tls_matrix: {
    runtime: { node: 'v20', openssl: '3.0', default_min_version: 'TLSv1.2', default_max_version: 'TLSv1.3', default_offer: ['TLSv1.2'], can_offer: ['TLSv1.2'], default_ciphers: 'x', notes: ['a note'] },
    ports: [{ ip: '127.0.0.2', port: 587, mode: 'starttls', versions: [{ version: 'TLSv1', status: 'accepted', ciphers: [{ name: 'AES256-SHA', standard_name: null }], ciphers_complete: true, error: 'e', handshakes: 1 }], verification: { name: 'smtp.gmail.com', authorized: false, verify_error: 'x', reason: 'y' }, findings: [{ id: 'tls-version-mismatch', severity: 'error', text: 't', next_step: 'n', evidence: 'ev' }], ms: 1 }],
    limits: { max_handshakes_per_port: 1, budget_ms_per_port: 1, concurrency: 1 }, skipped: null,
    addresses: { resolved: ['127.0.0.2', '127.0.0.3'], probed: ['127.0.0.2'], cap: 1 },
    findings: [{ id: 'tls-addresses-differ', severity: 'error', where: '587', text: 't', next_step: 'n', evidence: 'ev' }],
  },
  dns: { source: 'resolver', ms: 3, targets: [{ address: '127.0.0.2', family: 4 }], differences: ['resolvers disagree'], error: null },
  attempts: [attempt('1', '127.0.0.2'), attempt('2', '127.0.0.3')],
  sweep: {
    total: 2, ok: 0, success_rate: 0,
    per_target: [{ ip: '127.0.0.2', port: 587, mode: 'starttls', path: 'direct', attempts: 1, ok: 0, success_rate: 0, classes: { tls: 1 } }],
    timings_ms: { connect: { n: 2, min: 1, median: 1, p90: 1, max: 1 }, tls: null, banner: null, ehlo: null, starttls: null, ehlo_tls: null, auth: null, mail: null, noop: null, quit: null, total: null },
  },
  egress_ips: ['127.0.0.1'],
  verdict: { class: 'tls', exit_code: 12, partial: false, counts: { tls: 2 }, hint_id: 'tls-untrusted', summary: 'the chain is not trusted', evidence: 'TLS 127.0.0.2:587', next_step: 'ask the network team' },
  proxy_discovery: { env: { HTTPS_PROXY: 'http://proxy.corp:8080' }, no_proxy: 'localhost', no_proxy_covers_host: false, winhttp: { direct: false, proxy_server: 'p:1', bypass_list: 'b' }, wininet: { proxy_enable: true, proxy_server: 'p:2', proxy_override: 'o', pac_url: 'http://wpad/pac', auto_detect: true }, candidates: [{ source: 'HTTPS_PROXY', proxy: 'http://proxy.corp:8080' }], chosen: null, notes: ['a note'] },
  comparison: null,
  files: ['report.md', 'report.html'],
});
const dnsRecord = () => ({
  schema: 'smtp-probe/dns-resolution', schema_version: 2, host: 'smtp.gmail.com', family: 'any', source: 'resolver', system_servers: ['127.0.0.53'], getaddrinfo: null,
  resolvers: [
    { role: 'resolver', server: '127.0.0.1:53', queries: [{ rrtype: 'A', ms: 1, answers: [{ address: '127.0.0.2', ttl: 300 }], error: null }, { rrtype: 'AAAA', ms: 1, answers: [], error: null }], addresses: ['127.0.0.2'] },
    { role: 'compare', server: '127.0.0.2:53', queries: [{ rrtype: 'A', ms: 1, answers: [{ address: '127.0.0.9', ttl: 60 }], error: null }], addresses: ['127.0.0.9'] },
  ],
  hosts_file: { path: '/etc/hosts', entries: [{ line: 3, address: '127.0.0.2', family: 4 }], error: null }, targets: [{ address: '127.0.0.2', family: 4 }], differences: ['only one resolver returned 127.0.0.9'], ms: 2, error: null,
});
const envRecord = () => ({
  schema: 'smtp-probe/env-snapshot', schema_version: 2, collected_at: '2026-11-22T02:00:00.000Z', os: { platform: 'linux', release: '6.1', version: '#1', arch: 'x64', hostname: 'bot-1' },
  runtime: { node: '20.0.0', openssl: '3.0', tool_version: '0.1.0' }, clock: { utc: '2026-11-22T02:00:00.000Z', local: 'x', timezone: 'UTC', utc_offset_minutes: 0 }, proxy_env: {}, proxy_discovery: null, interfaces: [],
});

/**
 * Every string leaf of `base` that its schema lets hold any text gets EVIL appended (leaves
 * whose schema refuses it, an enum or a literal, stay). Returns the hostile object and how many
 * leaves took the text.
 */
function poison<T>(schema: z.ZodType<T>, base: unknown): { value: T; poisoned: number } {
  const root = structuredClone(base) as Record<string, unknown>;
  let poisoned = 0;
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (typeof v === 'string') {
        (node as Record<string, unknown>)[k] = v + EVIL;
        if (schema.safeParse(root).success) poisoned++;
        else (node as Record<string, unknown>)[k] = v;
      } else walk(v);
    }
  };
  walk(root);
  return { value: schema.parse(root), poisoned };
}

function expectInert(html: string, scripts: number) {
  expect(html).not.toContain('<img');
  expect(html).not.toContain('<textarea');
  expect(html).not.toMatch(/<!--/);
  expect(html).not.toContain('alert(1)</script>');
  expect(html.match(/<script/g) ?? []).toHaveLength(scripts);
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=http://evil.example/x onerror=alert(2)&gt;&quot;&#39;&amp;');
  // The CSP forbids every fetch and allows exactly the inline blocks the page has.
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!.replace(/&#39;/g, "'");
  expect(csp).toMatch(/^default-src 'none'; /);
  for (const d of ["img-src 'none'", "connect-src 'none'", "font-src 'none'", "base-uri 'none'", "form-action 'none'"]) expect(csp).toContain(d);
  const sha = (t: string) => `'sha256-${createHash('sha256').update(t).digest('base64')}'`;
  expect(csp).toContain(`style-src ${sha(/<style>([\s\S]*?)<\/style>/.exec(html)![1]!)}`);
  const script = /<script>([\s\S]*?)<\/script>/.exec(html);
  expect(csp).toContain(`script-src ${script ? sha(script[1]!) : "'none'"}`);
}

describe('HTML escaping', () => {
  it('escapes the five characters with a meaning', () => {
    expect(esc(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
    expect(esc(null)).toBe('');
    expect(esc(12)).toBe('12');
  });

  it('renders a probe run whose every free-text field is hostile as inert text', () => {
    const s = poison(ProbeSummarySchema, summary());
    const d = poison(DnsResolutionSchema, dnsRecord());
    const env = poison(EnvSnapshotSchema, envRecord());
    // Most of the record is free text: the test must really have reached it.
    expect(s.poisoned).toBeGreaterThan(60);
    expect(d.poisoned + env.poisoned).toBeGreaterThan(15);
    const html = renderHtmlReport(s.value, d.value, env.value, [{ name: s.value.attempts[0]!.transcript_file, text: `S: 220 ${EVIL}\n` }]);
    expectInert(html, 0);
    expect(html).toContain('class="disagree"');
    for (const id of ['preset', 'proxy', 'tls-matrix']) expect(html).toContain(`<section id="${id}">`);
  });

  it('renders a health run whose every free-text field is hostile as inert text', () => {
    const endpoint = { host: 'smtp.gmail.com', port: 587, mode: 'starttls', class: 'connect', hint_id: 'connect-refused', failed_stage: 'connect', outcome: 'connect refused', evidence: 'ECONNREFUSED', next_step: 'open the port', addresses: ['127.0.0.2'], duration_ms: 3 };
    const h = poison(HealthSummarySchema, {
      schema: 'smtp-probe/health-summary', schema_version: 1, tool: { name: 'smtp-probe', version: '0.1.0' },
      run: { id: 'r', command: 'health', started_at: '2026-11-22T02:00:00.000Z', finished_at: '2026-11-22T02:00:01.000Z', duration_ms: 1000 },
      settings: { providers: ['gmail'], region: 'eu-west-1', concurrency: 4, timeouts_ms: { dns: 1, connect: 1, tls: 1, smtp: 1 }, resolver: '127.0.0.1:53', family: 'any' },
      providers: [{ id: 'gmail', name: 'Gmail', status: 'failed', finding: 'network', line: 'Gmail connect refused on 587', endpoints: [endpoint] }],
      verdict: { kind: 'egress-block', exit_code: 21, summary: 'blocked', next_step: 'ask', blocked_ports: [] },
      files: ['report.md'],
    });
    expect(h.poisoned).toBeGreaterThan(15);
    expectInert(renderHealthHtml(h.value), 0);
  });

  it('renders a fleet summary whose every free-text field is hostile as inert text', () => {
    const meta: SweepMeta = { schema: 'smtp-fleet/sweep', schema_version: 3, id: 'S1', created: '2026-11-22T02:00:00.000Z', kind: 'sweep', selection: { hosts: [], tags: [], groups: [], limit: null }, hosts: ['a', 'b'], targets: [], options: { auth_test: false, auth_max_per_account: null, inventory: null, concurrency: null, payload_version: null, deadline: null } };
    const common = (host: string) => ({ sweep_id: 'S1', host, transport: 'ssh' as const, job_id: `S1:${host}`, job_attempts: 1, started_at: '2026-11-22T02:00:00.000Z', finished_at: '2026-11-22T02:00:01.000Z', duration_ms: 1000 });
    const probed = HostResultSchema.parse({
      schema: 'smtp-fleet/host-result', schema_version: 2, ...common('a'), status: 'probed',
      verdict: { class: 'tls', exit_code: 12, partial: false, hint_id: 'h', summary: 's', evidence: 'e', next_step: 'n' },
      attempts: { ok: 0, total: 2, totals_ms: [100, 200] }, server: 'smtp.gmail.com', ports: [{ port: 587, mode: 'starttls' }], egress_ips: [], payload_version: '0.1.0', findings: ['tls-version-mismatch:587', 'unknown-finding:25'],
      zip: { path: 'sweeps/S1/hosts/a/result.zip', sha256: 'a'.repeat(64), bytes: 1 }, transport_stats: { uploaded_bytes: 0, cache_hit: true },
    });
    const s = aggregate(meta, [probed, transportFailureResult(common('b'), { code: 'unreachable', message: 'no route' })], [], null);
    const f = poison(FleetSummarySchema, s);
    expect(f.poisoned).toBeGreaterThan(15);
    expect(f.value.finding_groups![0]!.label).toContain(EVIL);
    expectInert(renderFleetHtml(f.value), 1);
    expect(renderFleetHtml(f.value)).toContain('<section id="findings">');
  });
});

describe('HTML report pieces', () => {
  it('lays an attempt out stage after stage, the rest of a failed one as the wait', () => {
    const a = attempt('1', '127.0.0.2');
    expect(attemptSegments(a).map((g) => [g.label, g.ms])).toEqual([
      ['connect', 10], ['banner 220', 5], ['EHLO 250', 5], ['STARTTLS 220', 5], ['TLS TLSv1.3', 20], ['EHLO (TLS) 250', 5], ['NOOP 250', 5], ['QUIT 221', 5], ['tls failed', 60],
    ]);
  });

  it('bins the runners by median attempt time', () => {
    expect(histogramBins([])).toEqual([]);
    const b = histogramBins([10, 20, 120], 4);
    expect(b.map((x) => x.n)).toEqual([2, 0, 0, 1]);
    expect(b[3]).toEqual({ from: 90, to: 120, n: 1 });
  });
});

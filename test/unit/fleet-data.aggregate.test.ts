// The fleet view of a realistic sweep: verdict counts, failures grouped across per-host noise,
// unreachable runners apart, breakdowns, percentiles, and what changed since the last sweep.
import { describe, expect, it } from 'vitest';
import { aggregate, normaliseEvidence, percentiles } from '../../store/aggregate.js';
import { code, renderFleetReport } from '../../store/fleet-report.js';
import { FleetSummarySchema, HostResultSchema, transportFailureResult, type HostResult, type ProbedResult, type SweepMeta } from '../../store/fleet-schema.js';
import { parseInventory } from '../../inventory/load.js';
import { EXIT_CODES, type FailureClass } from '../../payload/classify/classes.js';

const inv = parseInventory(
  `version: 1
defaults: { os: linux, transport: ssh, user: bot, auth: { agent: true } }
groups:
  paris: { tags: [paris] }
  lyon: { tags: [lyon] }
hosts:
  - { name: p1, address: 10.0.0.1, tags: [paris, prod], probe: { aa: { activity: Mail invoices } } }
  - { name: p2, address: 10.0.0.2, tags: [paris, prod] }
  - { name: p3, address: 10.0.0.3, tags: [paris] }
  - { name: p4, address: 10.0.0.4, tags: [paris] }
  - { name: t1, address: 10.0.1.1, tags: [lyon, prod] }
  - { name: t2, address: 10.0.1.2, tags: [lyon, prod] }
  - { name: t3, address: 10.0.1.3, tags: [lyon] }
  - { name: a1, address: 10.0.2.1, tags: [lyon] }
  - { name: u1, address: 10.0.3.1, tags: [paris] }
  - { name: u2, address: 10.0.3.2, tags: [paris] }
  - { name: u3, address: 10.0.3.3 }
  - { name: f1, address: 10.0.4.1 }
  - { name: r1, address: 10.0.5.1 }
  - { name: q1, address: 10.0.6.1 }
  - { name: w1, address: 10.0.7.1, os: windows, transport: winrm, auth: { passwordEnv: W } }
`,
  'fleet.yml',
);

function meta(id: string, created: string, hosts: string[]): SweepMeta {
  return { schema: 'smtp-fleet/sweep', schema_version: 3, id, created, kind: 'sweep', selection: { hosts: [], tags: [], groups: [], limit: null }, hosts, targets: inv.hosts.filter((h) => hosts.includes(h.name)), options: { auth_test: false, auth_max_per_account: null, inventory: 'fleet.yml', concurrency: null, payload_version: null, deadline: null } };
}
const common = (sweep_id: string, host: string, finished_at = '2026-11-22T02:01:00.000Z') => ({
  sweep_id,
  host,
  transport: 'ssh' as const,
  job_id: `${sweep_id}:${host}`,
  job_attempts: 1,
  started_at: '2026-11-22T02:00:00.000Z',
  finished_at,
  duration_ms: 1500,
});
function probed(sweep_id: string, host: string, cls: FailureClass, evidence: string, totals_ms: number[], ok = cls === 'ok' ? totals_ms.length : 0, hint_id = cls === 'ok' ? 'ok' : `${cls}-x`): HostResult {
  return HostResultSchema.parse({
    schema: 'smtp-fleet/host-result',
    schema_version: 2,
    ...common(sweep_id, host),
    status: 'probed',
    verdict: { class: cls, exit_code: EXIT_CODES[cls], partial: ok > 0 && ok < totals_ms.length, hint_id, summary: 's', evidence, next_step: 'n' },
    attempts: { ok, total: totals_ms.length, totals_ms },
    server: 'smtp.gmail.com',
    ports: [{ port: 587, mode: 'starttls' }],
    egress_ips: ['203.0.113.7'],
    payload_version: '0.1.0',
    zip: { path: `sweeps/${sweep_id}/hosts/${host}/result.zip`, sha256: 'a'.repeat(64), bytes: 12345 },
    transport_stats: { uploaded_bytes: 0, cache_hit: true },
  });
}
// As the probe writes it: IPv6 in brackets before the port; a timestamp that differs per runner.
const tlsEvidence = (ip: string) =>
  `TLS ${ip.includes(':') ? `[${ip}]` : ip}:587 (SNI smtp.gmail.com): SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain; issuer CN=Fortinet_CA_SSL, O=Fortinet at 2026-11-22T02:00:${String(ip.length).padStart(2, '0')}Z`;
const authEvidence = (trace: string) => `S: 535 5.7.8 Username and Password not accepted. https://support.google.com/mail/?p=BadCredentials ${trace} - gsmtp (reply to AUTH PLAIN)`;

const NOW = 'S2';
const current: HostResult[] = [
  probed(NOW, 'p1', 'ok', 'S: 250 2.0.0 OK', [100, 110]),
  probed(NOW, 'p2', 'ok', 'S: 250 2.0.0 OK', [120, 130]),
  probed(NOW, 'p3', 'ok', 'S: 250 2.0.0 OK', [140, 150]),
  probed(NOW, 'p4', 'ok', 'S: 250 2.0.0 OK', [160, 170], 2),
  probed(NOW, 't1', 'tls', tlsEvidence('142.250.1.108'), [300, 310], 0, 'proxy-tls-interception'),
  probed(NOW, 't2', 'tls', tlsEvidence('142.250.1.109'), [320, 330], 0, 'proxy-tls-interception'),
  probed(NOW, 't3', 'tls', tlsEvidence('2a00:1450:400c:c07::6c'), [340, 350], 0, 'proxy-tls-interception'),
  probed(NOW, 'a1', 'auth', authEvidence('d2e1a72fcb4a3-42b3a7c1234sm5678901.23'), [900, 2000], 0, 'gmail-bad-credentials'),
  transportFailureResult(common(NOW, 'u1'), { code: 'unreachable', message: 'connect ECONNREFUSED 10.0.3.1:22' }),
  transportFailureResult(common(NOW, 'u2'), { code: 'unreachable', message: 'connect ECONNREFUSED 10.0.3.2:22' }),
  transportFailureResult(common(NOW, 'u3'), { code: 'timeout', message: 'ssh handshake with u3 timed out after 10000 ms' }),
  transportFailureResult(common(NOW, 'f1'), { code: 'host-key-mismatch', message: 'host key of 10.0.4.1 changed: SHA256:abc' }),
  { schema: 'smtp-fleet/host-result', schema_version: 2, ...common(NOW, 'r1'), status: 'rejected', reason: 'entry "../x" climbs out of its folder with ".."', zip_bytes: 300, zip_sha256: null },
  // A hostile runner's evidence: markdown, HTML and table breakers.
  probed(NOW, 'w1', 'unknown', 'S: 599 | <script>alert(1)</script> [click](http://evil.example) `x`\nsecond line', [50], 0, 'unknown-reply'),
];
const selected = ['p1', 'p2', 'p3', 'p4', 't1', 't2', 't3', 'a1', 'u1', 'u2', 'u3', 'f1', 'r1', 'q1', 'w1'];

// The previous sweep: p2 failed then (recovered now), t1 was ok (new failure), a1 was tls
// (changed class), u1 was ok (now unreachable: a change, not an SMTP failure), old1 is gone,
// p3 was not in it.
const PREV = 'S1';
const previous = aggregate(
  meta(PREV, '2026-11-21T02:00:00.000Z', ['p1', 'p2', 't1', 'a1', 'u1', 'old1', 'q1']),
  [
    probed(PREV, 'p1', 'ok', 'ok', [100]),
    probed(PREV, 'p2', 'tls', tlsEvidence('142.250.1.108'), [100]),
    probed(PREV, 't1', 'ok', 'ok', [100]),
    probed(PREV, 'a1', 'tls', tlsEvidence('142.250.1.108'), [100]),
    probed(PREV, 'u1', 'ok', 'ok', [100]),
    probed(PREV, 'old1', 'ok', 'ok', [100]),
  ],
  inv.hosts,
);

describe('fleet aggregation', () => {
  const s = aggregate(meta(NOW, '2026-11-22T02:00:00.000Z', selected), current, inv.hosts, previous, new Date('2026-11-22T02:10:00Z'));

  it('counts verdicts of probed runners apart from runners not reached', () => {
    expect(s.counts).toEqual({ selected: 15, probed: 9, ok: 4, smtp_failing: 5, unreachable: 3, failed: 1, rejected: 1, pending: 1, timed_out: 0 });
    expect(s.verdicts).toMatchObject({ ok: 4, tls: 3, auth: 1, unknown: 1, connect: 0 });
    expect(s.success_rate).toBeCloseTo(4 / 9);
    expect(s.attempt_success_rate).toBeCloseTo(8 / 17);
    expect(s.pending).toEqual(['q1']);
    expect(FleetSummarySchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it('takes timing percentiles over every attempt of every probed runner', () => {
    expect(s.timings_ms).toEqual({ n: 17, min: 50, p50: 170, p90: 900, p99: 2000, max: 2000 });
    expect(percentiles([])).toBeNull();
    expect(percentiles([5])).toEqual({ n: 1, min: 5, p50: 5, p90: 5, p99: 5, max: 5 });
    expect(s.hosts.find((h) => h.name === 'p1')).toMatchObject({ median_ms: 100, attempts: { ok: 2, total: 2 }, aa: { activity: 'Mail invoices' } });
  });

  it('groups identical failures across per-host IPs, timestamps and trace ids', () => {
    expect(s.failure_groups[0]).toEqual({
      outcome: 'tls',
      hint_id: 'proxy-tls-interception',
      evidence: 'TLS <ip>:587 (SNI smtp.gmail.com): SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain; issuer CN=Fortinet_CA_SSL, O=Fortinet at <time>',
      next_step: 'n',
      hosts: ['t1', 't2', 't3'],
    });
    expect(renderFleetReport(s)).toContain('  - next step: `n`\n');
    expect(s.failure_groups.map((g) => [g.outcome, g.hosts])).toEqual([
      ['tls', ['t1', 't2', 't3']],
      ['auth', ['a1']],
      ['unknown', ['w1']],
    ]);
    // Two runners failing AUTH with different Gmail trace ids are one group.
    const two = aggregate(meta('X', '2026-11-22T00:00:00Z', ['a1', 'p1']), [
      probed('X', 'a1', 'auth', authEvidence('d2e1a72fcb4a3-42b3a7c1234sm5678901.23'), [1]),
      probed('X', 'p1', 'auth', authEvidence('a98c61e0f1b2-3c4d5e6f789sm1234567.45'), [1]),
    ], inv.hosts);
    expect(two.failure_groups).toHaveLength(1);
    expect(two.failure_groups[0]!.evidence).toBe('S: 535 5.7.8 Username and Password not accepted. https://support.google.com/mail/?p=BadCredentials <id> - gsmtp (reply to AUTH PLAIN)');
  });

  it('keeps runners not reached, and reached without a result, out of the SMTP verdicts', () => {
    expect(s.unreachable_groups).toEqual([
      { code: 'unreachable', message: 'connect ECONNREFUSED <runner>:22', hosts: ['u1', 'u2'] },
      { code: 'timeout', message: 'ssh handshake with <runner> timed out after <duration>', hosts: ['u3'] },
    ]);
    expect(s.runner_problems).toEqual([
      { status: 'failed', code: 'host-key-mismatch', message: 'host key of <runner> changed: SHA256:abc', hosts: ['f1'] },
      { status: 'rejected', code: 'zip-rejected', message: 'entry "../x" climbs out of its folder with ".."', hosts: ['r1'] },
    ]);
    expect(s.failure_groups.flatMap((g) => g.hosts)).not.toContain('u1');
  });

  it('breaks down by tag and group', () => {
    expect(s.by_group.find((b) => b.name === 'paris')).toEqual({ name: 'paris', hosts: 6, ok: 4, smtp_failing: 0, unreachable: 2, failed: 0, rejected: 0, pending: 0, timed_out: 0, success_rate: 1 });
    expect(s.by_group.find((b) => b.name === 'lyon')).toMatchObject({ hosts: 4, ok: 0, smtp_failing: 4, success_rate: 0 });
    expect(s.by_tag.find((b) => b.name === 'prod')).toMatchObject({ hosts: 4, ok: 2, smtp_failing: 2, success_rate: 0.5 });
  });

  it('reports what changed since the previous sweep', () => {
    expect(s.changes).toEqual({
      previous_sweep_id: 'S1',
      previous_created: '2026-11-21T02:00:00.000Z',
      new_failures: [{ host: 't1', from: 'ok', to: 'tls' }],
      recovered: [{ host: 'p2', from: 'tls', to: 'ok' }],
      changed: [
        { host: 'a1', from: 'tls', to: 'auth' },
        { host: 'u1', from: 'ok', to: 'unreachable' },
      ],
      new_hosts: ['p3', 'p4', 't2', 't3', 'u2', 'u3', 'f1', 'r1', 'w1'],
      missing_hosts: ['old1'],
    });
    expect(aggregate(meta(NOW, '2026-11-22T02:00:00.000Z', selected), current, inv.hosts).changes).toBeNull();
  });

  it('keeps the latest result when a host was probed twice (a re-probe replaces)', () => {
    const again = { ...probed(NOW, 't1', 'ok', 'ok', [90]), finished_at: '2026-11-22T03:00:00.000Z' } as HostResult;
    const s2 = aggregate(meta(NOW, '2026-11-22T02:00:00.000Z', selected), [...current, again], inv.hosts);
    expect(s2.hosts.find((h) => h.name === 't1')!.outcome).toBe('ok');
    expect(s2.counts.ok).toBe(5);
    expect(s2.hosts.filter((h) => h.name === 't1')).toHaveLength(1);
  });

  it('normalises per-host noise but keeps SMTP codes, ports and names', () => {
    expect(normaliseEvidence('connect 142.250.27.108:587: ETIMEDOUT (connect timed out after 5000ms)')).toBe('connect <ip>:587: ETIMEDOUT (connect timed out after <duration>)');
    expect(normaliseEvidence('connect [2a00:1450:4013:c01::6c]:465: ENETUNREACH')).toBe('connect <ip>:465: ENETUNREACH');
    expect(normaliseEvidence('S: 421 4.7.0 Try again later, closing connection. (EHLO) 5.7.8')).toBe('S: 421 4.7.0 Try again later, closing connection. (EHLO) 5.7.8');
    expect(normaliseEvidence('runner win-07 said no', ['win-07'])).toBe('runner <runner> said no');
  });
});

describe('fleet report', () => {
  const s = aggregate(meta(NOW, '2026-11-22T02:00:00.000Z', selected), current, inv.hosts, previous, new Date('2026-11-22T02:10:00Z'));
  const md = renderFleetReport(s);

  it('leads with counts, changes and grouped failures, with runners not reached apart', () => {
    expect(md).toContain('# Fleet report: sweep S2');
    expect(md).toContain('- SMTP: 4 of 9 probed runners can send (44.4%); 5 runners failing; attempts 47.1% ok');
    expect(md).toContain('- Runners not reached: 3; reached without a usable result: 2; pending: 1');
    expect(md).toContain('- Attempt time: p50 170 ms, p90 900 ms, p99 2000 ms');
    expect(md).toMatch(/## Changes since sweep S1[^\n]*\n\n- New failure: `t1` ok → \*\*tls\*\*\n- Recovered: `p2` tls → ok\n/);
    expect(md).toContain('- **3 runners: tls** (`proxy-tls-interception`): `TLS <ip>:587');
    expect(md).toContain('  - `t1`, `t2`, `t3`');
    const notReached = md.slice(md.indexOf('## Runners not reached'), md.indexOf('## Runners reached without'));
    expect(notReached).toContain('- **2 runners: `unreachable`**: `connect ECONNREFUSED <runner>:22');
    expect(notReached).not.toContain('tls');
    expect(md).toContain('## Pending\n\nNo result yet from 1 runner: `q1`');
    expect(md.indexOf('## SMTP failures by evidence')).toBeLessThan(md.indexOf('## Runners not reached'));
  });

  it('puts what a runner sent in code spans, so it cannot add HTML, links or table columns', () => {
    const row = md.split('\n').find((l) => l.startsWith('| `w1` '))!;
    const cells = gfmCells(row);
    expect(cells).toHaveLength(7);
    // The hostile evidence is one code span, whole and unescaped but for the table's pipe.
    expect(cells[6]).toBe('``S: 599 \\| <script>alert(1)</script> [click](http://evil.example) `x` second line``');
    for (const c of [cells[0]!, cells[1]!, cells[6]!]) expect(isOneCodeSpan(c)).toBe(true);
    expect(md).not.toMatch(/TLS\\_|\\</);
    expect(md.split('\n').filter((l) => l.includes('second line'))).toHaveLength(2);
  });

  it.each([
    ['plain', 'TLS_AES_256_GCM_SHA384', '`TLS_AES_256_GCM_SHA384`'],
    ['a backtick run', 'a ``b`` c', '```a ``b`` c```'],
    ['a leading backtick', '`x', '`` `x ``'],
    ['newlines and control characters', 'a\r\nb\u0000c\u001b[31md\u2028e', '`a b c [31md e`'],
    ['empty', '', '-'],
  ])('code(): %s', (_what, input, want) => {
    expect(code(input)).toBe(want);
    expect(isOneCodeSpan(code(input)) || want === '-').toBe(true);
  });

  it.each([['a|b'], ['a\\|b'], ['a\\\\|b'], ['a\\\\\\|b'], ['|'], ['x` | `y']])('a table cell holding %j stays one cell', (input) => {
    const row = `| ${code(input, 200, true)} | next |`;
    expect(gfmCells(row)).toHaveLength(2);
    expect(gfmCells(row)[1]).toBe('next');
  });
});

/** Splits a GFM table row as cmark-gfm does: a backslash escapes the next character, an unescaped | ends a cell. */
function gfmCells(row: string): string[] {
  const cells: string[] = [];
  let cur = '';
  for (let i = 1; i < row.length; i++) {
    const ch = row[i]!;
    if (ch === '\\' && i + 1 < row.length) {
      cur += ch + row[++i]!;
    } else if (ch === '|') {
      cells.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  return cells;
}

/** True when the text is exactly one code span: no run of its fence length inside. */
function isOneCodeSpan(t: string): boolean {
  const m = /^(`+)([\s\S]*?)(`+)$/.exec(t);
  if (!m || m[1]!.length !== m[3]!.length) return false;
  return !(m[2]!.match(/`+/g) ?? []).some((r) => r.length === m[1]!.length);
}

describe('runner text carried into the fleet files', () => {
  it('caps a 7 MiB evidence string (and next step, reasons) at 2 KB with a truncation marker', () => {
    const huge = `S: 550 ${'é'.repeat(3.5 * 1024 * 1024)}`;
    const big = probed(NOW, 'p1', 'smtp-policy', huge, [100]) as ProbedResult;
    big.verdict.next_step = 'n'.repeat(1_000_000);
    const bigReason: HostResult = { schema: 'smtp-fleet/host-result', schema_version: 2, ...common(NOW, 'r1'), status: 'rejected', reason: 'r'.repeat(100_000), zip_bytes: null, zip_sha256: null };
    const s = aggregate(meta(NOW, '2026-11-22T02:00:00.000Z', ['p1', 'r1']), [big, bigReason], inv.hosts);
    const json = JSON.stringify(s);
    expect(json.length).toBeLessThan(20_000);
    const detail = s.hosts.find((h) => h.name === 'p1')!.detail;
    expect(detail).toMatch(new RegExp(`^S: 550 é+… \\[truncated, ${Buffer.byteLength(huge)} bytes\\]$`));
    // Cut on a character boundary: no replacement character from half an "é".
    expect(detail).not.toContain('\ufffd');
    expect(Buffer.byteLength(detail.split('…')[0]!)).toBeLessThanOrEqual(2048);
    // Normalised: the length is a number like any other, so two such runners share a group.
    expect(s.failure_groups[0]!.evidence).toMatch(/… \[truncated, <n> bytes\]$/);
    expect(s.failure_groups[0]!.next_step).toMatch(/^n+… \[truncated, 1000000 bytes\]$/);
    expect(s.hosts.find((h) => h.name === 'r1')!.detail).toMatch(/\[truncated, 100000 bytes\]$/);
    expect(renderFleetReport(s).length).toBeLessThan(20_000);
    // Short text is carried whole.
    expect(aggregate(meta(NOW, '2026-11-22T02:00:00.000Z', ['p1']), [probed(NOW, 'p1', 'tls', 'short', [1])], inv.hosts).hosts[0]!.detail).toBe('short');
  });
});

describe('fleet aggregation of findings', () => {
  it('groups probed runners by finding and port, largest group first, with each id\'s label and next step, and lists them in the report', () => {
    const withFindings = (host: string, findings: string[]) => ({ ...probed(NOW, host, 'ok', 'S: 250 2.0.0 OK', [100]), findings }) as HostResult;
    const s = aggregate(
      meta(NOW, '2026-11-22T02:00:00.000Z', ['p1', 'p2', 'p3']),
      [withFindings('p2', ['starttls-not-required:587', 'tarpit:25', 'tls-version-mismatch:465']), withFindings('p1', ['starttls-not-required:587', 'tls-version-mismatch:465', 'sender-new-source:x']), probed(NOW, 'p3', 'ok', 'ok', [1])],
      inv.hosts,
    );
    expect(s.finding_groups!.map((g) => [g.finding, g.hosts])).toEqual([
      ['starttls-not-required:587', ['p1', 'p2']],
      ['tls-version-mismatch:465', ['p1', 'p2']],
      ['sender-new-source:x', ['p1']],
      ['tarpit:25', ['p2']],
    ]);
    expect(s.finding_groups![1]).toMatchObject({ label: 'TLS: server allows only versions this runtime does not offer', next_step: expect.stringContaining('Enable TLS 1.2') });
    // An id without a label (a source added later) is grouped all the same, without one.
    expect(s.finding_groups![2]).toEqual({ finding: 'sender-new-source:x', hosts: ['p1'] });
    expect(FleetSummarySchema.parse(s)).toEqual(s);
    const md = renderFleetReport(s);
    expect(md).toContain('## Runners by finding');
    expect(md).toContain('- `starttls-not-required:587` MAIL FROM accepted before STARTTLS: 2 runners: `p1`, `p2`\n  - next step: Have the server');
    expect(md).toContain('- `sender-new-source:x`: 1 runner: `p1`\n- `tarpit:25`');
  });
});

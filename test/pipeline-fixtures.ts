// Inputs of the pipeline-output tests: a real probe summary (a refused run, addresses made
// documentation ones) and a small sweep, both carrying a hostile server's evidence.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseInventory } from '../inventory/load.js';
import { EXIT_CODES } from '../payload/classify/classes.js';
import { ProbeSummarySchema, type ProbeSummary } from '../payload/schema/summary.js';
import { aggregate } from '../store/aggregate.js';
import { HostResultSchema, transportFailureResult, type HostResult, type SweepMeta } from '../store/fleet-schema.js';
import { ROOT } from './helpers.js';

/** Control characters, markup, a non-character, a lone surrogate, a line separator, an emoji, CR LF. */
export const HOSTILE = `220 \x00\x1b[31mEVIL\x1b[0m <script>&amp; "quoted" 'single' ]]> \uFFFE \uD800 \u2028 \u{1F600}\r\n2nd line`;

/** Four refused attempts: the first with HOSTILE evidence (class unknown), the second ok. */
export function summary(): ProbeSummary {
  const s = ProbeSummarySchema.parse(JSON.parse(readFileSync(join(ROOT, 'test/fixtures/probe-summary-refused.json'), 'utf8')));
  s.attempts[0]!.classification.evidence = HOSTILE;
  s.attempts[0]!.classification.class = 'unknown';
  const ok = s.attempts[1]!;
  ok.classification = { class: 'ok', hint_id: 'ok', summary: 'the full path works', evidence: 'NOOP 250', next_step: 'nothing to fix' };
  ok.failed_stage = null;
  return s;
}


export const inv = parseInventory(
  `version: 1
defaults: { os: linux, transport: ssh, user: bot, auth: { agent: true } }
groups:
  paris: { tags: [paris] }
hosts:
  - { name: p1, address: 10.0.0.1, tags: [paris] }
  - { name: p2, address: 10.0.0.2, tags: [paris] }
  - { name: t1, address: 10.0.1.1 }
  - { name: u1, address: 10.0.3.1 }
`,
  'fleet.yml',
);
export const SWEEP = '20261122-020000-abcd';
export const meta: SweepMeta = {
  schema: 'smtp-fleet/sweep',
  schema_version: 3,
  id: SWEEP,
  created: '2026-11-22T02:00:00.000Z',
  kind: 'sweep',
  selection: { hosts: [], tags: [], groups: [], limit: null },
  hosts: inv.hosts.map((h) => h.name),
  targets: inv.hosts,
  options: { auth_test: false, auth_max_per_account: null, inventory: 'fleet.yml', concurrency: null, payload_version: null, deadline: null },
};
const common = (host: string, finished_at = '2026-11-22T02:01:30.000Z') => ({ sweep_id: SWEEP, host, transport: 'ssh' as const, job_id: null, job_attempts: 1, started_at: '2026-11-22T02:00:01.000Z', finished_at, duration_ms: 2500 });
function probed(host: string, cls: 'ok' | 'tls', evidence: string, totals_ms: number[]): HostResult {
  return HostResultSchema.parse({
    schema: 'smtp-fleet/host-result',
    schema_version: 2,
    ...common(host),
    status: 'probed',
    verdict: { class: cls, exit_code: EXIT_CODES[cls], partial: false, hint_id: cls === 'ok' ? 'ok' : 'tls-untrusted', summary: `summary of ${cls}`, evidence, next_step: `fix ${cls}` },
    attempts: { ok: cls === 'ok' ? totals_ms.length : 0, total: totals_ms.length, totals_ms },
    server: 'smtp.gmail.com',
    ports: [{ port: 587, mode: 'starttls' }],
    egress_ips: [],
    payload_version: '0.1.0',
    zip: { path: `sweeps/${SWEEP}/hosts/${host}/result.zip`, sha256: 'a'.repeat(64), bytes: 10 },
    transport_stats: { uploaded_bytes: 0, cache_hit: true },
  });
}
export const results: HostResult[] = [
  probed('p1', 'ok', 'NOOP 250', [100, 200, 300, 400]),
  probed('p2', 'tls', HOSTILE, [1500, 2500]),
  probed('t1', 'ok', 'NOOP 250', [50]),
  transportFailureResult(common('u1', '2026-11-22T02:02:00.000Z'), { code: 'unreachable', message: 'connect ECONNREFUSED 10.0.3.1:22' }),
];
export const fleetSummary = () => aggregate(meta, results, inv.hosts, null, new Date('2026-11-22T02:03:00.000Z'));

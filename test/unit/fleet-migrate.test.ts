// An upgraded controller keeps its history: the store's version-1 files (camelCase, written by
// the controller before every JSON moved to snake_case; test/fixtures/store-v1 is a real store
// of two --local sweeps of the lab fleet) read as the current version, field for field, in the
// store, the history index and the report of a sweep made next to them. So do the version-2
// sweep.json files of the release before resolved-host version 2, whose targets are version 1
// (test/fixtures/resolved-host-v1: written by that release's Store from its inventory.yml,
// with the argv that release gave each host).
import { cpSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory, probeArgsFor, resolveHosts } from '../../inventory/load.js';
import { RESOLVED_HOST_VERSION, ResolvedHostSchema } from '../../inventory/schema.js';
import { diagnoseArgs } from '../../queue/job-runner.js';
import { SweepOptionsSchema } from '../../queue/jobs.js';
import { FLEET_SCHEMA_VERSION, FleetSummarySchema, HostResultSchema, SWEEP_SCHEMA_VERSION, SweepMetaSchema } from '../../store/fleet-schema.js';
import { StoredFleetSummary, StoredHostResult, StoredSweepMeta, parseStoredSweepMeta } from '../../store/fleet-migrate.js';
import { HistoryIndex } from '../../store/history-index.js';
import { aggregateSweep } from '../../store/report.js';
import { Store } from '../../store/store.js';
import { tempDir } from '../helpers.js';
import { nonSnakeKeys } from '../json-keys.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/store-v1');
const SWEEPS = readdirSync(join(FIXTURE, 'sweeps')).sort();
const read = (...p: string[]) => JSON.parse(readFileSync(join(FIXTURE, 'sweeps', ...p), 'utf8')) as Record<string, unknown>;
const hostsOf = (id: string) => readdirSync(join(FIXTURE, 'sweeps', id, 'hosts')).sort();
const offending = (v: object) => nonSnakeKeys(v);

describe('store files of version 1 read as version 2', () => {
  it('the fixtures are version 1 and camelCase (so the test can fail)', () => {
    const r = read(SWEEPS[0]!, 'hosts', 'ok-1', 'host_result.json');
    expect(r.schema_version).toBe(1);
    expect(HostResultSchema.safeParse(r).success).toBe(false);
    expect(offending(r)).toContain('sweepId');
  });

  for (const id of SWEEPS) {
    it(`sweep ${id}: sweep.json, each host_result.json and fleet_summary.json migrate, snake_case, valid as the current schema`, () => {
      const meta = StoredSweepMeta.safeParse(read(id, 'sweep.json'));
      expect(meta.success).toBe(true);
      if (!meta.success) return;
      expect(SweepMetaSchema.parse(meta.data).schema_version).toBe(SWEEP_SCHEMA_VERSION);
      expect(offending(meta.data)).toEqual([]);
      const oldOptions = read(id, 'sweep.json').options as Record<string, unknown>;
      expect(meta.data.options).toEqual({ auth_test: oldOptions.authTest, auth_max_per_account: oldOptions.authMaxPerAccount, inventory: oldOptions.inventory, concurrency: oldOptions.concurrency, payload_version: oldOptions.payloadVersion, deadline: oldOptions.deadline });
      const oldTargets = read(id, 'sweep.json').targets as Array<{ schema_version: number; name: string; ssh: { knownHosts: string }; probe: { aa: { runId: string | null } } }>;
      expect(oldTargets.map((t) => t.schema_version)).toEqual(oldTargets.map(() => 1));
      expect(meta.data.targets.map((t) => [t.schema_version, t.name, t.ssh?.known_hosts, t.probe.aa.run_id])).toEqual(oldTargets.map((t) => [RESOLVED_HOST_VERSION, t.name, t.ssh.knownHosts, t.probe.aa.runId]));

      for (const host of hostsOf(id)) {
        const old = read(id, 'hosts', host, 'host_result.json');
        const r = StoredHostResult.safeParse(old);
        expect(r.success, host).toBe(true);
        if (!r.success) continue;
        expect(HostResultSchema.parse(r.data)).toEqual(r.data);
        expect(offending(r.data), host).toEqual([]);
        expect([r.data.sweep_id, r.data.job_id, r.data.job_attempts, r.data.started_at, r.data.finished_at, r.data.duration_ms]).toEqual([old.sweepId, old.jobId, old.jobAttempts, old.startedAt, old.finishedAt, old.durationMs]);
        if (r.data.status === 'probed') {
          const v = old.verdict as Record<string, unknown>;
          expect(r.data.verdict).toEqual({ class: v.class, exit_code: v.exitCode, partial: v.partial, hint_id: v.hintId, summary: v.summary, evidence: v.evidence, next_step: v.nextStep });
          expect(r.data.attempts.totals_ms).toEqual((old.attempts as { totalsMs: number[] }).totalsMs);
          expect(r.data.transport_stats.uploaded_bytes).toBe((old.transportStats as { uploadedBytes: number }).uploadedBytes);
        }
        if (r.data.status === 'failed') expect(r.data.exit_code).toBe(old.exitCode);
      }

      const old = read(id, 'fleet_summary.json');
      const s = StoredFleetSummary.safeParse(old);
      expect(s.success).toBe(true);
      if (!s.success) return;
      expect(FleetSummarySchema.parse(s.data)).toEqual(s.data);
      expect(offending(s.data)).toEqual([]);
      const counts = old.counts as Record<string, number>;
      expect(s.data.counts.smtp_failing).toBe(counts.smtpFailing);
      expect(s.data.success_rate).toBe(old.successRate);
      expect(s.data.timings_ms).toEqual(old.timingsMs);
      expect(s.data.hosts.map((h) => [h.name, h.hint_id, h.exit_code, h.median_ms, h.finished_at, h.aa?.run_id ?? null])).toEqual(
        (old.hosts as Array<Record<string, unknown>>).map((h) => [h.name, h.hintId, h.exitCode, h.medianMs, h.finishedAt, (h.aa as { runId?: string } | null)?.runId ?? null]),
      );
      if (old.changes) expect(s.data.changes?.previous_sweep_id).toBe((old.changes as { previousSweepId: string }).previousSweepId);
    });
  }

  it('rejected and timed-out results of version 1 migrate too', () => {
    const base = read(SWEEPS[0]!, 'hosts', 'down', 'host_result.json');
    const { code: _c, message: _m, ...common } = base;
    const rejected = StoredHostResult.safeParse({ ...common, status: 'rejected', reason: 'too big', zipBytes: 123, zipSha256: null });
    expect(rejected.success && rejected.data).toMatchObject({ status: 'rejected', zip_bytes: 123, zip_sha256: null, sweep_id: base.sweepId });
    const timedOut = StoredHostResult.safeParse({ ...common, status: 'timed-out', stage: 'run', deadline: '2026-12-03T08:00:00.000Z', message: 'the deadline passed during run' });
    expect(timedOut.success && timedOut.data).toMatchObject({ status: 'timed-out', stage: 'run', duration_ms: base.durationMs });
  });

  it('a version-1 file with a wrong field is refused with its path, like a version-2 one', () => {
    const bad = { ...read(SWEEPS[0]!, 'hosts', 'ok-1', 'host_result.json'), jobAttempts: 'many' };
    const r = StoredHostResult.safeParse(bad);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues[0]!.path).toEqual(['jobAttempts']);
  });

  it('a store of version-1 sweeps: listed, read, history indexed, and the next sweep compares with them', async () => {
    const root = join(tempDir('migrate-'), 'store');
    cpSync(FIXTURE, root, { recursive: true });
    const store = await Store.open(root);
    expect((await store.listSweeps()).map((m) => m.id).sort()).toEqual(SWEEPS);
    const [first, second] = SWEEPS as [string, string];
    expect((await store.readHostResults(second)).map((r) => r.host)).toEqual(hostsOf(second));
    const prev = await store.previousSweep(second);
    expect(prev?.meta.id).toBe(first);
    expect(prev?.summary.schema_version).toBe(FLEET_SCHEMA_VERSION);
    // The report's streamed read of a version-1 summary falls back to the whole, migrated read.
    const outcomes = await store.previousOutcomes(second);
    expect(outcomes?.summary).toMatchObject({ sweep: { id: first }, hosts: prev!.summary.hosts.map((h) => ({ name: h.name, outcome: h.outcome })) });

    const ix = HistoryIndex.open(root);
    try {
      ix.sync();
      for (const id of SWEEPS) expect(ix.sweepRows(id).map((r) => r.host)).toEqual(hostsOf(id));
    } finally {
      ix.close();
    }

    // Re-aggregating an old sweep writes a version-2 summary, made from the migrated files.
    await aggregateSweep(store, second);
    const written = JSON.parse(readFileSync(join(root, 'sweeps', second, 'fleet_summary.json'), 'utf8')) as object;
    expect(FleetSummarySchema.parse(written).changes?.previous_sweep_id).toBe(first);
    expect(offending(written)).toEqual([]);
  });
});

const RESOLVED_V1 = join(import.meta.dirname, '../fixtures/resolved-host-v1');
const SWEEP_V2 = '20261203-020000-7c1e';
const readV2 = () => JSON.parse(readFileSync(join(RESOLVED_V1, 'store/sweeps', SWEEP_V2, 'sweep.json'), 'utf8')) as { schema_version: number; targets: Array<Record<string, unknown>> };

describe('sweep.json of version 2 with resolved hosts of version 1 (the release before)', () => {
  it('the fixture is sweep.json version 2 holding version-1 targets in the inventory\'s names (so the test can fail)', () => {
    const raw = readV2();
    expect(raw.schema_version).toBe(2);
    expect(raw.targets.map((t) => t.schema_version)).toEqual([1, 1, 1, 1]);
    expect(SweepMetaSchema.safeParse(raw).success).toBe(false);
    expect(nonSnakeKeys(raw)).toEqual(expect.arrayContaining(['targets[0].auth.passphraseEnv', 'targets[0].ssh.knownHosts', 'targets[0].probe.flags.ehlo-name', 'targets[0].probe.smtpAuth', 'targets[2].winrm.caFile']));
  });

  it('reads as the hosts this release resolves from the same inventory, snake_case, giving the probe and diagnose the same argv', async () => {
    const meta = StoredSweepMeta.safeParse(readV2());
    expect(meta.success).toBe(true);
    if (!meta.success) return;
    expect(offending(meta.data)).toEqual([]);
    const now = resolveHosts(await loadInventory(join(RESOLVED_V1, 'inventory.yml')));
    expect(meta.data.targets).toEqual(now);
    for (const t of meta.data.targets) expect(ResolvedHostSchema.parse(t)).toEqual(t);
    const [key, agent, ca, thumb] = meta.data.targets;
    expect(key).toMatchObject({ auth: { kind: 'key', passphrase_env: 'FLEET_KEY_PASSPHRASE' }, ssh: { known_hosts: '/etc/smtp-fleet/known_hosts' } });
    expect(key!.probe).toMatchObject({ smtp_auth: { user: 'bot@example.com', password_env: 'SMTP_PASSWORD' }, aa: { run_id: 'run-42', host: 'cr.example.com' } });
    expect(key!.probe.flags).toMatchObject({ ehlo_name: 'bot.example.com', hosts_file: '/etc/hosts', tls_matrix: true, sender_domain: 'example.com', dkim_selector: 'google', egress_ip: '203.0.113.7', auth_max: 1, auth_mech: 'login' });
    expect(agent!.probe.flags.tls_matrix).toBe(false);
    expect(ca!.winrm).toEqual({ https: true, auth: 'ntlm', ca_file: '/etc/smtp-fleet/winrm-ca.pem', thumbprint: null });
    expect(thumb!.winrm?.ca_file).toBeNull();

    const argv = JSON.parse(readFileSync(join(RESOLVED_V1, 'argv.json'), 'utf8')) as Record<string, { probe: string[]; diagnose: string[] }>;
    const options = SweepOptionsSchema.parse({ ntp: null });
    for (const h of meta.data.targets) expect({ probe: probeArgsFor(h, { authTest: true }), diagnose: diagnoseArgs(h, options) }, h.name).toEqual(argv[h.name]);
  });

  it('takes version-1 and version-2 targets side by side; a bad version-1 target is refused with its path', () => {
    const raw = readV2();
    const [current] = (StoredSweepMeta.safeParse(raw) as { data: { targets: unknown[] } }).data.targets;
    const mixed = StoredSweepMeta.safeParse({ ...raw, targets: [current, ...raw.targets.slice(1)] });
    expect(mixed.success && mixed.data.targets.map((t) => [t.name, t.schema_version])).toEqual([['lin-key', 2], ['lin-agent', 2], ['win-ca', 2], ['win-thumb', 2]]);
    const bad = structuredClone(raw);
    (bad.targets[1]!.probe as { flags: Record<string, unknown> }).flags['ehlo-name'] = 7;
    const r = StoredSweepMeta.safeParse(bad);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues[0]!.path).toEqual(['targets', 1, 'probe', 'flags', 'ehlo-name']);
    // The one-by-one reader a report uses for big sweeps gives the same, for mixed and bad files alike.
    const one = parseStoredSweepMeta(structuredClone(bad));
    expect(one.success).toBe(false);
    if (!one.success) expect(one.error.issues[0]!.path).toEqual(['targets', 1, 'probe', 'flags', 'ehlo-name']);
    expect(parseStoredSweepMeta(readV2())).toEqual(StoredSweepMeta.safeParse(readV2()));
    expect(parseStoredSweepMeta({ ...raw, targets: [current, ...raw.targets.slice(1)] })).toEqual(mixed);
    // Converted, a value the probe would refuse is refused as the current schema would.
    const refused = structuredClone(raw);
    (refused.targets[1]!.probe as { flags: Record<string, unknown> }).flags['ehlo-name'] = 'not a name!';
    const r2 = StoredSweepMeta.safeParse(refused);
    expect(r2.success).toBe(false);
    if (!r2.success) expect(r2.error.issues[0]!.path).toEqual(['targets', 1, 'probe', 'flags', 'ehlo_name']);
  });

  it('in a store: read, reported with its AA context, and written back as sweep.json version 3 with targets.jsonl of resolved hosts version 2', async () => {
    const root = join(tempDir('migrate-resolved-'), 'store');
    cpSync(join(RESOLVED_V1, 'store'), root, { recursive: true });
    const store = await Store.open(root);
    const meta = await store.readSweep(SWEEP_V2);
    expect((await store.listSweeps()).map((m) => m.id)).toEqual([SWEEP_V2]);
    await aggregateSweep(store, SWEEP_V2);
    const summary = FleetSummarySchema.parse(JSON.parse(readFileSync(join(root, 'sweeps', SWEEP_V2, 'fleet_summary.json'), 'utf8')));
    expect(summary.hosts.find((h) => h.name === 'lin-key')?.aa).toEqual({ activity: 'Send invoice mail', run_id: 'run-42', host: 'cr.example.com' });
    await store.updateSweep(meta);
    const written = JSON.parse(readFileSync(join(root, 'sweeps', SWEEP_V2, 'sweep.json'), 'utf8')) as { schema_version: number; targets?: unknown };
    expect([written.schema_version, written.targets]).toEqual([3, undefined]);
    const lines = readFileSync(join(root, 'sweeps', SWEEP_V2, 'targets.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { schema_version: number });
    expect(lines.map((t) => t.schema_version)).toEqual([2, 2, 2, 2]);
    expect(nonSnakeKeys(written)).toEqual([]);
    expect(lines.flatMap((l) => nonSnakeKeys(l))).toEqual([]);
    expect(await store.readSweep(SWEEP_V2)).toEqual(meta);
  });
});

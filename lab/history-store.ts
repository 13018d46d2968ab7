// Fleet stores made directly in the store's on-disk format, fast (synchronous writes, no
// queue, no runner): the history tests' small stores and the bench's year of nightly sweeps
// of 1,000 runners. Every file is built as the store's own type, parsed by the store's own
// schema and serialised by the store's own writer (storeJson), so it cannot drift from what
// `smtp-fleet sweep` writes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_CODES, type FailureClass } from '../payload/classify/classes.js';
import { FLEET_SCHEMA_VERSION, HostResultSchema, SWEEP_SCHEMA_VERSION, SweepMetaSchema, transportFailureResult, type HostResult, type HostResultCommon, type SweepMetaInput } from '../store/fleet-schema.js';
import { HOST_RESULT_FILE, storeJson } from '../store/store.js';
import { SWEEP_FILE, TARGETS_FILE, targetLines } from '../store/sweep-files.js';

export interface PlannedResult {
  host: string;
  /** A verdict class, or 'unreachable' for a runner the transport did not reach. */
  outcome: string;
  evidence: string;
}

/** The host_result.json the store would hold for a planned result. */
export function hostResultOf(id: string, created: string, r: PlannedResult): HostResult {
  const common: HostResultCommon = {
    sweep_id: id,
    host: r.host,
    transport: 'ssh',
    job_id: null,
    job_attempts: 1,
    started_at: created,
    finished_at: new Date(Date.parse(created) + 60_000).toISOString(),
    duration_ms: 1500,
  };
  if (r.outcome === 'unreachable') return HostResultSchema.parse(transportFailureResult(common, { code: 'timeout', message: r.evidence }));
  const ok = r.outcome === 'ok';
  return HostResultSchema.parse({
    schema: 'smtp-fleet/host-result',
    schema_version: FLEET_SCHEMA_VERSION,
    ...common,
    status: 'probed',
    verdict: { class: r.outcome as FailureClass, exit_code: EXIT_CODES[r.outcome as FailureClass], partial: false, hint_id: `${r.outcome}-x`, summary: 's', evidence: r.evidence, next_step: 'n' },
    attempts: { ok: ok ? 2 : 0, total: 2, totals_ms: [120, 130] },
    server: 'smtp.gmail.com',
    ports: [{ port: 587, mode: 'starttls' }],
    egress_ips: ['203.0.113.7'],
    payload_version: '0.1.0',
    zip: { path: `sweeps/${id}/hosts/${r.host}/result.zip`, sha256: 'a'.repeat(64), bytes: 12345 },
    transport_stats: { uploaded_bytes: 0, cache_hit: true },
  } satisfies HostResult);
}

/** sweeps/<id>/sweep.json and one hosts/<host>/host_result.json per result. */
export function writeSweep(root: string, id: string, created: string, results: PlannedResult[], hostsSelected = results.map((r) => r.host)): void {
  const dir = join(root, 'sweeps', id);
  mkdirSync(join(dir, 'hosts'), { recursive: true });
  const meta = SweepMetaSchema.parse({
    schema: 'smtp-fleet/sweep',
    schema_version: SWEEP_SCHEMA_VERSION,
    id,
    created,
    kind: 'scheduled',
    selection: { hosts: [], tags: [], groups: [], limit: null },
    hosts: hostsSelected,
    targets: [],
    options: { auth_test: false, auth_max_per_account: null, inventory: null, concurrency: null, payload_version: '0.1.0' },
  } satisfies SweepMetaInput);
  // The store's own layout, written synchronously: sweep.json and its (empty) targets.jsonl.
  const { targets, ...head } = meta;
  writeFileSync(join(dir, TARGETS_FILE), targetLines(targets).join(''));
  writeFileSync(join(dir, SWEEP_FILE), storeJson(head));
  for (const r of results) {
    mkdirSync(join(dir, 'hosts', r.host), { recursive: true });
    writeFileSync(join(dir, 'hosts', r.host, HOST_RESULT_FILE), storeJson(hostResultOf(id, created, r)));
  }
}

/** `20261201-020000-0001`: a nightly sweep's id and creation time, `n` days after `start`. */
export function nightly(start: string, n: number): { id: string; created: string } {
  const created = new Date(Date.parse(start) + n * 86_400_000).toISOString();
  return { id: `${created.slice(0, 10).replace(/-/g, '')}-020000-${String(n).padStart(4, '0')}`, created };
}

export const EVIDENCE = {
  ok: (i: number) => `142.250.102.${i % 250}:587: TLSv1.3 TLS_AES_256_GCM_SHA384, certificate verified for smtp.gmail.com; NOOP 250`,
  tls: (i: number) => `TLS 142.250.1.${i % 250}:587 (SNI smtp.gmail.com): SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain; issuer CN=Fortinet_CA_SSL at 2026-11-22T02:00:0${i % 10}Z`,
  auth: (i: number) => `S: 535 5.7.8 Username and Password not accepted. https://support.google.com/mail/?p=BadCredentials d2e1a72fcb4a3-42b3a7c${1000 + i}sm5678901.23 - gsmtp (reply to AUTH PLAIN)`,
  connect: (i: number) => `connect 142.250.1.${i % 250}:587: timeout after 5000 ms (SYN not answered)`,
  'rate-limit': (i: number) => `S: 421 4.7.0 Try again later, closing connection. (EHLO) ${i}sm${1000 + i}.12 - gsmtp`,
  unreachable: (i: number) => `ssh handshake with 10.0.${i % 250}.1 timed out after 10000 ms`,
  proxy: (name: string) => `proxy http://${name}.corp.example:3128: CONNECT smtp.gmail.com:587: HTTP/1.1 403 Forbidden`,
  dns: (i: number) => `resolver 10.0.${i % 250}.53: smtp.gmail.com A: SERVFAIL after 3 tries`,
} as const;

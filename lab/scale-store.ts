// A store of one sweep of N runners, written with the store's own writers (Store.createSweep,
// Store.writeHostResult), for the aggregation figures at fleet scale (bench/scale.ts) and the
// tests of the streamed aggregate: mostly ok, a few kinds of SMTP failure whose evidence differs per runner only by noise (trace ids, addresses, times),
// runners not reached, runners whose payload failed, 40 sites as groups and tags.
import { parseInventory, resolveHosts } from '../inventory/load.js';
import { Store } from '../store/store.js';
import { FLEET_SCHEMA_VERSION, SWEEP_SCHEMA_VERSION, type HostResult } from '../store/fleet-schema.js';

export const scaleHostName = (i: number): string => `rpa-${String(i).padStart(5, '0')}`;

/** Runner i's result: deterministic, so two stores of the same size hold the same sweep. */
export function scaleResult(sweepId: string, i: number, created: string): HostResult {
  const common = {
    schema: 'smtp-fleet/host-result' as const,
    schema_version: FLEET_SCHEMA_VERSION,
    sweep_id: sweepId,
    host: scaleHostName(i),
    transport: 'ssh' as const,
    job_id: String(i + 1),
    job_attempts: 1,
    started_at: created,
    finished_at: new Date(Date.parse(created) + 5_000 + (i % 97) * 10).toISOString(),
    duration_ms: 1_500 + (i % 300),
  };
  if (i % 50 === 7) return { ...common, status: 'unreachable', code: 'timeout', message: `connect 10.20.${i % 200}.${i % 250}:22: timeout after 10000 ms` };
  if (i % 211 === 3) return { ...common, status: 'failed', code: 'payload-exit', message: `the payload exited 127: sh: 1: /home/bot/.cache/smtp-probe/run-${i}: not found`, exit_code: 127 };
  const kind = i % 33 === 0 ? 'auth' : i % 40 === 1 ? 'tls' : i % 97 === 5 ? 'connect' : 'ok';
  const evidence = {
    ok: `142.250.102.${i % 250}:587: TLSv1.3 TLS_AES_256_GCM_SHA384, certificate verified for smtp.gmail.com; NOOP 250`,
    auth: `S: 535 5.7.8 Username and Password not accepted. https://support.google.com/mail/?p=BadCredentials d2e1a72fcb4a3-42b3a7c${1000 + i}sm5678901.23 - gsmtp (reply to AUTH PLAIN)`,
    tls: `TLS 142.250.1.${i % 250}:587 (SNI smtp.gmail.com): SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain; issuer CN=Fortinet_CA_SSL at 2026-11-22T02:00:0${i % 10}Z`,
    connect: `connect 142.250.1.${i % 250}:587: timeout after 5000 ms (SYN not answered)`,
  }[kind];
  const ok = kind === 'ok';
  return {
    ...common,
    status: 'probed',
    verdict: { class: kind, exit_code: ok ? 0 : 20, partial: false, hint_id: `${kind}-hint`, summary: `${kind} on this runner`, evidence, next_step: ok ? 'nothing to do' : `fix the ${kind} problem` },
    attempts: { ok: ok ? 3 : 0, total: 3, totals_ms: [110 + (i % 40), 120 + (i % 50), 130 + (i % 60)] },
    server: 'smtp.gmail.com',
    ports: [{ port: 587, mode: 'starttls' }],
    egress_ips: [`203.0.113.${i % 250}`],
    findings: i % 25 === 0 ? ['starttls-not-required:587'] : [],
    payload_version: '0.1.0',
    zip: { path: `sweeps/${sweepId}/hosts/${scaleHostName(i)}/result.zip`, sha256: 'a'.repeat(64), bytes: 40_000 + i },
    transport_stats: { uploaded_bytes: 0, cache_hit: true },
  } as HostResult;
}

/** The runners as the inventory resolves them: a site (group) and tags each, so the breakdowns have rows. */
export function scaleTargets(n: number): ReturnType<typeof resolveHosts> {
  const hosts = Array.from({ length: n }, (_, i) => ({ name: scaleHostName(i), address: `10.20.${Math.floor(i / 250)}.${i % 250}`, tags: ['linux', i % 2 ? 'prod' : 'dev'] }));
  const groups = Object.fromEntries(Array.from({ length: 40 }, (_, g) => [`site-${String(g).padStart(2, '0')}`, { hosts: hosts.filter((_h, i) => i % 40 === g).map((h) => h.name) }]));
  const inv = { version: 1, groups, defaults: { os: 'linux', transport: 'ssh', user: 'bot', auth: { key: '/etc/smtp-fleet/id_ed25519' }, probe: { server: 'smtp.gmail.com', ports: ['587:starttls'] } }, hosts };
  return resolveHosts(parseInventory(JSON.stringify(inv), 'scale.json'));
}

/** Writes sweep `sweepId` of n runners into the store at `root`; `parallel` writes at once. */
export async function writeScaleSweep(root: string, sweepId: string, n: number, created = '2026-12-01T02:00:00.000Z', parallel = 32): Promise<void> {
  const store = await Store.open(root);
  const hosts = Array.from({ length: n }, (_, i) => scaleHostName(i));
  // Targets first, as a controller writes them: Store.writeHostResult only checks that
  // sweep.json exists (it parsed all 8.6 MB of it per write before: 218 ms a write, now 2 ms).
  await store.createSweep({
    schema: 'smtp-fleet/sweep',
    schema_version: SWEEP_SCHEMA_VERSION,
    id: sweepId,
    created,
    kind: 'sweep',
    selection: { hosts: [], tags: [], groups: [], limit: null },
    hosts,
    targets: scaleTargets(n),
    options: { auth_test: false, auth_max_per_account: null, inventory: null, concurrency: null, payload_version: '0.1.0', deadline: null },
  } as never);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        const i = next++;
        await store.writeHostResult(scaleResult(sweepId, i, created));
      }
    }),
  );
}

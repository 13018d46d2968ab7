// What a simulated runner says (lab/sim-runners.ts): the replies of one REAL runner, recorded
// from the real transport (transport/ssh.ts + transport/deploy.ts + deploy.sh) driving a
// loopback sshd that probes a real Postfix. Recorded once, these bytes are what every
// simulated runner answers, so the sweep around them (controller, workers, Redis, store,
// report) does its real work on a real runner's output.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseInventory, probeArgsFor } from '../inventory/load.js';
import { ManifestSchema, deployArtifacts } from '../packaging/manifest.js';
import { runPayloadOnRunner } from '../transport/deploy.js';
import { connectSsh } from '../transport/ssh.js';
import type { ExecOptions, ExecResult, RemoteCommand, Transport } from '../transport/types.js';
import { makePki } from './ca.js';
import { waitForPort } from './index.js';
import { freePort } from './ports.js';
import { startPostfix } from './postfix.js';
import { makeKeyPair, startSshd } from './sshd.js';

export const SIM_RECORDING_SCHEMA = 'smtp-probe-lab/sim-recording';
export const SIM_RECORDING_VERSION = 1;

const StepSchema = z.object({
  /** The remote script the command ran (`deploy.sh`, `remove-work.sh`). */
  script: z.string(),
  /** sha256 of that script's text as sent: a recording of another script version is refused. */
  script_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  stdout: z.string(),
  stderr: z.string(),
  exit_code: z.number().int().nullable(),
  duration_ms: z.number(),
});

export const SimRecordingSchema = z.object({
  schema: z.literal(SIM_RECORDING_SCHEMA),
  schema_version: z.literal(SIM_RECORDING_VERSION),
  recorded_at: z.string(),
  /** The warm cycle on a Linux runner: the one deploy.sh pass that checks the cache, runs and sends the ZIP inline. */
  warm_deploy: StepSchema,
  zip: z.object({ bytes: z.number().int().positive(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
});
export type SimRecording = z.infer<typeof SimRecordingSchema>;
export type SimStep = z.infer<typeof StepSchema>;

export function loadSimRecording(path: string): SimRecording {
  const r = SimRecordingSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!r.success) throw new Error(`${path}: not a ${SIM_RECORDING_SCHEMA} v${SIM_RECORDING_VERSION} recording (${r.error.issues[0]?.message ?? 'invalid'}); record it again (lab/sim-record.ts)`);
  return r.data;
}

/** The script a `sh -c SCRIPT NAME ARGS...` command line runs, and its arguments (see transport/scripts.ts). */
export function parseShCommand(command: string): { script: string; name: string; args: string[] } | undefined {
  const words: string[] = [];
  let i = 0;
  while (i < command.length) {
    if (command[i] === ' ') {
      i++;
      continue;
    }
    let w = '';
    while (i < command.length && command[i] !== ' ') {
      if (command[i] === "'") {
        const end = command.indexOf("'", i + 1);
        if (end < 0) return undefined;
        w += command.slice(i + 1, end);
        i = end + 1;
      } else if (command[i] === '\\' && i + 1 < command.length) {
        w += command[i + 1];
        i += 2;
      } else w += command[i++];
    }
    words.push(w);
  }
  if (words[0] !== 'sh' || words[1] !== '-c' || words.length < 4) return undefined;
  return { script: words[2]!, name: words[3]!, args: words.slice(4) };
}

export const sha256 = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

/** A transport that passes everything on and keeps each command's whole output (ExecResult caps it). */
function recordingTransport(t: Transport, steps: SimStep[]): Transport {
  return {
    kind: t.kind,
    os: t.os,
    async exec(command: RemoteCommand, o: ExecOptions): Promise<ExecResult> {
      const parsed = typeof command === 'string' ? parseShCommand(command) : undefined;
      if (!parsed) throw new Error('sim-recording: only linux sh -c commands are recorded');
      let stdout = '';
      let stderr = '';
      const r = await t.exec(command, {
        ...o,
        onStdout: (s) => ((stdout += s), o.onStdout?.(s)),
        onStderr: (s) => ((stderr += s), o.onStderr?.(s)),
      });
      steps.push({ script: `${parsed.name}.sh`, script_sha256: sha256(parsed.script), stdout, stderr, exit_code: r.exitCode, duration_ms: r.durationMs });
      return r;
    },
    upload: (l, r, o) => t.upload(l, r, o),
    download: (r, l, o) => t.download(r, l, o),
    close: () => t.close(),
  };
}

export interface RecordOptions {
  /** A scratch folder of the caller's. */
  dir: string;
  /** build/payload: manifest.json and the artifacts. */
  payloadDir: string;
  /** The inventory `probe:` block the simulated sweep will use (server, ports, flags). */
  probe: Record<string, unknown>;
}

/**
 * One warm cycle of a real loopback sshd runner. Its cache is seeded with the payload (links
 * to build/payload plus deploy.sh's `.verified` stamps, what a cold push leaves behind), so
 * what is recorded is the warm pass: the cache check, the real probe run and the inline ZIP.
 */
export async function recordSimRunner(o: RecordOptions): Promise<SimRecording> {
  const key = makeKeyPair(o.dir, 'sim_record_key');
  const sshd = await startSshd({ dir: o.dir, address: '127.0.0.1', authorizedKeys: [key.publicKey] });
  try {
    const manifest = ManifestSchema.parse(JSON.parse(readFileSync(join(o.payloadDir, 'manifest.json'), 'utf8')));
    const artifacts = deployArtifacts(manifest, o.payloadDir, 'linux-x64');
    for (const a of Object.values(artifacts)) {
      const folder = join(sshd.dir, 'cache', 'smtp-probe', a.sha256);
      mkdirSync(folder, { recursive: true });
      symlinkSync(a.localPath, join(folder, a.name));
      writeFileSync(join(folder, `.${a.name}.verified`), '');
    }
    const knownHosts = join(o.dir, 'sim_record_known_hosts');
    writeFileSync(knownHosts, sshd.knownHostsLine + '\n');
    const inventory = { version: 1, hosts: [{ name: 'sim-record', address: '127.0.0.1', port: sshd.port, user: 'root', os: 'linux', transport: 'ssh', auth: { key: key.privateKeyPath }, ssh: { knownHosts }, probe: o.probe }] };
    const host = parseInventory(JSON.stringify(inventory), join(o.dir, 'sim_record_inventory.json')).hosts[0]!;
    const t = await connectSsh({ address: '127.0.0.1', port: sshd.port, username: 'root', os: 'linux', auth: { kind: 'key', privateKeyPath: key.privateKeyPath }, knownHostsPath: knownHosts, acceptNew: false, connectTimeoutMs: 30_000 });
    const steps: SimStep[] = [];
    const localZipPath = join(o.dir, 'sim_record.zip');
    const res = await runPayloadOnRunner(recordingTransport(t, steps), {
      jobId: 'sim-record',
      artifacts,
      probeArgs: probeArgsFor(host),
      commandTimeoutMs: 120_000,
      maxZipBytes: 8 * 1024 * 1024,
      localZipPath,
    }).finally(() => t.close());
    if (!res.cacheHits.runtime || !res.cacheHits.bundle) throw new Error('sim-recording: the seeded runner was not warm');
    const deploy = steps.find((s) => s.script === 'deploy.sh');
    if (steps.length !== 1 || !deploy) throw new Error(`sim-recording: expected one warm deploy.sh pass, saw ${steps.map((s) => s.script).join(', ')}`);
    return SimRecordingSchema.parse({
      schema: SIM_RECORDING_SCHEMA,
      schema_version: SIM_RECORDING_VERSION,
      recorded_at: new Date().toISOString(),
      warm_deploy: deploy,
      zip: { bytes: res.zipBytes, sha256: res.zipSha256 },
    });
  } finally {
    await sshd.stop();
  }
}

/** recordSimRunner against a lab Postfix of its own (a fresh PKI, STARTTLS), in a scratch folder it removes. */
export async function recordAgainstLabPostfix(payloadDir: string): Promise<SimRecording> {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-sim-record-'));
  try {
    const pki = makePki(dir);
    const [p1, p2] = [await freePort(['127.0.0.1']), await freePort(['127.0.0.1'])];
    const pf = await startPostfix(join(dir, 'postfix'), pki, '127.0.0.1', p1, p2);
    try {
      await waitForPort('127.0.0.1', p1);
      return await recordSimRunner({ dir, payloadDir, probe: { server: '127.0.0.1', ports: [`${p1}:starttls`], flags: { ca: [pki.caCert] } } });
    } finally {
      pf.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

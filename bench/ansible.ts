// The ansible-core reference (issue 16): the same lab runners, the same job per runner (push
// the payload when absent, one probe of the lab Postfix, the ZIP back to the controller), as
// `smtp-fleet sweep` and as `ansible-playbook bench/ansible/sweep.yml` with pipelining on,
// forks = the fleet's concurrency, cold and warm, interleaved A B A B in one run.
// smtp-fleet sends its runtime + bundle gzip-compressed; ansible's copy module sends the
// single executable as it is (ssh -C, ansible's default, compresses it on the wire).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestSchema } from '../packaging/manifest.js';
import type { LabSshd } from '../lab/sshd.js';
import { ROOT, forgetFleetCache, labFleetAvailable, runnerName, startLabFleet, type LabFleet } from './lab-fleet.js';
import type { Row } from './measure.js';

const PLAYBOOK_DIR = join(ROOT, 'bench/ansible');
const TIMEOUT_MS = 15 * 60_000;

export function ansibleAvailable(): boolean {
  return existsSync('/usr/bin/ansible-playbook');
}

const probeDir = (s: LabSshd) => join(s.dir, 'cache', 'ansible-smtp-probe');

function writeInventory(lab: LabFleet, file: string): void {
  const hosts = Object.fromEntries(lab.sshd.map((s, i) => [runnerName(i), { ansible_host: s.address, ansible_port: s.port, probe_dir: probeDir(s) }]));
  const sshArgs = ['-F /dev/null', '-o IdentitiesOnly=yes', '-o StrictHostKeyChecking=yes', `-o UserKnownHostsFile=${lab.knownHosts}`, '-o GlobalKnownHostsFile=/dev/null'].join(' ');
  // JSON is YAML: ansible's yaml inventory plugin reads it.
  writeFileSync(
    file,
    JSON.stringify({
      runners: {
        hosts,
        vars: { ansible_user: 'root', ansible_ssh_private_key_file: lab.keyPath, ansible_ssh_extra_args: sshArgs, smtp_port: lab.smtpPort, ca_cert: lab.pki.caCert },
      },
    }),
  );
}

function playbook(lab: LabFleet, inventory: string, sea: string, runId: string, forks: number): Promise<{ ms: number; fetched: number }> {
  const fetchDir = join(lab.dir, 'ansible-fetch', runId);
  mkdirSync(fetchDir, { recursive: true });
  // A control path folder per run: a nightly sweep finds no master connection left from the last one.
  const cp = join(lab.dir, `acp-${runId}`);
  mkdirSync(cp, { recursive: true });
  const env = {
    ...process.env,
    ANSIBLE_CONFIG: join(PLAYBOOK_DIR, 'ansible.cfg'),
    ANSIBLE_FORKS: String(forks),
    ANSIBLE_HOME: join(lab.dir, 'ansible-home'),
    ANSIBLE_LOCAL_TEMP: join(lab.dir, 'ansible-tmp'),
    ANSIBLE_SSH_CONTROL_PATH_DIR: cp,
    ANSIBLE_NOCOLOR: '1',
  };
  const args = ['-i', inventory, join(PLAYBOOK_DIR, 'sweep.yml'), '-e', JSON.stringify({ sea, run_id: runId, fetch_dir: fetchDir })];
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('ansible-playbook', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-4000)));
    child.stderr!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGTERM'), TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const fetched = readdirSync(fetchDir).filter((f) => f.endsWith('.zip')).length;
      if (code !== 0) reject(new Error(`bench: ansible-playbook exit ${code}: ${out.trim().split('\n').slice(-6).join(' | ')}`));
      else resolve({ ms, fetched });
    });
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function ansibleFigures(): Promise<Row[]> {
  if (!labFleetAvailable() || !ansibleAvailable()) {
    console.error('bench: skipping the ansible reference: sshd, Postfix (run as root) and ansible-core (apt-get install ansible-core) are needed');
    return [];
  }
  const m = ManifestSchema.parse(JSON.parse(readFileSync(join(ROOT, 'build/payload/manifest.json'), 'utf8')));
  const seaArtifact = m.artifacts.find((a) => a.role === 'single-executable' && a.platform === 'linux-x64');
  if (!seaArtifact) {
    console.error('bench: skipping the ansible reference: no linux-x64 single executable (npm run build:payload)');
    return [];
  }
  const sea = join(ROOT, 'build/payload', seaArtifact.name);
  const n = Number(process.env.BENCH_FLEET_N ?? 50);
  const lab = await startLabFleet({ n, subnet: 6 });
  try {
    const inventory = join(lab.dir, 'inventory.yml');
    writeInventory(lab, inventory);
    const forks = n; // 2 workers x ceil(n/2) jobs each: every runner at once, as smtp-fleet does
    const fleetMs = { cold: [] as number[], warm: [] as number[] };
    const ansibleMs = { cold: [] as number[], warm: [] as number[] };
    let fleetOk = Infinity;
    let fetched = Infinity;
    let run = 0;
    const fleet = async (kind: 'cold' | 'warm') => {
      if (kind === 'cold') forgetFleetCache(lab.sshd);
      const r = await lab.sweep([]);
      fleetMs[kind].push(r.ms);
      fleetOk = Math.min(fleetOk, r.summary.counts.ok);
    };
    const ansible = async (kind: 'cold' | 'warm') => {
      if (kind === 'cold') for (const s of lab.sshd) rmSync(probeDir(s), { recursive: true, force: true });
      const r = await playbook(lab, inventory, sea, `r${++run}`, forks);
      ansibleMs[kind].push(r.ms);
      fetched = Math.min(fetched, r.fetched);
    };
    for (const kind of ['cold', 'warm'] as const) {
      for (let i = 0; i < 2; i++) {
        await fleet(kind);
        await ansible(kind);
      }
    }
    const cold = mean(fleetMs.cold);
    const coldRef = mean(ansibleMs.cold);
    const warm = mean(fleetMs.warm);
    const warmRef = mean(ansibleMs.warm);
    const ms = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(1)).join(', ');
    console.error(`bench: ansible reference, each run in s: smtp-fleet cold ${ms(fleetMs.cold)}, warm ${ms(fleetMs.warm)}; ansible-core cold ${ms(ansibleMs.cold)}, warm ${ms(ansibleMs.warm)}`);
    const ref = `ansible-core, pipelining, forks ${forks}`;
    return [
      {
        metric: `vs ansible: cold sweep of ${n} sshd runners (payload absent; mean of 2, A B A B)`,
        value: cold,
        unit: 'ms',
        reference: { name: ref, value: coldRef },
        target: { text: '>= 3x faster than ansible-core', ok: coldRef >= 3 * cold },
      },
      { metric: `vs ansible: warm sweep of ${n} sshd runners (payload cached; mean of 2, A B A B)`, value: warm, unit: 'ms', reference: { name: ref, value: warmRef } },
      { metric: 'vs ansible: runners ok (smtp-fleet), ZIPs fetched (ansible-core), worst run', value: fleetOk, unit: `of ${n}`, reference: { name: 'ansible-core ZIPs fetched', value: fetched } },
    ];
  } finally {
    await lab.stop();
  }
}

// Upload throughput through the lab WinRM endpoint: our way (one long-lived PowerShell
// process fed base64 lines through Send) against the naive way (one request per 250 KB
// chunk, each in a new PowerShell process), side by side on the same endpoint, whose
// powershell.exe is real PowerShell 7 running the shipped scripts. 8 MB by default: the
// baseline starts a PowerShell per 250 KB, about half a second each on this machine.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePki } from '../lab/ca.js';
import { startWinRmLab } from '../lab/winrm-server.js';
import { connectWinRm, launch, WinRmTransport } from '../transport/winrm/index.js';

export interface UploadFigures {
  mbPerSec: number;
  requests: number;
  processes: number;
  ms: number;
}

export interface WinRmUploadBench {
  bytes: number;
  ours: UploadFigures;
  baseline: UploadFigures;
  /** ours.mbPerSec / baseline.mbPerSec */
  speedup: number;
}

const BASELINE_CHUNK = 250 * 1024;

export async function benchWinRmUpload(opts: { bytes?: number; auth?: 'basic' | 'ntlm' } = {}): Promise<WinRmUploadBench> {
  const bytes = opts.bytes ?? 8 * 1024 * 1024;
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-bench-winrm-'));
  const pki = makePki(dir);
  const lab = await startWinRmLab({ certPem: pki.certPem, keyPem: pki.keyPem, users: { bench: 'bench-pass' } });
  const connect = () =>
    connectWinRm({ address: lab.host, port: lab.port, https: true, username: 'bench', password: 'bench-pass', auth: opts.auth ?? 'ntlm', caFile: pki.caCert, maxEnvelopeBytes: 512_000 }) as Promise<WinRmTransport>;
  try {
    const local = join(dir, 'artifact.bin');
    const data = randomBytes(bytes);
    writeFileSync(local, data);
    const sha256 = createHash('sha256').update(data).digest('hex');

    const measure = async (run: (t: WinRmTransport) => Promise<void>): Promise<UploadFigures> => {
      const t = await connect();
      const [r0, c0] = [t.requests, lab.stats.commands];
      const t0 = performance.now();
      await run(t);
      const ms = performance.now() - t0;
      const fig = { ms, mbPerSec: bytes / 1024 / 1024 / (ms / 1000), requests: t.requests - r0, processes: lab.stats.commands - c0 };
      await t.close();
      return fig;
    };

    const oursPath = join(dir, 'remote', 'ours.bin');
    const ours = await measure(async (t) => {
      await t.upload(local, oursPath, { sha256 });
    });

    const basePath = join(dir, 'remote', 'baseline.bin');
    const baseline = await measure(async (t) => {
      const shell = await t.openShell();
      for (let at = 0; at < bytes; at += BASELINE_CHUNK) {
        const run = launch({ script: 'append-chunk.ps1', params: { Path: basePath } }, []);
        const id = await shell.command(run.command, run.args);
        const head = (run.stdin as Buffer[])[0]!;
        await shell.send(id, Buffer.concat([head, Buffer.from(data.subarray(at, at + BASELINE_CHUNK).toString('base64'))]), true);
        for (let r = await shell.receive(id, 20_000); !r?.done; r = await shell.receive(id, 20_000));
        await shell.signal(id, 'terminate');
      }
    });

    for (const p of [oursPath, basePath])
      if (statSync(p).size !== bytes || createHash('sha256').update(readFileSync(p)).digest('hex') !== sha256) throw new Error(`bench: ${p} does not hold the artifact`);
    return { bytes, ours, baseline, speedup: ours.mbPerSec / baseline.mbPerSec };
  } finally {
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

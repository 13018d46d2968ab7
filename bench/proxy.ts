// Proxy figures (issue 14): the same STARTTLS probe of the same lab Postfix, in the same
// run, direct and through each proxy kind (HTTP CONNECT via squid and tinyproxy, SOCKS5
// and SOCKS5h via dante), so the proxy's cost reads off side by side.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePki } from '../lab/ca.js';
import { waitForPort } from '../lab/index.js';
import { freePort } from '../lab/ports.js';
import { postfixAvailable, startPostfix } from '../lab/postfix.js';
import { proxiesAvailable, startDante, startSquid, startTinyproxy } from '../lab/proxies.js';
import { median, type Row } from './measure.js';

// Compiled to build/dev/bench: the package root is three levels up.
const CLI = join(fileURLToPath(new URL('../../..', import.meta.url)), 'dist/payload/cli.js');

interface Figures {
  /** Median attempt (connect..QUIT), first attempt of each process left out. */
  attempt: number;
  /** Median connect stage: TCP, or proxy TCP + tunnel. */
  connect: number;
}

export async function proxyFigures(runs: number): Promise<Row[]> {
  if (!postfixAvailable() || !proxiesAvailable()) {
    console.error('bench: skipping the proxy figures: Postfix, squid, tinyproxy and dante-server (run as root) are needed');
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-bench-proxy-'));
  const pki = makePki(dir);
  const [p1, p2] = [await freePort(['127.0.0.1']), await freePort(['127.0.0.1'])];
  const pf = await startPostfix(join(dir, 'postfix'), pki, '127.0.0.1', p1, p2);
  const squid = await startSquid({ deniedPort: p2 });
  const tiny = await startTinyproxy();
  const dante = await startDante(join(dir, 'dante'), { method: 'none', blockedPort: p2 });
  try {
    await waitForPort('127.0.0.1', p1);
    const probe = (host: string, proxy: string[]): Figures => {
      const attempts: number[] = [];
      const connects: number[] = [];
      const n = Math.max(3, Math.round(runs / 3));
      for (let i = 0; i < n; i++) {
        const out = join(dir, 'out');
        rmSync(out, { recursive: true, force: true });
        execFileSync(process.execPath, [CLI, 'probe', '--host', host, '--port', `${p1}:starttls`, '--ca', pki.caCert, '--ehlo-name', 'bench.lab.test', '--attempts', '6', '--concurrency', '1', '--quiet', '--out', out, ...proxy]);
        const run = readdirSync(out).find((d) => d.startsWith('smtp-probe-'))!;
        const s = JSON.parse(readFileSync(join(out, run, 'probe_summary.json'), 'utf8')) as { attempts: Array<{ duration_ms: number; tcp: { connect_ms: number }; classification: { class: string } }> };
        if (s.attempts.some((a) => a.classification.class !== 'ok')) throw new Error(`bench: a probe ${proxy.join(' ') || 'direct'} was not ok`);
        // The first attempt of a process pays Node's one-time socket and TLS set-up.
        for (const a of s.attempts.slice(1)) {
          attempts.push(a.duration_ms);
          connects.push(a.tcp.connect_ms);
        }
      }
      return { attempt: median(attempts), connect: median(connects) };
    };
    const direct = probe('127.0.0.1', []);
    const kinds: Array<[string, Figures]> = [
      ['HTTP CONNECT, squid', probe('127.0.0.1', ['--proxy', `http://127.0.0.1:${squid.openPort}`])],
      ['HTTP CONNECT, tinyproxy', probe('127.0.0.1', ['--proxy', `http://127.0.0.1:${tiny.port}`])],
      ['SOCKS5, dante', probe('127.0.0.1', ['--proxy', `socks5://127.0.0.1:${dante.port}`])],
      ['SOCKS5h (dante resolves localhost)', probe('localhost', ['--proxy', `socks5h://127.0.0.1:${dante.port}`])],
    ];
    const rows: Row[] = [];
    for (const [name, f] of kinds) {
      rows.push({ metric: `STARTTLS probe of Postfix via ${name}: one attempt, warm`, value: f.attempt, unit: 'ms', reference: { name: 'direct, same server, same run', value: direct.attempt } });
      rows.push({ metric: `STARTTLS probe of Postfix via ${name}: connect stage (proxy TCP + tunnel)`, value: f.connect, unit: 'ms', reference: { name: 'direct TCP connect', value: direct.connect } });
    }
    return rows;
  } finally {
    squid.stop();
    tiny.stop();
    dante.stop();
    pf.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Runner output is untrusted and unbounded: what reaches the job log is capped in lines and
// characters (head and tail kept, the gap said), one line never grows past its cap, and a
// secret the worker handed over is scrubbed from anything logged. The runner here is an
// in-process Transport that floods (no real runner prints this on purpose).
import { describe, expect, it } from 'vitest';
import { LOG_BUDGET, LineSplitter, MAX_LINE_CHARS, runPayloadOnRunner } from '../../transport/deploy.js';
import type { ExecOptions, ExecResult, Transport } from '../../transport/types.js';

function flooding(chunks: () => Iterable<string>): Transport {
  return {
    kind: 'ssh',
    os: 'linux',
    async exec(_c: unknown, o: ExecOptions): Promise<ExecResult> {
      for (const c of chunks()) o.onStdout?.(c);
      o.onStderr?.('secret-pw was echoed by a tracing shell\n');
      return { exitCode: 1, stdout: '', stderr: '', durationMs: 1 };
    },
    upload: () => Promise.reject(new Error('no')),
    download: () => Promise.reject(new Error('no')),
    close: () => Promise.resolve(),
  };
}

const artifact = (name: string) => ({ localPath: '/nonexistent', name, sha256: 'a'.repeat(64), bytes: 1 });
const request = { jobId: 'j', artifacts: { runtime: artifact('node'), bundle: artifact('b.cjs'), loader: artifact('l.cjs') }, probeArgs: [], commandTimeoutMs: 10_000, maxZipBytes: 1024, localZipPath: '/nonexistent/z.zip', stdin: 'secret-pw\n' };

describe('runner output reaching the job log', () => {
  it('32 MB without a newline becomes one capped line, not 32 MB in memory or in the log', async () => {
    const mb = 'x'.repeat(64 * 1024);
    const logged: string[] = [];
    await expect(runPayloadOnRunner(flooding(() => Array(512).fill(mb)), request, { onLog: (l) => logged.push(l) })).rejects.toThrow(/work folder could not be prepared/);
    expect(logged.length).toBeLessThanOrEqual(3);
    const long = logged.find((l) => l.startsWith('xxx'))!;
    expect(long.length).toBeLessThan(MAX_LINE_CHARS + 80);
    expect(long).toMatch(/\[\.\.\. 33550336 more characters dropped\]$/);
  });

  it('8 MB of short lines: the head and the tail are logged, the gap is said once', async () => {
    const lines = function* () {
      for (let i = 0; i < 8 * 1024 * 1024 / 16; i++) yield `line ${String(i).padStart(9, '0')}\n`;
    };
    const logged: string[] = [];
    await expect(runPayloadOnRunner(flooding(lines), request, { onLog: (l) => logged.push(l) })).rejects.toThrow();
    expect(logged.length).toBeLessThanOrEqual(LOG_BUDGET.headLines + LOG_BUDGET.tailLines + 2);
    expect(logged[0]).toBe('line 000000000');
    expect(logged.some((l) => /^\[\.\.\. \d+ lines \(\d+ characters\) of runner output dropped \.\.\.\]$/.test(l))).toBe(true);
    expect(logged.at(-1)).toBe('[redacted] was echoed by a tracing shell');
    expect(logged.join('\n')).not.toContain('secret-pw');
  });

  it('the splitter keeps CRLF lines whole and passes an unterminated last line on end()', () => {
    const got: string[] = [];
    const s = new LineSplitter((l) => got.push(l));
    s.push('a\r\nb');
    s.push('c\nd');
    s.end();
    expect(got).toEqual(['a', 'bc', 'd']);
  });
});

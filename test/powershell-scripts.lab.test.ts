// Every PowerShell file the project ships, read by real PowerShell 7's parser: no syntax
// error, and nothing that only parses in PowerShell 6 or 7 (runners have Windows PowerShell
// 5.1). The checker is checked too: a file of 7-only constructs must be caught.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers.js';
import { requirePwsh } from '../lab/pwsh.js';
import { dotnetNote, parseDotnetTls } from '../payload/diagnose/collectors/os-tls.js';

function check(paths: string[]): Record<string, string[]> {
  const out = execFileSync(requirePwsh(), ['-NoProfile', '-NonInteractive', '-File', join(ROOT, 'lab/ps51-check.ps1'), '-PathList', paths.join('|')], {
    env: { ...process.env, POWERSHELL_TELEMETRY_OPTOUT: '1' },
  }).toString();
  const parsed = JSON.parse(out) as Record<string, string[] | string | null>;
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v === null ? [] : Array.isArray(v) ? v : [v]]));
}

describe('shipped PowerShell (real PowerShell 7 parser)', () => {
  it('every .ps1 parses and uses only Windows PowerShell 5.1 syntax', () => {
    const files = ['transport/scripts', 'payload/diagnose/scripts'].flatMap((d) =>
      readdirSync(join(ROOT, d))
        .filter((f) => f.endsWith('.ps1'))
        .map((f) => join(ROOT, d, f)),
    );
    expect(files.length).toBeGreaterThanOrEqual(7);
    const problems = check(files);
    for (const f of files) expect(problems[f], f).toEqual([]);
  }, 60_000);

  it('the checker catches 7-only constructs and syntax errors', () => {
    const dir = tempDir('ps51-');
    const bad = join(dir, 'bad.ps1');
    writeFileSync(bad, "$a = $b ?? 'x'\n$c = $d ? 1 : 2\nGet-Item x && Get-Item y\n$e?.Name\nif ( {\n");
    const p = check([bad])[bad]!;
    expect(p.some((l) => l.startsWith('syntax:'))).toBe(true);
    const dir2 = tempDir('ps51-');
    const seven = join(dir2, 'seven.ps1');
    writeFileSync(seven, "$a = $b ?? 'x'\n$c = $d ? 1 : 2\nGet-Item x && Get-Item y\n${e}?.Name\n");
    const q = check([seven])[seven]!;
    expect(q.filter((l) => l.startsWith('7-only:')).length).toBe(4);
  }, 60_000);
});

describe('dotnet-tls.ps1 (real PowerShell 7 on Linux)', () => {
  it('says "not Windows" as JSON the collector reads, exit 0, nothing on stderr', () => {
    const r = spawnSync(requirePwsh(), ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', join(ROOT, 'payload/diagnose/scripts/dotnet-tls.ps1')], { encoding: 'utf8', env: { ...process.env, POWERSHELL_TELEMETRY_OPTOUT: '1' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const out = parseDotnetTls(r.stdout);
    expect(out).toEqual({ platform: 'not-windows', message: expect.stringMatching(/^not Windows/), values: [] });
    expect(dotnetNote(out!.values)).toBeNull();
    expect(parseDotnetTls('garbage')).toBeNull();
  }, 60_000);
});

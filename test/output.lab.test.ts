// The run folder: the layout the README documents, every JSON valid against its schema, the ZIP holding
// every file byte for byte, and nothing secret in any of it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DnsResolutionSchema, EnvSnapshotSchema, ProbeSummarySchema, type ProbeSummary } from '../payload/schema/summary.js';
import { filesUnder, readJson, runCli, runFolder, tempDir, unzip } from './helpers.js';

const lab = inject('lab');

describe('output folder', () => {
  let folder = '';
  let stdout = '';
  beforeAll(async () => {
    const out = tempDir();
    const r = await runCli(
      ['probe', '--out', out, '--resolver', lab.dnsFlaky.spec, '--port', `${lab.gmail.starttlsPort}:starttls`, '--port', `${lab.gmail.implicitPort}:implicit`, '--ca', lab.caFile],
      { HTTPS_PROXY: 'http://proxyuser:Pr0xySecret@127.0.0.9:3128' },
    );
    stdout = r.stdout;
    folder = runFolder(out);
  });

  it('follows the documented layout with one transcript per attempt and one TLS file per address and port', () => {
    expect(folder).toMatch(/smtp-probe-\d{8}_\d{6}$/);
    const files = filesUnder(folder);
    const summary = readJson<ProbeSummary>(join(folder, 'probe_summary.json'));
    expect(files).toEqual(expect.arrayContaining(['report.md', 'probe_summary.json', 'dns_resolution.json', 'env_snapshot.json', 'attachments/all_files.zip']));
    expect(files.filter((f) => /^smtp_transcript_\d{3}_.*\.txt$/.test(f))).toHaveLength(summary.attempts.length);
    // One per address and port where a TLS handshake began (the resetting address may not get that far).
    const tlsTargets = new Set(summary.attempts.filter((a) => a.tls).map((a) => `tls_handshake_${a.ip}_${a.port}.txt`));
    expect(tlsTargets.size).toBeGreaterThanOrEqual(4);
    expect(files.filter((f) => /^tls_handshake_.*\.txt$/.test(f)).sort()).toEqual([...tlsTargets].sort());
    expect([...summary.files].sort()).toEqual(files);
    expect(stdout).toContain('report:');
  });

  it('writes JSON that validates against the published schemas', () => {
    ProbeSummarySchema.parse(readJson(join(folder, 'probe_summary.json')));
    DnsResolutionSchema.parse(readJson(join(folder, 'dns_resolution.json')));
    const env = EnvSnapshotSchema.parse(readJson(join(folder, 'env_snapshot.json')));
    expect(env.runtime.node).toBe(process.versions.node);
    expect(env.proxy_env.HTTPS_PROXY).toBe('http://***:***@127.0.0.9:3128');
  });

  it('packs every file, unchanged, into attachments/all_files.zip', async () => {
    const entries = await unzip(join(folder, 'attachments/all_files.zip'));
    const files = filesUnder(folder).filter((f) => !f.startsWith('attachments/'));
    expect([...entries.keys()].sort()).toEqual(files);
    for (const f of files) expect(entries.get(f)!.equals(readFileSync(join(folder, f)))).toBe(true);
  });

  it('keeps credentials and AUTH payloads out of every file and the ZIP', async () => {
    const entries = await unzip(join(folder, 'attachments/all_files.zip'));
    const texts = [...filesUnder(folder).filter((f) => !f.endsWith('.zip')).map((f) => readFileSync(join(folder, f), 'utf8')), ...[...entries.values()].map((b) => b.toString('utf8'))];
    for (const t of texts) {
      expect(t).not.toContain('Pr0xySecret');
      expect(t).not.toContain('proxyuser');
      expect(t).not.toMatch(/ C {2}AUTH\b(?! \w+( \[withheld\])?\n)/);
    }
  });

  it('writes transcripts with timestamps and directions in wire order', () => {
    const summary = readJson<ProbeSummary>(join(folder, 'probe_summary.json'));
    const ok = summary.attempts.find((a) => a.classification.class === 'ok' && a.mode === 'starttls')!;
    const lines = readFileSync(join(folder, ok.transcript_file), 'utf8').split('\n').filter((l) => /^\d{4}-/.test(l));
    const parts = lines.map((l) => l.split(/\s+/));
    expect(parts.every((p) => ['C', 'S', '**'].includes(p[1]!))).toBe(true);
    expect(parts.find((p) => p[1] === 'S')![2]).toBe('220');
    expect(parts.filter((p) => p[1] === 'C').map((p) => p[2])).toEqual(['EHLO', 'MAIL', 'RSET', 'STARTTLS', 'EHLO', 'NOOP', 'QUIT']);
    const times = lines.map((l) => Date.parse(l.split(' ')[0]!));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
  });
});

// The run's findings from their sources (ESMTP/timing, TLS matrix per address, provider
// preset), how the fleet keys them, and that every id a source can produce has a label.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FINDING_IDS, ProbeSummarySchema, type ProbeSummary } from '../../payload/schema/summary.js';
import { TLS_VERSIONS, type MatrixPort } from '../../payload/schema/tls-matrix.js';
import { crossAddressFindings, runtimeTls } from '../../payload/probe/tls-matrix.js';
import { presetFindings } from '../../payload/report/preset-findings.js';
import { findingKey, findingLabel, runFindings } from '../../payload/report/run-findings.js';
import { resolvePreset } from '../../payload/probe/presets.js';
import { probedResult } from '../../store/fleet-schema.js';

const base = ProbeSummarySchema.parse(JSON.parse(readFileSync(new URL('../fixtures/probe-summary-refused.json', import.meta.url), 'utf8')));

function matrixPort(ip: string, accepted: string[]): MatrixPort {
  return { ip, port: 587, mode: 'starttls', versions: TLS_VERSIONS.map((version) => ({ version, status: accepted.includes(version) ? 'accepted' : 'refused', ciphers: [], ciphers_complete: true, error: null, handshakes: 1 })), verification: null, findings: [], ms: 1 };
}

/** The fixture with a STARTTLS attempt whose EHLO lacks STARTTLS, as --provider gmail. */
function gmailWithoutStarttls(): ProbeSummary {
  const a = structuredClone(base.attempts[0]!);
  a.port = 587;
  a.mode = 'starttls';
  a.smtp.ehlo = { code: 250, lines: ['250-smtp.gmail.com at your service', '250 SIZE 35882577'], enhanced: null, ms: 3 };
  return { ...base, settings: { ...base.settings, host: 'smtp.gmail.com', provider: resolvePreset('gmail').record }, attempts: [a] };
}

describe('run findings', () => {
  it('two addresses of one port that accept different versions are a finding of their own', () => {
    const ports = [matrixPort('192.0.2.1', ['TLSv1.2', 'TLSv1.3']), matrixPort('192.0.2.2', ['TLSv1', 'TLSv1.1']), matrixPort('192.0.2.3', ['TLSv1.2', 'TLSv1.3'])];
    const f = crossAddressFindings(ports);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ id: 'tls-addresses-differ', where: '587', severity: 'error', evidence: '192.0.2.1, 192.0.2.3: TLSv1.2 TLSv1.3; 192.0.2.2: TLSv1 TLSv1.1' });
    expect(crossAddressFindings([ports[0]!, ports[2]!])).toEqual([]);
  });

  it('collects every source, keyed id:port for the fleet', () => {
    const s = gmailWithoutStarttls();
    const esmtp = { ports: [], findings: [{ id: 'tarpit' as const, severity: 'problem' as const, port: 25, step: 'banner', ms: 12000, text: 'port 25: banner after 12000 ms' }] };
    const ports = [matrixPort('192.0.2.1', ['TLSv1']), matrixPort('192.0.2.2', ['TLSv1.2'])];
    ports[0]!.findings = [{ id: 'tls-version-mismatch', severity: 'error', text: 't', next_step: 'n' }];
    const tls_matrix = { runtime: runtimeTls(), ports, limits: { max_handshakes_per_port: 1, budget_ms_per_port: 1, concurrency: 1 }, skipped: null, findings: crossAddressFindings(ports) };
    const f = runFindings({ ...s, esmtp, tls_matrix });
    expect(f.map(findingKey)).toEqual(['tarpit:25', 'tls-version-mismatch:587', 'tls-addresses-differ:587', 'preset-starttls-missing:587']);
    expect(f.find((x) => x.id === 'tarpit')!.severity).toBe('error');
    expect(presetFindings(s)[0]!.text).toContain('EHLO did not offer STARTTLS, which Gmail always offers');
  });

  it('a run without a preset, matrix or ESMTP findings has none; the fleet result carries the keys', () => {
    expect(runFindings(base)).toEqual([]);
    const zip = { summary: gmailWithoutStarttls(), entries: [], folders: [], sha256: 'a'.repeat(64), bytes: 1 };
    const common = { sweep_id: 'S1', host: 'h1', transport: 'ssh' as const, job_id: null, job_attempts: 1, started_at: base.run.started_at, finished_at: base.run.finished_at, duration_ms: 1 };
    expect(probedResult(common, zip, 'z', { uploaded_bytes: 0, cache_hit: true }).findings).toEqual(['preset-starttls-missing:587']);
  });

  it('has a label and a next step for every finding id a source can produce', () => {
    const src = ['payload/probe/tls-matrix.ts', 'payload/report/preset-findings.ts', 'payload/probe/sender/spf.ts', 'payload/probe/sender/dmarc.ts', 'payload/probe/sender/dnsbl.ts', 'payload/probe/sender/audit.ts', 'payload/probe/sender/mta-sts.ts', 'payload/probe/sender/tls-rpt.ts', 'payload/probe/sender/dane.ts', 'payload/probe/sender/egress.ts'].map((f) => readFileSync(new URL(`../../${f}`, import.meta.url), 'utf8')).join('\n');
    const ids = [...FINDING_IDS, ...[...src.matchAll(/id: '([a-z0-9-]+)'/g)].map((m) => m[1]!)];
    expect(ids.length).toBeGreaterThan(FINDING_IDS.length + 6);
    for (const id of ids) expect(findingLabel(id), id).not.toBeNull();
    expect(findingLabel('tarpit:25')!.label).toContain('tarpit');
    expect(findingLabel('made-up')).toBeNull();
  });
});

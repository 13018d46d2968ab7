// The probe end to end against the loopback lab: a real Postfix, Gmail-like scripted
// servers, our own DNS servers, and fault listeners.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ProbeSummarySchema, type ProbeSummary } from '../payload/schema/summary.js';
import { LAB_PASSWORD } from '../lab/fault-servers.js';
import { readJson, runCli, runFolder, tempDir } from './helpers.js';

const lab = inject('lab');

async function probe(args: string[], env: Record<string, string> = {}) {
  const out = tempDir();
  const r = await runCli(['probe', '--json', '--out', out, '--ehlo-name', 'probe.lab.test', ...args], env);
  const summary = r.stdout ? ProbeSummarySchema.parse(JSON.parse(r.stdout)) : (null as unknown as ProbeSummary);
  return { ...r, out, summary, folder: summary ? runFolder(out) : '' };
}

describe('probe against a real Postfix', () => {
  it('is ok over STARTTLS, with the TLS and SMTP facts recorded', async () => {
    const { code, summary, folder } = await probe(['--host', '127.0.0.1', '--port', `${lab.postfix.starttlsPort}:starttls`, '--ca', lab.caFile]);
    expect(summary.verdict.class).toBe('ok');
    expect(code).toBe(0);
    const a = summary.attempts[0]!;
    expect(a.tls?.authorized).toBe(true);
    expect(a.tls?.after).toBe('starttls');
    expect(a.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(a.tls?.chain[0]?.issuer).toContain('smtp-probe Lab Root CA');
    expect(a.smtp.banner?.lines[0]).toMatch(/^220 lab\.smtp-probe\.test ESMTP Postfix/);
    expect(a.smtp.starttls?.code).toBe(220);
    expect(a.smtp.ehlo?.lines.join('\n')).toContain('STARTTLS');
    // After TLS the extension list is re-read; Postfix stops advertising STARTTLS there.
    expect(a.smtp.extensions).not.toContain('STARTTLS');
    expect(a.smtp.features.size_mb).toBe(9.8);
    expect(a.smtp.noop?.code).toBe(250);
    expect(a.smtp.quit?.code).toBe(221);
    expect(a.tcp.local_address).toBe('127.0.0.1');
    expect(a.connected_time).not.toBeNull();
    const transcript = readFileSync(join(folder, a.transcript_file), 'utf8');
    expect(transcript).toMatch(/Z C {2}STARTTLS\n/);
    expect(transcript).toMatch(/Z S {2}221 /);
  });

  it('is ok over implicit TLS', async () => {
    const { code, summary } = await probe(['--host', '127.0.0.1', '--port', `${lab.postfix.implicitPort}:implicit`, '--ca', lab.caFile]);
    expect(code).toBe(0);
    const a = summary.attempts[0]!;
    expect(a.tls?.after).toBe('connect');
    expect(a.smtp.starttls).toBeNull();
    expect(a.smtp.banner?.code).toBe(220);
  });

  it('reports a TLS mode mismatch when implicit TLS meets a STARTTLS port', async () => {
    const { code, summary } = await probe(['--host', '127.0.0.1', '--port', `${lab.postfix.starttlsPort}:implicit`, '--ca', lab.caFile, '--timeout', 'tls=3s']);
    expect(summary.verdict.class).toBe('tls');
    expect(summary.verdict.hint_id).toBe('tls-implicit-on-plaintext-port');
    expect(code).toBe(12);
  });
});

describe('probe against the Gmail-like lab through our own resolver', () => {
  const ports = () => ['--port', `${lab.gmail.starttlsPort}:starttls`, '--port', `${lab.gmail.implicitPort}:implicit`];

  it('probes every resolved address on every port and records Gmail facts', async () => {
    const { code, summary, folder } = await probe(['--resolver', lab.dns.spec, ...ports(), '--ca', lab.caFile]);
    expect(code).toBe(0);
    expect(summary.dns.source).toBe('resolver');
    expect(summary.dns.targets.map((t) => t.address)).toEqual(lab.gmail.healthy);
    expect(summary.attempts).toHaveLength(4);
    expect(new Set(summary.attempts.map((a) => `${a.ip}:${a.port}`)).size).toBe(4);
    const a = summary.attempts.find((x) => x.mode === 'starttls')!;
    expect(a.tls?.sni).toBe('smtp.gmail.com');
    expect(a.smtp.banner?.lines[0]).toMatch(/^220 smtp\.gmail\.com ESMTP .* - gsmtp$/);
    expect(a.smtp.ehlo?.lines[0]).toBe('250-smtp.gmail.com at your service, [127.0.0.1]');
    expect(a.smtp.features.auth_mechanisms).toEqual(expect.arrayContaining(['PLAIN', 'LOGIN', 'XOAUTH2']));
    expect(a.smtp.features.size_mb).toBe(34.2);
    expect(summary.egress_ips).toEqual(['127.0.0.1']);
    expect(summary.sweep.success_rate).toBe(1);
    expect(summary.sweep.timings_ms.connect?.n).toBe(4);
    expect(summary.sweep.timings_ms.noop?.n).toBe(4);
    const dns = readJson<{ resolvers: Array<{ queries: Array<{ rrtype: string; answers: Array<{ ttl: number }> }> }> }>(join(folder, 'dns_resolution.json'));
    expect(dns.resolvers[0]!.queries.find((q) => q.rrtype === 'A')!.answers.map((x) => x.ttl)).toEqual([300, 300]);
  });

  it('shows one resetting address among healthy ones in the per-address outcome and success rate', async () => {
    const { code, summary } = await probe(['--resolver', lab.dnsFlaky.spec, '--port', `${lab.gmail.starttlsPort}:starttls`, '--attempts', '2', '--ca', lab.caFile]);
    expect(summary.attempts).toHaveLength(6);
    expect(summary.sweep.ok).toBe(4);
    expect(summary.sweep.success_rate).toBeCloseTo(4 / 6, 5);
    const bad = summary.sweep.per_target.find((p) => p.ip === lab.gmail.resetting)!;
    expect(bad).toMatchObject({ attempts: 2, ok: 0, success_rate: 0 });
    expect(bad.classes).toEqual({ connect: 2 });
    for (const ip of lab.gmail.healthy) expect(summary.sweep.per_target.find((p) => p.ip === ip)).toMatchObject({ ok: 2, success_rate: 1 });
    expect(summary.verdict).toMatchObject({ class: 'connect', partial: true, hint_id: 'connect-reset' });
    expect(summary.verdict.evidence).toContain(lab.gmail.resetting);
    expect(code).toBe(11);
  });

  it('flags resolvers that disagree', async () => {
    const { summary } = await probe(['--resolver', lab.dns.spec, '--dns', lab.dnsFlaky.spec, '--port', `${lab.gmail.starttlsPort}:starttls`, '--ca', lab.caFile]);
    expect(summary.dns.differences.join('\n')).toContain(`only ${lab.dnsFlaky.spec} returned ${lab.gmail.resetting}`);
  });

  it('captures the chain when verification fails', async () => {
    const { code, summary, folder } = await probe(['--resolver', lab.dns.spec, '--port', `${lab.gmail.implicitPort}:implicit`]);
    expect(code).toBe(12);
    expect(summary.verdict.class).toBe('tls');
    expect(summary.verdict.hint_id).toBe('tls-untrusted');
    const t = summary.attempts[0]!.tls!;
    expect(t.authorized).toBe(false);
    expect(t.verify_error).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(t.chain[0]).toMatchObject({ subject: 'CN=smtp.gmail.com' });
    expect(t.chain[0]!.subject_alt_names).toContain('DNS:smtp.gmail.com');
    expect(t.chain[0]!.fingerprint_sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const text = readFileSync(join(folder, `tls_handshake_${lab.gmail.healthy[0]}_${lab.gmail.implicitPort}.txt`), 'utf8');
    expect(text).toContain('verified:       NO: UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(text).toContain(t.chain[0]!.fingerprint_sha256);
    expect(text).toContain('issuer:   O=smtp-probe lab, CN=smtp-probe Lab Root CA');
  });

  it('fails verification when the SNI names a host the certificate does not cover', async () => {
    const { summary } = await probe(['--resolver', lab.dns.spec, '--port', `${lab.gmail.implicitPort}:implicit`, '--ca', lab.caFile, '--sni', 'smtp.example.org']);
    expect(summary.verdict.hint_id).toBe('tls-name-mismatch');
    expect(summary.attempts[0]!.tls!.sni).toBe('smtp.example.org');
  });
});

describe('probe failures before SMTP', () => {
  it('tells a connect timeout apart', async () => {
    const { code, summary } = await probe(['--host', lab.blackhole.host, '--port', `${lab.blackhole.port}:starttls`, '--timeout', 'connect=600ms']);
    expect(summary.attempts[0]!.tcp.error?.kind).toBe('timeout');
    expect(summary.verdict.hint_id).toBe('connect-timeout');
    expect(code).toBe(11);
  });

  it('tells a refused connection apart', async () => {
    const { code, summary } = await probe(['--host', '127.0.0.7', '--port', `${lab.closedPort}`]);
    expect(summary.attempts[0]!.tcp.error).toMatchObject({ kind: 'refused', code: 'ECONNREFUSED' });
    expect(summary.verdict.hint_id).toBe('connect-refused');
    expect(code).toBe(11);
  });

  it('classifies a blocked connection as proxy when proxy variables are set', async () => {
    const { summary } = await probe(['--host', '127.0.0.7', '--port', `${lab.closedPort}`], { HTTPS_PROXY: 'http://user:pw@127.0.0.9:3128' });
    expect(summary.verdict.class).toBe('proxy');
    expect(summary.verdict.hint_id).toBe('proxy-direct-blocked');
  });

  it('reports a DNS failure with no attempt and a complete output folder', async () => {
    const { code, summary, folder } = await probe(['--host', 'nonexistent.smtp-probe.test', '--resolver', lab.dns.spec]);
    expect(code).toBe(10);
    expect(summary.attempts).toHaveLength(0);
    expect(summary.verdict).toMatchObject({ class: 'dns', hint_id: 'dns-nxdomain' });
    expect(summary.verdict.evidence).toContain('ENOTFOUND');
    expect(readFileSync(join(folder, 'report.md'), 'utf8')).toContain('Verdict: `dns`');
  });

  it('reports a resolver that does not answer as a DNS timeout', async () => {
    const { summary } = await probe(['--host', 'smtp.gmail.com', '--resolver', lab.dnsSilent.spec, '--timeout', 'dns=800ms']);
    expect(summary.verdict).toMatchObject({ class: 'dns', hint_id: 'dns-timeout' });
  });
});

describe('--auth-test with more attempts than --auth-max', () => {
  it('says how many attempts logged in and that the others stopped before AUTH on purpose', async () => {
    const out = tempDir();
    const r = await runCli(
      ['probe', '--out', out, '--host', lab.faults.host, '--port', `${lab.faults.ports.auth}:starttls`, '--ca', lab.caFile, '--auth-test', '--user', 'good@lab.test', '--attempts', '3'],
      { SMTP_PROBE_PASSWORD: LAB_PASSWORD, TERM: 'dumb' },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^verdict: {4}ok - the full path works including authentication.* \(authenticated on 1 of 3 attempts; 2 stopped before AUTH on purpose: .*--auth-max/m);
    const summary = readJson<ProbeSummary>(join(runFolder(out), 'probe_summary.json'));
    expect(summary.attempts.filter((a) => a.smtp.auth_skipped)).toHaveLength(2);
    expect(readFileSync(join(runFolder(out), 'report.md'), 'utf8')).toContain('authenticated on 1 of 3 attempts; 2 stopped before AUTH on purpose');
  });
});

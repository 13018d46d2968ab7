// A probe run for pipelines: JUnit XML (one testcase per address, port and attempt) and JSON
// lines (one object per attempt), both made from probe_summary.json alone.
import type { AttemptLine } from '../schema/attempt-line.js';
import { ATTEMPT_LINE_SCHEMA_VERSION } from '../schema/constants.js';
import type { Attempt, ProbeSummary } from '../schema/summary.js';
import { renderJunit, type JunitCase } from './junit-xml.js';

const hostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

function caseName(a: Attempt): string {
  return `${hostPort(a.ip, a.port)}/${a.mode} attempt ${a.round}${a.path === 'proxy' && a.proxy ? ` via ${a.proxy.proxy}` : ''}`;
}

function failureBody(c: { summary: string; next_step: string; hint_id: string }, stage: string | null): string {
  return [`${c.summary}`, `next step: ${c.next_step}`, `hint: ${c.hint_id}${stage ? `; failed stage: ${stage}` : ''}`].join('\n');
}

function attemptOut(a: Attempt): string {
  const banner = a.smtp.banner?.lines[0];
  return [
    `started ${a.started_at}, ${Math.round(a.duration_ms)} ms${a.path === 'proxy' && a.proxy ? `, through ${a.proxy.proxy}` : ''}`,
    `tcp: ${a.tcp.ok ? `connected in ${Math.round(a.tcp.connect_ms ?? 0)} ms` : `failed (${a.tcp.error?.kind ?? 'error'})`}`,
    ...(a.tls ? [`tls: ${a.tls.protocol ?? 'no handshake'}${a.tls.authorized ? ', certificate verified' : a.tls.verify_error ? `, ${a.tls.verify_error}` : ''}`] : []),
    ...(banner !== undefined ? [`banner: ${a.smtp.banner!.code ?? ''} ${banner}`] : []),
    `transcript: ${a.transcript_file}`,
  ].join('\n');
}

/** The one test a run with no address to connect to (a DNS failure) still reports. */
function noAddressCase(s: ProbeSummary): JunitCase {
  const v = s.verdict;
  return {
    classname: `smtp-probe.${s.settings.host}.dns`,
    name: `${s.settings.host} resolution`,
    seconds: s.dns.ms / 1000,
    outcome: { kind: 'failure', type: v.class, message: v.evidence, body: failureBody(v, v.class === 'dns' ? 'dns' : null) },
  };
}

export function probeJunit(s: ProbeSummary, machine: string): string {
  const cases: JunitCase[] = s.attempts.map((a) => {
    const c = a.classification;
    return {
      classname: `smtp-probe.${s.settings.host}.${a.port}`,
      name: caseName(a),
      seconds: a.duration_ms / 1000,
      outcome: c.class === 'ok' ? null : { kind: 'failure', type: c.class, message: c.evidence, body: failureBody(c, a.failed_stage) },
      systemOut: attemptOut(a),
    };
  });
  const v = s.verdict;
  return renderJunit('smtp-probe', [
    {
      name: `smtp-probe probe ${s.settings.host}`,
      timestamp: new Date(s.run.started_at),
      hostname: machine,
      seconds: s.run.duration_ms / 1000,
      properties: [
        ['smtp-probe.version', s.tool.version],
        ['run', s.run.id],
        ['verdict', `${v.class}${v.partial ? ' (partial)' : ''}`],
        ['hint', v.hint_id],
        ['exit_code', String(v.exit_code)],
        ...(s.egress_ips.length ? [['egress_ip', s.egress_ips.join(', ')] as [string, string]] : []),
      ],
      cases: cases.length ? cases : [noAddressCase(s)],
      systemOut: `verdict: ${v.class}${v.partial ? ' (partial)' : ''} - ${v.summary}\nevidence: ${v.evidence}\nnext step: ${v.next_step}\n`,
    },
  ]);
}

export function attemptLines(s: ProbeSummary, machine: string): AttemptLine[] {
  const base = { schema: 'smtp-probe/attempt', schema_version: ATTEMPT_LINE_SCHEMA_VERSION, run_id: s.run.id, tool_version: s.tool.version, machine, host: s.settings.host } as const;
  if (s.attempts.length === 0) {
    const v = s.verdict;
    return [
      ({
        ...base,
        attempt_id: null,
        round: null,
        address: null,
        port: null,
        mode: null,
        path: s.settings.proxy?.proxy ? 'proxy' : 'direct',
        via: s.settings.proxy?.proxy ?? null,
        started_at: s.run.started_at,
        duration_ms: s.dns.ms,
        ok: false,
        class: v.class,
        hint_id: v.hint_id,
        summary: v.summary,
        evidence: v.evidence,
        next_step: v.next_step,
        failed_stage: v.class === 'dns' ? 'dns' : null,
        connect_ms: null,
        tls_ms: null,
        tls_protocol: null,
        tls_verified: null,
        egress_ip: null,
        transcript_file: null,
      } satisfies AttemptLine),
    ];
  }
  return s.attempts.map((a) =>
    ({
      ...base,
      attempt_id: a.id,
      round: a.round,
      address: a.ip,
      port: a.port,
      mode: a.mode,
      path: a.path,
      via: a.proxy?.proxy ?? null,
      started_at: a.started_at,
      duration_ms: a.duration_ms,
      ok: a.classification.class === 'ok',
      class: a.classification.class,
      hint_id: a.classification.hint_id,
      summary: a.classification.summary,
      evidence: a.classification.evidence,
      next_step: a.classification.next_step,
      failed_stage: a.failed_stage,
      connect_ms: a.tcp.connect_ms,
      tls_ms: a.tls?.handshake_ms ?? null,
      tls_protocol: a.tls?.protocol ?? null,
      tls_verified: a.tls ? a.tls.authorized : null,
      egress_ip: a.smtp.egress_ip,
      transcript_file: a.transcript_file,
    } satisfies AttemptLine),
  );
}


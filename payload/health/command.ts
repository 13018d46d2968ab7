// `smtp-probe health`: the probe's sweep over several providers' documented endpoints at
// once (bounded), one line per provider and a verdict that tells a network block from a
// provider problem (verdict.ts).
import { RunFolder, ZIP_PATH, runFolderName } from '../report/output.js';
import { ConnectFailureSchema, HEALTH_SCHEMA_VERSION, HealthSummarySchema, type ConnectFailure, type HealthEndpoint, type HealthProvider, type HealthSummary } from '../schema/health.js';
import type { Attempt } from '../schema/summary.js';
import { mapPool } from '../util/pool.js';
import { UsageError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { buildSettings, formatDnsServer, type ProbeSettings, type RawProbeFlags } from '../probe/options.js';
import { presetIds, resolvePreset, type Endpoint, type Preset } from '../probe/presets.js';
import { fileSafe, runSweep, type SweepOutput } from '../probe/sweep.js';
import { healthVerdict, providerFinding, providerLine } from './verdict.js';
import { renderHealthHtml, renderHealthReport } from './report.js';
import { jsonText } from '../report/json-text.js';

export interface HealthFlags extends Pick<RawProbeFlags, 'timeout' | 'resolver' | 'family' | 'ca' | 'ehloName' | 'region'> {
  provider?: string[];
  concurrency: string;
  out: string;
  zipTo?: string;
  json?: boolean;
  quiet?: boolean;
}

interface Job {
  preset: Preset;
  endpoint: Endpoint;
}

function outcome(a: Attempt): string {
  if (a.classification.class === 'ok') return 'ok';
  if (a.failed_stage === 'connect' && a.tcp.error) return `connect ${a.tcp.error.kind}`;
  return a.classification.hint_id.replace(/-/g, ' ');
}

const FAILURE: Record<string, ConnectFailure> = { timeout: 'dropped', refused: 'refused', reset: 'reset', unreachable: 'unreachable', blocked: 'blocked' };

/** How the endpoint's connects failed; a drop outranks a refusal when addresses differ (the firewall case). */
function connectFailure(out: SweepOutput): ConnectFailure | undefined {
  const kinds = out.attempts.filter((a) => a.failed_stage === 'connect' && a.tcp.error).map((a) => FAILURE[a.tcp.error!.kind] ?? 'other');
  return ConnectFailureSchema.options.find((k) => kinds.includes(k));
}

function endpointRecord(job: Job, out: SweepOutput): HealthEndpoint {
  const v = out.verdict;
  const failed = out.attempts.find((a) => a.classification.class !== 'ok');
  const words = [...new Set(out.attempts.map(outcome))];
  return {
    host: job.endpoint.host,
    port: job.endpoint.port,
    mode: job.endpoint.mode,
    class: v.class,
    hint_id: v.hint_id,
    failed_stage: !out.attempts.length ? 'dns' : v.class === 'ok' ? null : (failed?.failed_stage ?? null),
    outcome: !out.attempts.length ? `dns ${v.hint_id.replace(/^dns-/, '').replace(/-/g, ' ')}` : words.length === 1 ? words[0]! : words.join(' / '),
    evidence: v.evidence,
    next_step: v.next_step,
    ...(v.class !== 'ok' && connectFailure(out) ? { connect_failure: connectFailure(out) } : {}),
    addresses: out.dns.targets.map((t) => t.address),
    duration_ms: out.attempts.reduce((m, a) => Math.max(m, a.duration_ms), out.dns.ms),
  };
}

export async function healthCommand(flags: HealthFlags): Promise<number> {
  const ids = flags.provider?.length ? flags.provider : presetIds();
  const wantsRegion = flags.region !== undefined;
  const presets = ids.map((id) => resolvePreset(id, wantsRegion && id.trim().toLowerCase() === 'ses' ? flags.region : undefined));
  if (wantsRegion && !presets.some((p) => p.region)) throw new UsageError('--region only applies with the ses provider');
  const concurrency = Number(flags.concurrency);
  if (!/^\d+$/.test(flags.concurrency) || concurrency < 1 || concurrency > 32) throw new UsageError(`invalid --concurrency "${flags.concurrency}": expected a whole number from 1 to 32`);
  // One set of settings, checked once; each endpoint changes only host, ports and name.
  const base = await buildSettings({ host: presets[0]!.endpoints[0]!.host, mode: 'auto', attempts: '1', concurrency: '2', family: flags.family, timeout: flags.timeout, resolver: flags.resolver, ca: flags.ca, ehloName: flags.ehloName });
  const started = new Date();
  const folder = RunFolder.open(flags.out, runFolderName(started, 'smtp-probe-health'));
  try {
    const jobs: Job[] = [...new Map(presets.map((p) => [p.id, p])).values()].flatMap((preset) => preset.endpoints.filter((e) => !e.optional).map((endpoint) => ({ preset, endpoint })));
    const results = await mapPool(jobs, concurrency, async (job) => {
      const s: ProbeSettings = { ...base, host: job.endpoint.host, sni: job.endpoint.host, ports: [{ port: job.endpoint.port, mode: job.endpoint.mode }] };
      return runSweep(s, {}, folder.name);
    });
    const byPreset = new Map<string, HealthEndpoint[]>();
    jobs.forEach((job, i) => {
      const out = results[i]!;
      byPreset.set(job.preset.id, [...(byPreset.get(job.preset.id) ?? []), endpointRecord(job, out)]);
      out.attempts.forEach((a, k) => {
        folder.add(`transcripts/${job.preset.id}_${fileSafe(a.ip)}_${a.port}_${k + 1}.txt`, out.sessions[k]!.transcript.render([`smtp-probe ${VERSION} health, ${job.preset.name}: ${job.endpoint.host} ${a.ip}:${a.port} ${a.mode}`, `result: ${a.classification.class} (${a.classification.hint_id})`, 'C: client, S: server, **: probe event']));
      });
    });
    const uniq = [...new Map(presets.map((p) => [p.id, p])).values()];
    const reached = (port: number, except: string) => uniq.some((p) => p.id !== except && (byPreset.get(p.id) ?? []).some((e) => e.port === port && e.class === 'ok'));
    const providers: HealthProvider[] = uniq.map((p) => {
      const endpoints = byPreset.get(p.id)!;
      const okCount = endpoints.filter((e) => e.class === 'ok').length;
      return { id: p.id, name: p.name, status: okCount === endpoints.length ? 'ok' : okCount ? 'partial' : 'failed', finding: providerFinding(endpoints, (port) => reached(port, p.id)), line: providerLine(p.name, endpoints), endpoints };
    });
    const finished = new Date();
    const names = [...folder.names()];
    const summary: HealthSummary = HealthSummarySchema.parse({
      schema: 'smtp-probe/health-summary',
      schema_version: HEALTH_SCHEMA_VERSION,
      tool: { name: 'smtp-probe', version: VERSION },
      run: { id: folder.name, command: 'health', started_at: started.toISOString(), finished_at: finished.toISOString(), duration_ms: finished.getTime() - started.getTime() },
      settings: { providers: uniq.map((p) => p.id), region: uniq.find((p) => p.region)?.region ?? null, concurrency, timeouts_ms: base.timeouts, resolver: base.resolver ? formatDnsServer(base.resolver) : null, family: base.family },
      providers,
      verdict: healthVerdict(providers),
      files: ['health_summary.json', 'report.md', 'report.html', ...names, ZIP_PATH],
    } satisfies HealthSummary);
    folder.add('health_summary.json', jsonText(summary));
    folder.add('report.md', renderHealthReport(summary));
    folder.add('report.html', renderHealthHtml(summary));
    const path = await folder.commit();
    const { finishHealth } = await import('./output.js');
    finishHealth(flags, summary, path);
    return summary.verdict.exit_code;
  } finally {
    folder.abandon();
  }
}

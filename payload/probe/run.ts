// `smtp-probe probe`: settings -> sweep -> files -> verdict and exit code.
import { esmtpMatrix, thresholds } from './esmtp-matrix.js';
import { copyFileSync, renameSync } from 'node:fs';
import { join, relative } from 'node:path';
import { envSnapshot } from '../collect/env.js';
import { renderHtmlReport } from '../report/html.js';
import { NO_ADDRESS, renderReport } from '../report/markdown.js';
import { jsonLines } from '../report/jsonl.js';
import { RunFolder, ZIP_PATH, runFolderName } from '../report/output.js';
import { STDOUT, checkOutputPath, writeOutputFile } from '../report/output-file.js';
import { attemptLines, probeJunit } from '../report/probe-outputs.js';
import { tlsText } from '../report/tls-text.js';
import type { Attempt, DnsResolution, EnvSnapshot, ProbeSummary } from '../schema/summary.js';
import { SUMMARY_SCHEMA_VERSION } from '../schema/constants.js';
import { selfChecked } from '../schema/self-check.js';
import { formatMs } from '../util/duration.js';
import { UsageError, errorCode } from '../util/errors.js';
import { VERSION } from '../version.js';
import { buildSettings, type ProbeSettings, type RawProbeFlags } from './options.js';
import { Progress } from './progress.js';
import { fileSafe, hostPort, runSweep, settingsRecord } from './sweep.js';
import { paint, terminalStyle, verdictTone } from '../util/terminal.js';
import type { Capture, Endpoint } from './pcap.js';
import { matrixLine, runTlsMatrix } from './tls-matrix.js';
import type { RunnerFacts } from './sender/audit.js';
import { senderLine } from '../report/sender-report.js';
import { jsonText } from '../report/json-text.js';
import { ipFamily } from '../util/ip-family.js';

export interface ProbeFlags extends RawProbeFlags {
  out: string;
  zipTo?: string;
  json?: boolean;
  quiet?: boolean;
  junit?: string;
  jsonl?: string;
}

export async function probeCommand(flags: ProbeFlags): Promise<number> {
  checkPipelineOutputs(flags);
  const settings = await buildSettings(flags);
  const started = new Date();
  const folder = RunFolder.open(flags.out, runFolderName(started));
  const progress = Progress.forStderr(flags.quiet === true || flags.json === true);
  try {
    const run = await probeIntoFolder(settings, folder, started, progress);
    folder.add('report.md', run.report);
    const path = await folder.commit();
    await writePipelineOutputs(flags, run.summary, run.env.os.hostname);
    // `--jsonl -` owns stdout: the human summary would break the lines a pipeline reads.
    finishRun(flags.jsonl === STDOUT ? { ...flags, quiet: true } : flags, run.summary, path);
    return run.summary.verdict.exit_code;
  } finally {
    progress.clear();
    folder.abandon();
  }
}

export interface ProbeRun {
  summary: ProbeSummary;
  dns: DnsResolution;
  env: EnvSnapshot;
  /** report.md's text; the caller adds it (diagnose appends its own sections first). */
  report: string;
}

/**
 * Runs the sweep and adds every probe file but report.md (report.html included) to `folder`. `extraFiles` are the
 * names the caller will add too, so probe_summary.json's file list stays complete.
 */
export async function probeIntoFolder(settings: ProbeSettings, folder: RunFolder, started: Date, progress: Progress, command = 'probe', extraFiles: () => string[] = () => []): Promise<ProbeRun> {
  let capture: Capture | null = null;
  // Only with --pcap: the capture module spawns tcpdump, and child_process costs a plain probe's start.
  const pcapTool = settings.pcap ? await import('./pcap.js') : null;
  // The domain's DNS checks run alongside the sweep; the runner's (egress IP, TLSA of the host) after it.
  // Loaded only with --sender-domain (dns-packet, the audit's schema).
  const senderTool = settings.sender ? await import('./sender/audit.js') : null;
  const sender = senderTool && settings.sender ? senderTool.startSenderAudit({ domain: settings.sender.domain, resolver: settings.resolver, timeoutMs: settings.timeouts.dns, dkimSelector: settings.sender.dkimSelector, ca: settings.ca }) : null;
  const out = await runSweep(settings, {
    onDns: (d, jobs) => progress.note(`${settings.host}: ${d.targets.length} address(es) in ${formatMs(d.ms)}; ${jobs} attempt(s)`),
    onAttempt: (done, total, a) => progress.tick(done, total, a.classification.class),
    beforeConnect: async (d) => {
      if (pcapTool) capture = await pcapTool.startCapture(captureEndpoints(settings, d.targets));
    },
  }, folder.name).catch(async (err: unknown) => {
    // A capture left running would hold the process for its whole time limit.
    await (capture as Capture | null)?.stop();
    throw err;
  });
  progress.clear();
  if (settings.tlsMatrix) progress.note(`${settings.host}: TLS matrix`);
  const tlsMatrix = settings.tlsMatrix ? await selfChecked('tls-matrix', await runTlsMatrix(settings, out.dns.targets)) : undefined;
  progress.clear();
  const pcap = capture ? await (capture as Capture).stop() : null;
  if (pcap?.data && pcapTool) folder.add(pcapTool.PCAP_FILE, pcap.data);
  if (sender) progress.note(`${settings.sender!.domain}: sender-domain audit`);
  const senderAudit = sender ? await sender.finish(runnerFacts(settings, out.attempts, out.egressIps, senderTool!.normHex)) : undefined;
  progress.clear();

  const tlsFiles = new Map<string, Attempt[]>();
  for (const a of out.attempts) {
    if (!a.tls) continue;
    const k = `tls_handshake_${fileSafe(a.ip)}_${a.port}.txt`;
    tlsFiles.set(k, [...(tlsFiles.get(k) ?? []), a]);
  }
  const env = await selfChecked('env-snapshot', envSnapshot(started, settings.proxyDiscovery?.record ?? null));
  const dns = await selfChecked('dns-resolution', out.dns);
  const finished = new Date();
  const names = ['report.md', 'report.html', 'probe_summary.json', 'dns_resolution.json', 'env_snapshot.json', ...out.attempts.map((a) => a.transcript_file), ...tlsFiles.keys(), ...(pcap?.data && pcapTool ? [pcapTool.PCAP_FILE] : [])];
  const summary: ProbeSummary = await selfChecked('probe-summary', {
    schema: 'smtp-probe/probe-summary',
    schema_version: SUMMARY_SCHEMA_VERSION,
    tool: { name: 'smtp-probe', version: VERSION },
    run: { id: folder.name, command, started_at: started.toISOString(), finished_at: finished.toISOString(), duration_ms: finished.getTime() - started.getTime() },
    settings: settingsRecord(settings),
    dns: { source: dns.source, ms: dns.ms, targets: dns.targets, differences: dns.differences, error: dns.error },
    attempts: out.attempts,
    sweep: out.sweep,
    egress_ips: out.egressIps,
    verdict: out.verdict,
    proxy_discovery: settings.proxyDiscovery?.record ?? null,
    comparison: out.comparison,
    ...(tlsMatrix ? { tls_matrix: tlsMatrix } : {}),
    ...(pcap ? { pcap: pcap.record } : {}),
    esmtp: esmtpMatrix(out.attempts, thresholds(settings.tarpitMs)),
    ...(senderAudit ? { sender: senderAudit } : {}),
    files: [...names, ...extraFiles(), ZIP_PATH],
  } satisfies ProbeSummary);

  folder.add('probe_summary.json', jsonText(summary));
  folder.add('dns_resolution.json', jsonText(dns));
  folder.add('env_snapshot.json', jsonText(env));
  const transcripts = out.attempts.map((a, i) => ({
    name: a.transcript_file,
    text: out.sessions[i]!.transcript.render([
      `smtp-probe ${VERSION} transcript, attempt ${a.id} (round ${a.round}): ${hostPort(a.ip, a.port)} ${a.mode}, host ${settings.host}${a.proxy ? `, through ${a.proxy.proxy}` : ''}`,
      `result: ${a.classification.class} (${a.classification.hint_id})`,
      'C: client, S: server, **: probe event; credentials are never written',
    ]),
  }));
  for (const t of transcripts) folder.add(t.name, t.text);
  for (const [name, list] of tlsFiles) folder.add(name, tlsText(list[0]!, list));
  // Built from the transcripts as the folder holds them: under diagnose, after its redactor.
  const kept = new Map(folder.entries().map((e) => [e.name, e.data]));
  folder.add('report.html', renderHtmlReport(summary, dns, env, transcripts.map((t) => ({ name: t.name, text: kept.get(t.name)?.toString('utf8') ?? t.text }))));
  return { summary, dns, env, report: renderReport(summary, dns, env) };
}

/** --egress-ip, else what the server's greeting named; the served chain of each port of a named host. */
function runnerFacts(s: ProbeSettings, attempts: Attempt[], seen: string[], normHex: (hex: string) => string): RunnerFacts {
  const given = s.sender?.egressIp;
  const egress = [...(given ? [{ ip: given, source: '--egress-ip' as const }] : []), ...seen.filter((ip) => ip !== given).map((ip) => ({ ip, source: 'ehlo-greeting' as const }))];
  const submission = ipFamily(s.host) ? [] : s.ports.map((p) => {
    const a = attempts.find((x) => x.port === p.port && x.tls?.chain.length);
    return { host: s.host.replace(/\.$/, ''), port: p.port, chain: (a?.tls?.chain ?? []).map((c) => ({ cert_sha256: normHex(c.fingerprint_sha256), spki_sha256: c.spki_sha256 ?? null })), pkixValid: a?.tls?.authorized === true };
  });
  return { egress, submission };
}

/** Every address and port the probe connects to: the targets, or the proxy when one is in the path. */
function captureEndpoints(s: ProbeSettings, targets: readonly { address: string }[]): Endpoint[] {
  const direct = s.proxy?.mode !== 'explicit';
  const out: Endpoint[] = direct ? targets.flatMap((t) => s.ports.map((p) => ({ address: t.address, port: p.port }))) : [];
  if (s.proxy?.spec) out.push({ address: s.proxy.spec.host, port: s.proxy.spec.port });
  return out;
}

function checkPipelineOutputs(flags: ProbeFlags): void {
  if (flags.jsonl === STDOUT && flags.json) throw new UsageError('--jsonl - and --json both want stdout: give --jsonl a file name');
  checkOutputPath('--junit', flags.junit);
  checkOutputPath('--jsonl', flags.jsonl, true);
}

/** --junit and --jsonl, written once the run folder is in place (they name its files). */
async function writePipelineOutputs(flags: ProbeFlags, summary: ProbeSummary, machine: string): Promise<void> {
  if (flags.junit) writeOutputFile('--junit', flags.junit, probeJunit(summary, machine));
  if (flags.jsonl) writeOutputFile('--jsonl', flags.jsonl, jsonLines(await Promise.all(attemptLines(summary, machine).map((l) => selfChecked('attempt-line', l)))));
}

/** After commit: --zip-to, then stdout as --json / --quiet / human ask. */
export function finishRun(flags: Pick<ProbeFlags, 'zipTo' | 'json' | 'quiet'>, summary: ProbeSummary, path: string, extraLines: string[] = []): void {
  if (flags.zipTo) copyZip(join(path, ZIP_PATH), flags.zipTo);
  if (flags.json) process.stdout.write(jsonText(summary));
  else if (!flags.quiet) process.stdout.write(humanSummary(summary, path, extraLines));
}

function humanSummary(s: ProbeSummary, path: string, extraLines: string[]): string {
  const v = s.verdict;
  const style = terminalStyle(process.stdout.isTTY, process.env);
  const rel = relative(process.cwd(), path) || '.';
  const shown = rel.startsWith('..') ? path : `./${rel}`;
  return [
    `verdict:    ${paint(style, verdictTone(v.class, v.partial), `${v.class}${v.partial ? ' (partial)' : ''}`)} - ${v.summary}`,
    `evidence:   ${v.evidence}`,
    `next step:  ${v.next_step}`,
    ...(s.comparison ? [`paths:      ${s.comparison.text}`] : s.settings.proxy?.proxy ? [`proxy:      ${s.settings.proxy.proxy}${s.settings.proxy.resolved_by === 'proxy' ? ' (the proxy resolves the host name)' : ''}`] : s.settings.proxy?.mode === 'auto' ? ['proxy:      auto: no proxy configured on this machine; direct path only'] : []),
    s.attempts.length ? `success:    ${s.sweep.ok}/${s.sweep.total} attempts to ${s.dns.targets.length} address(es) on port(s) ${s.settings.ports.map((p) => `${p.port}/${p.mode}`).join(', ')}` : `success:    ${NO_ADDRESS}`,
    ...(s.egress_ips.length ? [`egress IP:  ${s.egress_ips.join(', ')}`] : []),
    ...(s.tls_matrix ? [`tls matrix: ${matrixLine(s.tls_matrix)}`] : []),
    ...(s.pcap ? [`pcap:       ${s.pcap.message}`] : []),
    ...(s.sender ? [`sender:     ${senderLine(s.sender)}`] : []),
    ...extraLines,
    `report:     ${shown}/report.md (and report.html)`,
    `zip:        ${shown}/${ZIP_PATH}`,
    '',
  ].join('\n');
}

/** Copies under a temporary name first: a fetcher polling for the file never sees half of it. */
export function copyZip(from: string, to: string): void {
  const tmp = `${to}.partial`;
  try {
    copyFileSync(from, tmp);
    renameSync(tmp, to);
  } catch (err) {
    throw new UsageError(`cannot write --zip-to "${to}": ${errorCode(err) ?? 'not writable'}`);
  }
}

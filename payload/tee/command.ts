// `smtp-probe tee`: listen, relay the bot's sessions until SIGINT/SIGTERM or --duration,
// then write the run folder (same layout and --out convention as the probe).
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { envSnapshot } from '../collect/env.js';
import { hostPort } from '../probe/sweep.js';
import { renderTeeReport } from '../report/tee-markdown.js';
import { RunFolder, ZIP_PATH, runFolderName } from '../report/output.js';
import { tlsText } from '../report/tls-text.js';
import { EnvSnapshotSchema } from '../schema/summary.js';
import { TeeSummarySchema, type TeeSession, type TeeSummary } from '../schema/tee.js';
import { UsageError, errorCode } from '../util/errors.js';
import { VERSION } from '../version.js';
import { buildTeeSettings, isLoopback, type TeeFlags, type TeeSettings } from './options.js';
import { recordSessions } from './record.js';
import { startTee, type TeeServer } from './server.js';
import { jsonText } from '../report/json-text.js';

export const CA_FILE = 'tee_ca.pem';

export const TEE_WARNING = 'WARNING: smtp-probe tee is for testing only, never for production. It sits in the middle of the bot\'s mail path with its own certificate and relays its credentials.';

function trustHelp(caPath: string): string[] {
  return [
    `To trust it for the test (remove it afterwards):`,
    `  swaks:   swaks --tls-ca-path ${caPath} ...      Python: ssl.create_default_context(cafile=r"${caPath}")`,
    `  Node:    NODE_EXTRA_CA_CERTS=${caPath}          Linux:  cp ${caPath} /usr/local/share/ca-certificates/smtp-probe-tee.crt && update-ca-certificates`,
    `  Windows (current user): certutil -user -addstore Root ${caPath}   (remove: certutil -user -delstore Root <serial>)`,
  ];
}

export async function teeCommand(flags: TeeFlags): Promise<number> {
  const settings = buildTeeSettings(flags);
  const started = new Date();
  const folder = RunFolder.open(settings.out, runFolderName(started));
  const say = (line: string) => !flags.quiet && process.stderr.write(`${line}\n`);
  let tee: TeeServer;
  try {
    tee = await startTee(settings);
  } catch (err) {
    folder.abandon();
    throw new UsageError(`cannot listen on ${flags.listen}: ${errorCode(err) ?? 'error'}`);
  }
  // The CA is needed by the bot now, not when the run folder is written at the end.
  // Named so it is never taken for a run folder (smtp-probe-*) by whoever collects them.
  const caPath = join(settings.out, `tee_ca-${folder.name.replace(/^smtp-probe-/, '')}.pem`);
  writeFileSync(caPath, tee.certs.caPem);
  process.stderr.write(`${TEE_WARNING}\n`);
  if (settings.allowRemote && !isLoopback(settings.listen.host)) process.stderr.write(`WARNING: --allow-remote: other machines can connect to ${hostPort(tee.host, tee.port)}; keep the test short and the network trusted.\n`);
  say(`tee: listening on ${hostPort(tee.host, tee.port)} (bot leg: ${settings.botTls}), relaying to ${hostPort(settings.upstream.host, settings.upstream.port)} (${settings.upstream.tls})`);
  if (settings.botTls !== 'none') {
    say(`tee: test CA ${caPath}`);
    say(`tee: CA SHA-256 ${tee.certs.caFingerprint}`);
    say(`tee: server certificate SHA-256 ${tee.certs.certFingerprint} for ${tee.certs.names.join(', ')}`);
    for (const l of trustHelp(caPath)) say(l);
  }
  say(`tee: stop with Ctrl-C${settings.durationMs ? ` (or after ${Math.round(settings.durationMs / 1000)} s)` : ''}`);

  const endedBy = await new Promise<'signal' | 'duration'>((resolve) => {
    // cli.ts exits on a signal; here a signal is the normal way to end, so the record is written first.
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.removeAllListeners(sig);
      process.once(sig, () => resolve('signal'));
    }
    if (settings.durationMs) setTimeout(() => resolve('duration'), settings.durationMs).unref();
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  say('tee: stopping, writing the record');
  const run = await tee.stop();
  try {
    const summary = writeRecord(settings, folder, started, endedBy, tee, run);
    const path = await folder.commit();
    if (flags.json) process.stdout.write(jsonText(summary));
    else if (!flags.quiet) {
      const rel = relative(process.cwd(), path) || '.';
      const shown = rel.startsWith('..') ? path : `./${rel}`;
      process.stdout.write(
        [
          `verdict:    ${summary.verdict.class}${summary.verdict.partial ? ' (partial)' : ''} - ${summary.verdict.summary}`,
          `evidence:   ${summary.verdict.evidence}`,
          `next step:  ${summary.verdict.next_step}`,
          `sessions:   ${summary.sweep.ok}/${summary.sessions.length} ok, ${summary.sessions_refused} refused`,
          `report:     ${shown}/report.md`,
          `zip:        ${shown}/${ZIP_PATH}`,
          '',
        ].join('\n'),
      );
    }
    return summary.verdict.exit_code;
  } finally {
    folder.abandon();
  }
}

function writeRecord(s: TeeSettings, folder: RunFolder, started: Date, endedBy: 'signal' | 'duration', tee: TeeServer, run: Awaited<ReturnType<TeeServer['stop']>>): TeeSummary {
  const rec = recordSessions(run.sessions, (x: TeeSession) => [
    `smtp-probe ${VERSION} tee transcript, session ${x.id}: bot ${x.bot.address}:${x.bot.port} (${x.bot.tls_mode}) -> ${hostPort(x.ip, x.port)} ${x.mode}, host ${x.upstream_host}`,
    `result: ${x.classification.class} (${x.classification.hint_id}); ended by ${x.ended_by}`,
    'C: the bot, S: the upstream server, **: tee event; credentials, header values and message content are never written',
  ]);
  const tlsFiles = new Map<string, TeeSession[]>();
  for (const x of rec.sessions) {
    if (!x.tls) continue;
    const k = `tls_handshake_${x.ip.replace(/[:%]/g, '-')}_${x.port}.txt`;
    tlsFiles.set(k, [...(tlsFiles.get(k) ?? []), x]);
  }
  const env = EnvSnapshotSchema.parse(envSnapshot(started));
  const finished = new Date();
  const files = ['report.md', 'tee_summary.json', 'env_snapshot.json', CA_FILE, ...rec.transcripts.map((t) => t.name), ...tlsFiles.keys(), ZIP_PATH];
  const summary = TeeSummarySchema.parse({
    schema: 'smtp-probe/tee-summary',
    schema_version: 1,
    tool: { name: 'smtp-probe', version: VERSION },
    run: { id: folder.name, command: 'tee', started_at: started.toISOString(), finished_at: finished.toISOString(), duration_ms: finished.getTime() - started.getTime(), ended_by: endedBy },
    settings: {
      listen: hostPort(tee.host, tee.port),
      upstream: hostPort(s.upstream.host, s.upstream.port),
      upstream_tls: s.upstream.tls,
      bot_tls: s.botTls,
      sni: s.sni,
      ca_files: s.caFiles,
      max_sessions: s.maxSessions,
      max_message_bytes: s.maxMessageBytes,
      idle_timeout_ms: s.idleMs,
      duration_ms: s.durationMs,
      allow_remote: s.allowRemote,
    },
    certificate: { ca_file: CA_FILE, ca_sha256: tee.certs.caFingerprint, cert_sha256: tee.certs.certFingerprint, names: tee.certs.names, valid_to: tee.certs.validTo },
    sessions: rec.sessions,
    sessions_refused: run.refused,
    sessions_not_recorded: run.notRecorded,
    sweep: rec.sweep,
    verdict: rec.verdict,
    files,
  } satisfies TeeSummary);
  folder.add('report.md', renderTeeReport(summary, env));
  folder.add('tee_summary.json', jsonText(summary));
  folder.add('env_snapshot.json', jsonText(env));
  folder.add(CA_FILE, tee.certs.caPem);
  for (const t of rec.transcripts) folder.add(t.name, t.text);
  for (const [name, list] of tlsFiles) folder.add(name, tlsText(list[0]!, list));
  return summary;
}

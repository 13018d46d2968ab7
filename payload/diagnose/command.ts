// `smtp-probe diagnose`: the probe with the bot's settings, then every collector on its own
// (timeout, size cap, never sinking the run), all into one redacted run folder and ZIP with
// a manifest. The exit code is the probe's verdict, as for `probe`.
import { buildSettings } from '../probe/options.js';
import { Progress } from '../probe/progress.js';
import { finishRun, probeIntoFolder } from '../probe/run.js';
import { RunFolder, runFolderName } from '../report/output.js';
import type { Aa, NetworkSnapshot } from '../schema/diagnose.js';
import { botErrorLine } from './bot-error.js';
import { runCollector, type Collector, type CollectorContext, type CollectorResult } from './collector.js';
import { aaCollector } from './collectors/aa.js';
import { clockCollector } from './collectors/clock.js';
import { dnsCollector } from './collectors/dns.js';
import { networkCollector } from './collectors/network.js';
import { osTlsCollector } from './collectors/os-tls.js';
import { proxyCollector } from './collectors/proxy.js';
import { execCommand, type ExecResult } from './exec.js';
import { buildManifest } from './manifest.js';
import { buildDiagnoseSettings, type DiagnoseFlags } from './options.js';
import { Redactor, secretEnvValues } from './redact.js';
import { offlineBanner, renderDiagnose } from './report.js';
import { jsonText } from '../report/json-text.js';

export const COLLECTOR_LIST: ReadonlyArray<Collector<unknown>> = [dnsCollector, networkCollector, clockCollector, proxyCollector, osTlsCollector, aaCollector] as ReadonlyArray<Collector<unknown>>;

export type FromCli = (flag: 'host' | 'port' | 'mode' | 'user') => boolean;

export async function diagnoseCommand(flags: DiagnoseFlags, fromCli: FromCli): Promise<number> {
  const diag = buildDiagnoseSettings(flags, fromCli);
  const settings = await buildSettings(flags);
  const redactor = new Redactor();
  redactor.addSecret(settings.auth?.secret);
  for (const s of diag.aa.config?.secrets ?? []) redactor.addSecret(s);
  for (const s of secretEnvValues()) redactor.addSecret(s);

  const started = new Date();
  const folder = RunFolder.open(flags.out, runFolderName(started), redactor.file);
  const progress = Progress.forStderr(flags.quiet === true || flags.json === true);
  try {
    const collectorFiles = COLLECTOR_LIST.map((c) => c.file);
    const probe = await probeIntoFolder(settings, folder, started, progress, 'diagnose', () => [...collectorFiles, 'manifest.json']);
    const probeFiles = new Set(folder.names());
    progress.note(`collecting: ${COLLECTOR_LIST.map((c) => c.name).join(', ')}`);

    const sharedRuns = new Map<string, Promise<ExecResult>>();
    const ctx: CollectorContext = {
      platform: process.platform,
      now: started,
      settings,
      diag,
      probe,
      exec: execCommand,
      env: process.env,
      shared: (key, run) => {
        if (!sharedRuns.has(key)) sharedRuns.set(key, run());
        return sharedRuns.get(key)!;
      },
    };
    const limits = { timeoutMs: diag.collectTimeoutMs, maxBytes: diag.maxFileBytes, skip: diag.skip, redact: redactor.file };
    const results: CollectorResult[] = await Promise.all(COLLECTOR_LIST.map((c) => runCollector(c, ctx, limits)));

    const owner = new Map<string, string>();
    for (const r of results) {
      folder.add(r.file, jsonText(r.json));
      owner.set(r.file, r.name);
      for (const f of r.files) {
        if (owner.has(f.name)) continue; // a shared raw file kept by two collectors
        folder.add(f.name, f.data);
        owner.set(f.name, r.name);
      }
    }
    const network = results.find((r) => r.name === 'network')?.json.data as NetworkSnapshot['data'] | undefined;
    const banner = offlineBanner(network ?? undefined);
    // The bot's own error goes at the top, next to the probe's verdict: the two read together.
    const botError = (results.find((r) => r.name === 'aa')?.json.data as Aa['data'] | undefined)?.bot_error ?? null;
    const top = [banner, botError ? `> **The bot's own error.** ${botErrorLine(botError, probe.summary.verdict.summary)}` : null].filter(Boolean).join('\n\n');
    const report = (top ? probe.report.replace(/^(# [^\n]*\n\n)/, `$1${top}\n\n`) : probe.report) + '\n' + renderDiagnose(results);
    folder.add('report.md', report);
    const manifest = buildManifest(folder.name, folder.entries(), results, (name) => owner.get(name) ?? (probeFiles.has(name) ? 'probe' : 'diagnose'));
    folder.add('manifest.json', jsonText(manifest));
    const path = await folder.commit();

    const extra = [
      ...(banner ? ['network:    NONE - no usable network on this machine (see report.md)'] : []),
      ...(botError ? [`bot error:  ${botError.class}${botError.at ? ` at ${botError.at}` : ''} - ${botError.reading} (see report.md)`] : []),
      `collectors: ${results.map((r) => `${r.name} ${r.status}`).join(', ')}`,
    ];
    finishRun(flags, probe.summary, path, extra);
    return probe.summary.verdict.exit_code;
  } finally {
    progress.clear();
    folder.abandon();
  }
}

// Flags of `smtp-probe diagnose` on top of the probe's: the time window, the SNTP server,
// the AA context, collector limits. A saved bot configuration (--aa-config) fills in the
// probe's host, port and mode unless the command line names them itself.
import type { ProbeFlags } from '../probe/run.js';
import { parseDuration } from '../util/duration.js';
import { UsageError } from '../util/errors.js';
import { readAaConfig, type AaConfig } from './aa-config.js';
import { COLLECTORS } from '../schema/diagnose.js';
import { ipFamily } from '../util/ip-family.js';

export interface DiagnoseFlags extends ProbeFlags {
  aaConfig?: string;
  aaActivity?: string;
  aaRunId?: string;
  aaHost?: string;
  aaLogs?: string[];
  aaLogsMax: string;
  since: string;
  ntp: string | false;
  collectTimeout: string;
  maxFile: string;
  skip?: string[];
}

export interface DiagnoseSettings {
  since: Date;
  sinceText: string;
  ntp: { host: string; port: number } | null;
  aa: {
    activity: string | null;
    runId: string | null;
    host: string | null;
    config: AaConfig | null;
    logGlobs: string[];
    logGlobsGiven: boolean;
    capBytes: number;
  };
  collectTimeoutMs: number;
  maxFileBytes: number;
  skip: string[];
}

const UNIT: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `24h`, `90m`, `2d`, or an ISO date/time: the start of the window logs and events are taken from. */
export function parseSince(text: string, now = new Date()): Date {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  if (m) return new Date(now.getTime() - Number(m[1]) * UNIT[m[2]!]!);
  const t = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim()) && !Number.isNaN(t)) return new Date(t);
  throw new UsageError(`invalid --since "${text}": use a span like 24h, 90m, 2d or a date like 2026-03-12T08:00:00Z`);
}

/** `5MB`, `512KB`, `1048576`. */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`invalid ${flag} "${text}": use a size like 5MB or 512KB`);
  const mult = { b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase()]!;
  const n = Math.round(Number(m[1]) * mult);
  if (n < 1024 || n > 1024 ** 3) throw new UsageError(`invalid ${flag} "${text}": must be between 1KB and 1GB`);
  return n;
}

export function parseNtp(text: string): { host: string; port: number } {
  const t = text.trim();
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  let host = t;
  let port = 123;
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else if (ipFamily(t) !== 6 && t.includes(':')) {
    host = t.slice(0, t.lastIndexOf(':'));
    port = Number(t.slice(t.lastIndexOf(':') + 1));
  }
  if (!host || !/^[A-Za-z0-9.:_-]+$/.test(host) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`invalid --ntp "${text}": expected a host name or address, optionally with :PORT`);
  }
  return { host, port };
}

/** Documented default log folders of the AA bot agent. */
export function defaultAaLogGlobs(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = process.env): string[] {
  if (platform === 'win32') {
    const pd = env.ProgramData ?? 'C:\\ProgramData';
    return [`${pd}\\AutomationAnywhere\\BotRunner\\Logs\\*.log*`];
  }
  if (platform === 'darwin') return ['/Library/Caches/AAI/NM/*.log*'];
  return [];
}

/**
 * Applies --aa-config to the probe flags: its server, port and SSL mode stand in for
 * --host, --port and --mode unless `fromCli` says the user gave those.
 */
export function applyAaConfig(flags: DiagnoseFlags, cfg: AaConfig, fromCli: (flag: 'host' | 'port' | 'mode' | 'user') => boolean): void {
  if (cfg.server && !fromCli('host')) flags.host = cfg.server;
  if (cfg.port && !fromCli('port')) {
    const mode = cfg.mode && cfg.mode !== 'auto' ? cfg.mode : fromCli('mode') ? flags.mode : 'auto';
    flags.port = [mode === 'auto' ? String(cfg.port) : `${cfg.port}:${mode}`];
  } else if (cfg.mode && cfg.mode !== 'auto' && !fromCli('mode')) flags.mode = cfg.mode;
  if (cfg.user && flags.authTest && !fromCli('user')) flags.user = cfg.user;
}

export function buildDiagnoseSettings(flags: DiagnoseFlags, fromCli: (flag: 'host' | 'port' | 'mode' | 'user') => boolean, platform = process.platform): DiagnoseSettings {
  const config = flags.aaConfig ? readAaConfig(flags.aaConfig) : null;
  if (config) applyAaConfig(flags, config, fromCli);
  const skip = flags.skip ?? [];
  for (const s of skip) if (!(COLLECTORS as readonly string[]).includes(s)) throw new UsageError(`invalid --skip "${s}": collectors are ${COLLECTORS.join(', ')}`);
  const given = (flags.aaLogs ?? []).length > 0;
  return {
    since: parseSince(flags.since),
    sinceText: flags.since,
    ntp: flags.ntp === false ? null : parseNtp(flags.ntp),
    aa: {
      activity: flags.aaActivity ?? config?.activity ?? null,
      runId: flags.aaRunId ?? config?.runId ?? null,
      host: flags.aaHost ?? config?.controlRoom ?? null,
      config,
      logGlobs: given ? flags.aaLogs! : defaultAaLogGlobs(platform),
      logGlobsGiven: given,
      capBytes: parseSize(flags.aaLogsMax, '--aa-logs-max'),
    },
    collectTimeoutMs: parseDuration(flags.collectTimeout, '--collect-timeout'),
    maxFileBytes: parseSize(flags.maxFile, '--max-file'),
    skip,
  };
}

// What the operating system's TLS stack says: on Windows the Schannel events of the System
// log in the time window and the SCHANNEL protocol switches in the registry; on Linux and
// macOS the OpenSSL version and policy in use, and TLS-related journal lines.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OsTlsDataSchema, type TlsEvent } from '../../schema/diagnose.js';
import { diagnoseScript, type DiagnoseScript } from '../scripts.js';
import { z } from 'zod';
import type { Collector, CollectorContext, Recorder } from '../collector.js';
import { parseGetWinEventJson, parseWevtutilText, schannelQuery, SCHANNEL_IDS } from '../windows/events.js';
import { parseRegQuery } from '../windows/reg.js';
import { readText } from './dns.js';

type Data = z.infer<typeof OsTlsDataSchema>;

const MAX_EVENTS = 200;
const TLS_LINE = /\b(tls|ssl|x509|certificate|handshake|schannel|openssl|starttls|smtp)\b/i;
const POLICY = /^\s*(MinProtocol|MaxProtocol|CipherString|Ciphersuites|Options|SECLEVEL)\b.*$/gim;
export const SCHANNEL_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols';

export function schannelProtocols(text: string): Data['schannel_protocols'] {
  return parseRegQuery(text)
    .filter((v) => /^(Enabled|DisabledByDefault)$/i.test(v.name))
    .map((v) => ({ key: v.key.replace(/^.*\\Protocols\\?/i, ''), name: v.name, value: v.data }));
}

/** journalctl -o short-iso lines: "2026-03-12T09:14:55+0000 host unit[pid]: message". */
export function journalEvents(text: string): TlsEvent[] {
  return text
    .split('\n')
    .filter((l) => TLS_LINE.test(l) && !/^-- /.test(l))
    .map((l) => {
      const m = /^(\S+)\s+\S+\s+([^:[]+)(?:\[\d+\])?:\s?(.*)$/.exec(l);
      return m ? { time: m[1]!, id: null, level: null, source: m[2]!, message: m[3]! } : { time: null, id: null, level: null, source: null, message: l };
    });
}

/** A script of ./scripts/ written to a file and run with -File, so its values are arguments, not script text. */
async function runScript(ctx: CollectorContext, rec: Recorder, name: DiagnoseScript, args: string[], raw: string) {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-ps-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, diagnoseScript(name));
    return await rec.run(ctx, 'powershell.exe', ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', file, ...args], raw);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const DotnetTlsOutput = z.object({ platform: z.enum(['windows', 'not-windows']), message: z.string(), values: z.array(z.object({ key: z.string(), name: z.string(), value: z.string().nullable() })) });

/** dotnet-tls.ps1's JSON, or null when it is not that (a broken or foreign output is no finding). */
export function parseDotnetTls(stdout: string): z.infer<typeof DotnetTlsOutput> | null {
  try {
    const r = DotnetTlsOutput.safeParse(JSON.parse(stdout));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/**
 * Without SchUseStrongCrypto or SystemDefaultTlsVersions set to 1 for .NET Framework 4
 * (v4.0.30319), an app built for 4.5.2 or older offers SSL 3.0 / TLS 1.0 only, so a TLS
 * 1.2-only server refuses its SmtpClient (Microsoft: "TLS best practices with .NET Framework").
 */
export function dotnetNote(values: ReadonlyArray<{ key: string; name: string; value: string | null }>): string | null {
  const off = (wow: boolean) => {
    const at = values.filter((v) => /\\v4\.0\.30319$/i.test(v.key) && /WOW6432Node/i.test(v.key) === wow);
    return at.length > 0 && !at.some((v) => v.value === '1');
  };
  const where = [off(false) ? '64-bit' : '', off(true) ? '32-bit (WOW6432Node)' : ''].filter(Boolean);
  if (!where.length) return null;
  return `.NET Framework 4 (v4.0.30319, ${where.join(' and ')}): neither SchUseStrongCrypto nor SystemDefaultTlsVersions is 1, so a .NET bot built for .NET Framework 4.5.2 or older offers only SSL 3.0 / TLS 1.0 and a TLS 1.2-only server refuses it; set both to 1 (DWORD) under HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319 (and WOW6432Node for 32-bit bots).`;
}

async function windows(ctx: CollectorContext, rec: Recorder, data: Data): Promise<void> {
  const windowMs = ctx.now.getTime() - ctx.diag.since.getTime();
  const w = await rec.run(ctx, 'wevtutil', ['qe', 'System', `/q:${schannelQuery(windowMs)}`, '/f:text', '/rd:true', `/c:${MAX_EVENTS}`], 'raw/schannel_events.txt');
  if (w.ok) data.events = parseWevtutilText(w.stdout);
  else {
    const p = await runScript(ctx, rec, 'schannel-events.ps1', ['-Since', ctx.diag.since.toISOString(), '-MaxEvents', String(MAX_EVENTS)], 'raw/schannel_events.json');
    if (p?.ok) data.events = parseGetWinEventJson(p.stdout);
  }
  const d = await runScript(ctx, rec, 'dotnet-tls.ps1', [], 'raw/dotnet_tls.json');
  const dotnet = d?.ok ? parseDotnetTls(d.stdout) : null;
  if (dotnet?.platform === 'windows') {
    data.dotnet_tls = dotnet.values;
    const note = dotnetNote(dotnet.values);
    if (note) rec.note(note);
  }
  const r = await rec.run(ctx, 'reg', ['query', SCHANNEL_KEY, '/s'], 'raw/reg_schannel_protocols.txt');
  if (r.ok) data.schannel_protocols = schannelProtocols(r.stdout);
  const off = data.schannel_protocols.filter((p) => /^TLS 1\.[23]\\Client$/i.test(p.key) && ((p.name === 'Enabled' && Number(p.value) === 0) || (p.name === 'DisabledByDefault' && Number(p.value) === 1)));
  if (off.length) rec.note(`Schannel has ${[...new Set(off.map((p) => p.key))].join(', ')} switched off in the registry: .NET and Windows clients cannot use it.`);
}

async function unixLike(ctx: CollectorContext, rec: Recorder, data: Data): Promise<void> {
  const v = await rec.run(ctx, 'openssl', ['version', '-a'], 'raw/openssl_version.txt');
  if (v.ok) {
    data.openssl_cli = v.stdout.split('\n')[0]!.trim();
    data.openssl_dir = /^OPENSSLDIR:\s*"?([^"\n]*)"?/m.exec(v.stdout)?.[1] ?? null;
  }
  const conf = ctx.env.OPENSSL_CONF || (data.openssl_dir ? `${data.openssl_dir}/openssl.cnf` : null);
  if (conf) {
    data.openssl_conf = conf;
    const text = readText(rec, conf, 'raw/openssl.cnf.txt');
    if (text) data.openssl_policy = [...text.matchAll(POLICY)].map((m) => m[0].trim());
  }
  if (ctx.platform === 'linux') {
    const since = Math.floor(ctx.diag.since.getTime() / 1000);
    const j = await rec.run(ctx, 'journalctl', ['--no-pager', '--quiet', '-o', 'short-iso', '--since', `@${since}`, '-n', '10000'], null);
    if (j.ok) {
      data.events = journalEvents(j.stdout);
      rec.keep('raw/journal_tls.txt', data.events.map((e) => (e.time ? `${e.time} ${e.source}: ${e.message}` : e.message)).join('\n') + '\n');
      if (!j.stdout.trim()) rec.note('The journal has no entries in the time window (no journal files, or journald is not running).');
    }
  }
}

export const osTlsCollector: Collector<Data> = {
  name: 'os-tls',
  file: 'os_tls.json',
  data: OsTlsDataSchema,
  async run(ctx, rec) {
    const data: Data = { node_openssl: process.versions.openssl ?? 'unknown', openssl_cli: null, openssl_dir: null, openssl_conf: null, openssl_policy: [], schannel_protocols: [], events: [], events_total: 0 };
    if (ctx.platform === 'win32') await windows(ctx, rec, data);
    else await unixLike(ctx, rec, data);
    data.events_total = data.events.length;
    data.events = data.events.slice(-MAX_EVENTS);
    const known = data.events.filter((e) => e.id !== null && SCHANNEL_IDS[e.id]);
    if (known.length) rec.note(`Schannel logged ${known.length} TLS error event(s) in the window: ${[...new Set(known.map((e) => `${e.id} (${SCHANNEL_IDS[e.id!]})`))].join('; ')}.`);
    return data;
  },
};

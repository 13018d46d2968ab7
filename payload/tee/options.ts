// Flags of `smtp-probe tee`, checked before anything listens: addresses, TLS modes, limits.
import { parseSize } from '../diagnose/options.js';
import { parseHost, readCaFile } from '../probe/options.js';
import { parseDuration } from '../util/duration.js';
import { UsageError } from '../util/errors.js';
import type { BotTlsMode, UpstreamTls } from './session.js';
import { ipFamily } from '../util/ip-family.js';

export interface TeeFlags {
  listen: string;
  upstream: string;
  botTls?: string;
  upstreamTls?: string;
  sni?: string;
  ca?: string[];
  maxSessions: string;
  maxMessageBytes: string;
  idleTimeout: string;
  duration?: string;
  allowRemote?: boolean;
  out: string;
  json?: boolean;
  quiet?: boolean;
}

export interface TeeSettings {
  listen: { host: string; port: number };
  upstream: { host: string; port: number; tls: UpstreamTls };
  botTls: BotTlsMode;
  sni: string | null;
  verifyName: string;
  caFiles: string[];
  ca: string[];
  maxSessions: number;
  maxMessageBytes: number;
  idleMs: number;
  durationMs: number | null;
  allowRemote: boolean;
  out: string;
}

export function hostAndPort(text: string, flag: string, allowZero = false): { host: string; port: number } {
  const t = text.trim();
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(t) ?? /^([^:]+):(\d{1,5})$/.exec(t);
  if (!m) throw new UsageError(`invalid ${flag} "${text}": expected host:port, e.g. 127.0.0.1:2525 or [::1]:2525`);
  const port = Number(m[2]);
  if (port > 65535 || (port === 0 && !allowZero)) throw new UsageError(`invalid ${flag} "${text}": port must be 1 to 65535`);
  return { host: parseHost(m[1]!, flag), port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (ipFamily(host) === 4) return host.startsWith('127.');
  return host === '::1' || /^::ffff:127\./i.test(host);
}

function choice<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`invalid ${flag} "${value}": use ${allowed.join(', ')}`);
  return value as T;
}

function count(text: string, flag: string, max: number): number {
  if (!/^\d{1,6}$/.test(text.trim()) || Number(text) < 1 || Number(text) > max) throw new UsageError(`invalid ${flag} "${text}": expected a whole number from 1 to ${max}`);
  return Number(text);
}

export function buildTeeSettings(f: TeeFlags): TeeSettings {
  const listen = hostAndPort(f.listen, '--listen', true);
  if (!isLoopback(listen.host) && !f.allowRemote) {
    throw new UsageError(`--listen ${f.listen} is not a loopback address: the tee relays credentials, so add --allow-remote to accept other machines (testing only)`);
  }
  const up = hostAndPort(f.upstream, '--upstream');
  // The same default as the probe's: 465 is implicit TLS, every other port STARTTLS.
  const upTls = choice(f.upstreamTls, ['starttls', 'implicit', 'none'] as const, '--upstream-tls') ?? (up.port === 465 ? 'implicit' : 'starttls');
  // By default the bot keeps the TLS mode it uses toward the real server; only the host changes.
  const botTls = choice(f.botTls, ['none', 'starttls', 'implicit'] as const, '--bot-tls') ?? (upTls === 'none' ? 'none' : upTls);
  const sni = f.sni ? parseHost(f.sni, '--sni') : ipFamily(up.host) ? null : up.host;
  return {
    listen,
    upstream: { ...up, tls: upTls },
    botTls,
    sni,
    verifyName: sni ?? up.host,
    caFiles: f.ca ?? [],
    ca: (f.ca ?? []).map(readCaFile),
    maxSessions: count(f.maxSessions, '--max-sessions', 1000),
    maxMessageBytes: parseSize(f.maxMessageBytes, '--max-message-bytes'),
    idleMs: parseDuration(f.idleTimeout, '--idle-timeout'),
    durationMs: f.duration ? parseDuration(f.duration, '--duration', 7 * 86_400_000) : null,
    allowRemote: !!f.allowRemote,
    out: f.out,
  };
}

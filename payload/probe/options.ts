// Turns CLI flags into validated probe settings. Every rejection is a UsageError with one
// line that names the flag, so a bot's log shows what to fix.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { hostname } from 'node:os';
import { parseDuration } from '../util/duration.js';
import { UsageError, errorCode } from '../util/errors.js';
import type { Mode } from '../schema/summary.js';
import type { AuthMechanism } from './auth.js';
import { readSecret } from './secrets.js';
import { DEFAULT_HOSTS_FILE } from './hosts-file.js';
import type { Discovered } from './proxy-discovery.js';
import { proxySettings, type ProxyFlags, type ProxySettings } from './proxy-options.js';
import { resolvePreset } from './presets.js';
import type { ProviderPreset } from '../schema/summary.js';
import { ipFamily } from '../util/ip-family.js';

export type Family = '4' | '6' | 'any';
export interface PortSpec {
  port: number;
  mode: Mode;
}
export interface DnsServer {
  address: string;
  port: number;
}
export interface Timeouts {
  dns: number;
  connect: number;
  tls: number;
  smtp: number;
}
export interface AuthSettings {
  user: string;
  secret: string;
  secretFrom: string;
  isToken: boolean;
  mechanism: 'auto' | AuthMechanism;
  max: number;
}

export interface SendSettings {
  from: string;
  to: string;
  attachment: { name: string; data: Buffer } | null;
}

export interface ProbeSettings {
  host: string;
  ports: PortSpec[];
  family: Family;
  attempts: number;
  concurrency: number;
  timeouts: Timeouts;
  sni: string | null;
  ehloName: string;
  resolver: DnsServer | null;
  hostsFile: string;
  compareDns: DnsServer[];
  caFiles: string[];
  ca: string[];
  auth: AuthSettings | null;
  send: SendSettings | null;
  /** --proxy: null for a direct-only run. */
  proxy: ProxySettings | null;
  /** What this machine is configured for, recorded whatever --proxy says. */
  proxyDiscovery: Discovered | null;
  /** --tls-matrix: versions and suites per port after the sweep. */
  tlsMatrix: boolean;
  /** --pcap: capture the probe's own traffic. */
  pcap: boolean;
  /** --provider: the preset host and ports came from (unless given too). */
  preset: ProviderPreset | null;
  /** MAIL FROM + RSET before STARTTLS, to check that TLS is required (--no-starttls-check). */
  starttlsCheck: boolean;
  /** --greylist-wait in seconds: the longest greylisting delay a retry waits for. */
  greylistWaitS: number;
  /** --tarpit-threshold in ms; null: the data file's. */
  tarpitMs: number | null;
  /** --sender-domain (with --dkim-selector, --egress-ip): the domain audit run alongside the probe. */
  sender?: SenderSettings | null;
}

export interface SenderSettings {
  domain: string;
  dkimSelector: string | null;
  egressIp: string | null;
}

export const DEFAULT_TIMEOUTS: Timeouts = { dns: 5000, connect: 5000, tls: 5000, smtp: 10_000 };
export const DEFAULT_HOST = 'smtp.gmail.com';
export const DEFAULT_PORTS = ['587', '465'];

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

export function parseHost(text: string, flag = '--host'): string {
  const t = text.trim().replace(/^\[(.*)\]$/, '$1');
  if (ipFamily(t) || HOSTNAME.test(t)) return t;
  throw new UsageError(`invalid ${flag} "${text}": expected a host name like smtp.gmail.com or an IP address`);
}

/** The mode a bot would use on a port when none is named: 465 is implicit TLS (RFC 8314), the rest STARTTLS. */
export function autoMode(port: number): Mode {
  return port === 465 ? 'implicit' : 'starttls';
}

function parsePortNumber(text: string, flag: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new UsageError(`invalid ${flag} "${text}": expected a number from 1 to 65535`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw new UsageError(`invalid ${flag} "${text}": port out of range (1-65535)`);
  return n;
}

const MODES = ['auto', 'starttls', 'implicit', 'plain'] as const;
function parseMode(text: string, flag: string): Mode | 'auto' {
  if ((MODES as readonly string[]).includes(text)) return text as Mode | 'auto';
  throw new UsageError(`invalid ${flag} "${text}": expected one of ${MODES.join(', ')}`);
}

/** `587`, or `2525:starttls` to give one port its own mode. */
export function parsePorts(list: readonly string[], mode: Mode | 'auto'): PortSpec[] {
  const out: PortSpec[] = [];
  for (const item of list) {
    const [p, m] = item.split(':', 2);
    const port = parsePortNumber(p ?? '', '--port');
    const own = m === undefined ? mode : parseMode(m, '--port mode');
    const spec = { port, mode: own === 'auto' ? autoMode(port) : own };
    if (!out.some((o) => o.port === spec.port)) out.push(spec);
  }
  return out;
}

/** `1.1.1.1`, `1.1.1.1:53`, `::1`, `[::1]:5353`. c-ares takes addresses, not names. */
export function parseDnsServer(text: string, flag: string): DnsServer {
  const t = text.trim();
  let address = t;
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    address = bracket[1]!;
    if (bracket[2]) port = parsePortNumber(bracket[2], flag);
  } else if (ipFamily(t) !== 6 && t.includes(':')) {
    const i = t.lastIndexOf(':');
    address = t.slice(0, i);
    port = parsePortNumber(t.slice(i + 1), flag);
  }
  if (!ipFamily(address)) throw new UsageError(`invalid ${flag} "${text}": expected a resolver IP address, optionally with :PORT`);
  return { address, port };
}

export function formatDnsServer(s: DnsServer): string {
  const a = ipFamily(s.address) === 6 ? `[${s.address}]` : s.address;
  return s.port === 53 ? s.address : `${a}:${s.port}`;
}

const STAGES = ['dns', 'connect', 'tls', 'smtp'] as const;
/** `5s` sets every stage; `connect=3s` sets one. Later flags win. */
export function parseTimeouts(list: readonly string[]): Timeouts {
  const t = { ...DEFAULT_TIMEOUTS };
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      const ms = parseDuration(item, '--timeout');
      for (const s of STAGES) t[s] = ms;
      continue;
    }
    const stage = item.slice(0, eq);
    if (!(STAGES as readonly string[]).includes(stage)) {
      throw new UsageError(`invalid --timeout "${item}": stage must be one of ${STAGES.join(', ')}`);
    }
    t[stage as (typeof STAGES)[number]] = parseDuration(item.slice(eq + 1), `--timeout ${stage}`);
  }
  return t;
}

function parseCount(text: string, flag: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(`invalid ${flag} "${text}": expected a whole number from 1 to ${max}`);
  }
  return Number(text);
}

export function readCaFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --ca "${file}": ${errorCode(err) ?? 'read error'}`);
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(text)) throw new UsageError(`--ca "${file}" holds no PEM certificate`);
  return text;
}

/** A valid EHLO argument: this machine's name when it is a proper domain, as most mail clients send. */
export function defaultEhloName(): string {
  const h = hostname();
  return HOSTNAME.test(h) && h.includes('.') ? h : `${HOSTNAME.test(h) ? h : 'smtp-probe'}.localdomain`;
}

export interface RawProbeFlags extends ProxyFlags {
  host: string;
  port?: string[];
  mode: string;
  attempts: string;
  concurrency: string;
  timeout?: string[];
  dns?: string[];
  resolver?: string;
  hostsFile?: string;
  family: string;
  sni?: string;
  ehloName?: string;
  ca?: string[];
  authTest?: boolean;
  user?: string;
  passwordEnv?: string;
  passwordFile?: string;
  passwordStdin?: boolean;
  xoauth2?: boolean;
  authMech?: string;
  authMax?: string;
  sendTest?: boolean;
  to?: string;
  from?: string;
  attach?: string;
  tlsMatrix?: boolean;
  pcap?: boolean;
  provider?: string;
  region?: string;
  starttlsCheck?: boolean;
  greylistWait?: string;
  tarpitThreshold?: string;
  senderDomain?: string;
  dkimSelector?: string;
  egressIp?: string;
}

const MAILBOX = /^[^\s<>@]+@[^\s<>@]+$/;
const MAX_ATTACHMENT = 25 * 1024 * 1024;

function mailbox(v: string | undefined, flag: string): string {
  if (!v || !MAILBOX.test(v)) throw new UsageError(`invalid ${flag} "${v ?? ''}": expected a mail address like bot@example.com`);
  return v;
}

async function authSettings(f: RawProbeFlags): Promise<AuthSettings | null> {
  if (!f.authTest) {
    if (f.user || f.passwordEnv || f.passwordFile || f.passwordStdin || f.xoauth2) throw new UsageError('--user, --password-env, --password-file, --password-stdin and --xoauth2 only apply with --auth-test');
    return null;
  }
  const user = mailbox(f.user, '--user');
  const mech = (f.authMech ?? 'auto').toUpperCase();
  if (!['AUTO', 'PLAIN', 'LOGIN', 'XOAUTH2'].includes(mech)) throw new UsageError(`invalid --auth-mech "${f.authMech}": expected auto, plain, login or xoauth2`);
  if (mech === 'XOAUTH2' && !f.xoauth2) throw new UsageError('--auth-mech xoauth2 needs --xoauth2 (the access token is read from standard input, or from --password-env / --password-file)');
  const secret = await readSecret({ passwordEnv: f.passwordEnv, passwordFile: f.passwordFile, passwordStdin: f.passwordStdin, xoauth2: f.xoauth2 });
  return {
    user,
    secret: secret.value,
    secretFrom: secret.from,
    isToken: !!f.xoauth2,
    mechanism: mech === 'AUTO' ? 'auto' : (mech as AuthMechanism),
    max: parseCount(f.authMax ?? '1', '--auth-max', 100),
  };
}

function sendSettings(f: RawProbeFlags, user: string | undefined): SendSettings | null {
  if (!f.sendTest) {
    if (f.to || f.attach) throw new UsageError('--to and --attach only apply with --send-test');
    return null;
  }
  const to = mailbox(f.to, '--to');
  const from = f.from ? mailbox(f.from, '--from') : user ? mailbox(user, '--user') : undefined;
  if (!from) throw new UsageError('--send-test needs --from (or --auth-test --user) for MAIL FROM');
  let attachment: SendSettings['attachment'] = null;
  if (f.attach) {
    try {
      const data = readFileSync(f.attach);
      if (data.length > MAX_ATTACHMENT) throw new UsageError(`--attach "${f.attach}" is larger than 25 MB, the size Gmail accepts`);
      attachment = { name: basename(f.attach), data };
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`cannot read --attach "${f.attach}": ${errorCode(err) ?? 'read error'}`);
    }
  }
  return { from, to, attachment };
}

export async function buildSettings(f: RawProbeFlags): Promise<ProbeSettings> {
  const settings = baseSettings(f);
  settings.send = sendSettings(f, f.authTest ? f.user : undefined);
  const proxy = await proxySettings(f, settings.host, settings.ports[0]!.port);
  settings.proxy = proxy.settings;
  settings.proxyDiscovery = proxy.discovered;
  // The secret is read last, once everything else is known to be valid.
  settings.auth = await authSettings(f);
  return settings;
}

function baseSettings(f: RawProbeFlags): ProbeSettings {
  const host = parseHost(f.host);
  const mode = parseMode(f.mode, '--mode');
  if (!['4', '6', 'any'].includes(f.family)) throw new UsageError(`invalid --family "${f.family}": expected 4, 6 or any`);
  const sni = f.sni !== undefined ? parseHost(f.sni, '--sni') : ipFamily(host) ? null : host.replace(/\.$/, '');
  const ehloName = f.ehloName !== undefined ? parseHost(f.ehloName, '--ehlo-name') : defaultEhloName();
  return {
    host,
    ports: parsePorts(f.port?.length ? f.port : DEFAULT_PORTS, mode),
    family: f.family as Family,
    attempts: parseCount(f.attempts, '--attempts', 1000),
    concurrency: parseCount(f.concurrency, '--concurrency', 256),
    timeouts: parseTimeouts(f.timeout ?? []),
    sni,
    ehloName,
    resolver: f.resolver !== undefined ? parseDnsServer(f.resolver, '--resolver') : null,
    hostsFile: f.hostsFile ?? DEFAULT_HOSTS_FILE,
    compareDns: (f.dns ?? []).map((d) => parseDnsServer(d, '--dns')),
    caFiles: f.ca ?? [],
    ca: (f.ca ?? []).map(readCaFile),
    auth: null,
    send: null,
    proxy: null,
    proxyDiscovery: null,
    tlsMatrix: f.tlsMatrix === true,
    pcap: f.pcap === true,
    preset: f.provider !== undefined ? resolvePreset(f.provider, f.region).record : null,
    starttlsCheck: f.starttlsCheck !== false,
    greylistWaitS: Math.ceil(parseDuration(f.greylistWait ?? '6m', '--greylist-wait') / 1000),
    tarpitMs: f.tarpitThreshold !== undefined ? parseDuration(f.tarpitThreshold, '--tarpit-threshold') : null,
    sender: senderSettings(f),
  };
}

function senderSettings(f: RawProbeFlags): SenderSettings | null {
  if (f.senderDomain === undefined) {
    if (f.dkimSelector !== undefined || f.egressIp !== undefined) throw new UsageError('--dkim-selector and --egress-ip only apply with --sender-domain');
    return null;
  }
  return { domain: parseSenderDomain(f.senderDomain, '--sender-domain'), dkimSelector: f.dkimSelector !== undefined ? parseHost(f.dkimSelector, '--dkim-selector') : null, egressIp: f.egressIp !== undefined ? parseEgressIp(f.egressIp) : null };
}

/** A domain name (not an IP) or a one-line usage error naming `flag`. */
export function parseSenderDomain(text: string, flag: string): string {
  const d = parseHost(text, flag);
  if (ipFamily(d)) throw new UsageError(`invalid ${flag} "${text}": expected a domain name like example.com`);
  return d.toLowerCase().replace(/\.$/, '');
}

export function parseEgressIp(text: string): string {
  const t = text.trim().replace(/^\[(.*)\]$/, '$1');
  if (!ipFamily(t)) throw new UsageError(`invalid --egress-ip "${text}": expected an IP address`);
  return t;
}

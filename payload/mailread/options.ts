// `smtp-probe imap|pop3` options -> settings. Bad input is one UsageError line (exit 2).
import { readCaFile } from '../probe/options.js';
import { parseDuration } from '../util/duration.js';
import { UsageError } from '../util/errors.js';
import type { MailMode } from './session.js';
import { ipFamily } from '../util/ip-family.js';

export type MailProtocol = 'imap' | 'pop3';

export interface MailFlags {
  host?: string;
  port?: string[];
  mode: string;
  sni?: string;
  ca?: string[];
  timeout?: string;
  out: string;
  zipTo?: string;
  json?: boolean;
  quiet?: boolean;
  login?: boolean;
  user?: string;
  passwordEnv?: string;
  passwordFile?: string;
  passwordStdin?: boolean;
  xoauth2?: boolean;
  mech: string;
}

/** The provider-neutral defaults are Gmail's, as the SMTP probe's are. */
export const MAIL_DEFAULTS: Record<MailProtocol, { host: string; implicit: number; starttls: number }> = {
  imap: { host: 'imap.gmail.com', implicit: 993, starttls: 143 },
  pop3: { host: 'pop.gmail.com', implicit: 995, starttls: 110 },
};

const MODES = ['starttls', 'implicit', 'plain'] as const;
export const MECHS = ['auto', 'login', 'plain', 'xoauth2'] as const;

export interface MailSettings {
  protocol: MailProtocol;
  host: string;
  ports: Array<{ port: number; mode: MailMode }>;
  sni: string | null;
  verifyName: string;
  ca: string[];
  timeouts: { connect: number; tls: number; command: number };
  login: boolean;
  user: string | null;
  mech: (typeof MECHS)[number];
}

export function mailSettings(protocol: MailProtocol, f: MailFlags): MailSettings {
  const d = MAIL_DEFAULTS[protocol];
  const host = f.host ?? d.host;
  const auto = (port: number): MailMode => (port === d.implicit ? 'implicit' : 'starttls');
  if (f.mode !== 'auto' && !(MODES as readonly string[]).includes(f.mode)) throw new UsageError(`--mode must be auto, starttls, implicit or plain, not "${f.mode}"`);
  const ports = (f.port ?? [`${d.implicit}`, `${d.starttls}`]).map((spec) => {
    const m = /^(\d{1,5})(?::(starttls|implicit|plain))?$/.exec(spec);
    const port = m ? Number(m[1]) : NaN;
    if (!m || port < 1 || port > 65535) throw new UsageError(`--port "${spec}": expected a port 1-65535, optionally with :starttls, :implicit or :plain`);
    return { port, mode: (m[2] as MailMode | undefined) ?? (f.mode === 'auto' ? auto(port) : (f.mode as MailMode)) };
  });
  if (ports.length > 8) throw new UsageError('--port: 8 ports at most');
  const mech = f.mech.toLowerCase();
  if (!(MECHS as readonly string[]).includes(mech)) throw new UsageError(`--mech must be auto, login, plain or xoauth2, not "${f.mech}"`);
  if (f.login && !f.user) throw new UsageError('--login needs --user <account>');
  const t = f.timeout ? parseDuration(f.timeout, '--timeout', 120_000) : null;
  const sni = f.sni ?? (ipFamily(host) ? null : host);
  return {
    protocol,
    host,
    ports,
    sni,
    verifyName: f.sni ?? host,
    ca: (f.ca ?? []).map(readCaFile),
    timeouts: { connect: t ?? 5000, tls: t ?? 5000, command: t ?? 10_000 },
    login: f.login === true,
    user: f.user ?? null,
    mech: f.xoauth2 ? 'xoauth2' : (mech as MailSettings['mech']),
  };
}

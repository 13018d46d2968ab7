// A bot's saved SMTP configuration (--aa-config): the server, port, SSL mode and account the
// bot's Email action uses, exported by the bot as JSON or key=value lines. Keys are matched
// loosely (server/host/smtp_server, ssl/ssl_mode/security...) because each team writes its
// own export. The password, if the file holds one, is never used: only scrubbed from output.
import { readFileSync } from 'node:fs';
import type { Mode } from '../schema/summary.js';
import { UsageError, errorCode } from '../util/errors.js';

export interface AaConfig {
  path: string;
  raw: string;
  server: string | null;
  port: number | null;
  sslMode: string | null;
  mode: Mode | 'auto' | null;
  user: string | null;
  activity: string | null;
  runId: string | null;
  controlRoom: string | null;
  /** Every value under a secret-looking key, for the redactor. */
  secrets: string[];
}

const KEYS: Record<string, keyof Pick<AaConfig, 'server' | 'port' | 'sslMode' | 'user' | 'activity' | 'runId' | 'controlRoom'>> = {
  server: 'server', host: 'server', smtpserver: 'server', smtphost: 'server', mailserver: 'server',
  port: 'port', smtpport: 'port',
  ssl: 'sslMode', sslmode: 'sslMode', security: 'sslMode', secure: 'sslMode', usessl: 'sslMode', tls: 'sslMode', encryption: 'sslMode', usesecureconnection: 'sslMode',
  user: 'user', username: 'user', login: 'user', account: 'user', smtpuser: 'user',
  activity: 'activity', activityname: 'activity', taskname: 'activity', botname: 'activity',
  runid: 'runId', botrunid: 'runId', deploymentid: 'runId',
  controlroom: 'controlRoom', aahost: 'controlRoom', controlroomurl: 'controlRoom',
};
const SECRET_KEY = /(pass(word|wd)?|pwd|secret|token|apikey)$/i;

/** AA's "Use secure connection" flag and the words teams write for it, as a probe mode. */
export function modeOfSsl(value: string | null): Mode | 'auto' | null {
  if (value === null) return null;
  const v = value.trim().toLowerCase();
  if (['ssl', 'implicit', 'smtps', 'ssl/tls', 'tls-implicit'].includes(v)) return 'implicit';
  if (['starttls', 'tls', 'explicit', 'start_tls'].includes(v)) return 'starttls';
  if (['none', 'plain', 'no', 'false', 'off', '0'].includes(v)) return 'plain';
  if (['true', 'yes', 'on', '1', 'auto'].includes(v)) return 'auto';
  return null;
}

function flatten(obj: unknown, prefix = '', out: Array<[string, string]> = []): Array<[string, string]> {
  if (obj && typeof obj === 'object') {
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) flatten(v, k, out);
  } else if (obj !== null && obj !== undefined) out.push([prefix, String(obj)]);
  return out;
}

export function parseAaConfig(path: string, text: string): AaConfig {
  let pairs: Array<[string, string]>;
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.startsWith('{')) {
    try {
      pairs = flatten(JSON.parse(trimmed));
    } catch (err) {
      throw new UsageError(`--aa-config "${path}" is not valid JSON: ${(err as Error).message.split('\n')[0]}`);
    }
  } else {
    pairs = trimmed
      .split(/\r?\n/)
      .map((l) => l.replace(/^\s*[#;].*$/, '').trim())
      .filter((l) => l && !/^\[.*\]$/.test(l))
      .map((l) => {
        const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(l);
        if (!m) throw new UsageError(`--aa-config "${path}": cannot read the line "${l.slice(0, 60)}" (expected key=value or JSON)`);
        return [m[1]!, m[2]!.replace(/^["']|["']$/g, '')] as [string, string];
      });
  }
  const cfg: AaConfig = { path, raw: text, server: null, port: null, sslMode: null, mode: null, user: null, activity: null, runId: null, controlRoom: null, secrets: [] };
  for (const [k, v] of pairs) {
    const key = k.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (SECRET_KEY.test(key)) {
      if (v) cfg.secrets.push(v);
      continue;
    }
    const field = KEYS[key];
    if (!field || cfg[field] !== null) continue;
    if (field === 'port') {
      if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new UsageError(`--aa-config "${path}": invalid port "${v}"`);
      cfg.port = Number(v);
    } else cfg[field] = v;
  }
  cfg.mode = modeOfSsl(cfg.sslMode);
  if (cfg.sslMode !== null && cfg.mode === null) throw new UsageError(`--aa-config "${path}": unknown SSL mode "${cfg.sslMode}" (expected ssl, starttls, none or true/false)`);
  if (!cfg.server && !cfg.port) throw new UsageError(`--aa-config "${path}" names no SMTP server or port (keys: server/host, port, ssl)`);
  return cfg;
}

export function readAaConfig(path: string): AaConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --aa-config "${path}": ${errorCode(err) ?? 'read error'}`);
  }
  return parseAaConfig(path, text);
}

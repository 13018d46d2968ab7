// Redaction for every file diagnose writes: the probe's own files, collector JSON, raw
// command output and copied AA logs all pass through `Redactor.text` before they reach the
// run folder or the ZIP. Patterns catch what is recognisable (key=value secrets,
// Authorization headers, AUTH payloads, tokens, credentials in URLs); the secrets this run
// knows (the AUTH password, passwords in the bot's config, secret-named variables) are
// scrubbed literally and in base64 at any alignment.
export const REDACTED = '[redacted]';

export const REDACTION_SUMMARY =
  'passwords, tokens and keys in key=value, key: value and JSON forms; Authorization and Proxy-Authorization headers; arguments and base64 replies after AUTH; OAuth tokens and JWTs; user:password in URLs; and every secret known to the run, raw and base64-encoded';

// A key that names a secret: it ends in one of these words (so `secret_from` or `password_env` stay).
const SECRET_KEY = String.raw`[A-Za-z0-9_.-]{0,40}(?:password|passwd|passphrase|pwd|secret|token|apikey|api_key|api-key|credentials?|private_key)`;
// The same, as a whole key name (for JSON files redacted value by value).
const SECRET_KEY_NAME = new RegExp(String.raw`^${SECRET_KEY}$`, 'i');
const JSON_PAIR = new RegExp(String.raw`("${SECRET_KEY}"\s*:\s*)"(?:[^"\\]|\\.)*"`, 'gi');
const XML_ATTR = new RegExp(String.raw`(\b${SECRET_KEY}\s*=\s*)(["'])[^"']*\2`, 'gi');
const PLAIN_PAIR = new RegExp(String.raw`(\b${SECRET_KEY}\b[ \t]*[:=][ \t]*)(?!\[redacted\]|\[withheld\]|\*\*\*|null\b|true\b|false\b|"|')([^\s,;&"'<>]+)`, 'gi');
const AUTH_HEADER = /\b((?:proxy-)?authorization[ \t]*[:=][ \t]*(?:(?:basic|bearer|negotiate|ntlm|digest)[ \t]+)?)[^\r\n"']+/gi;
const BEARER = /\b(bearer[ \t]+)[A-Za-z0-9\-._~+/]{8,}=*/gi;
// An AUTH command's initial response is base64 (or "="); an EHLO capability line such as
// `250-AUTH PLAIN LOGIN XOAUTH2` lists mechanism names instead, which are no secret, and a
// JSON string around either keeps its closing quote.
const MECHS = 'PLAIN|LOGIN|XOAUTH2|OAUTHBEARER|CRAM-MD5|DIGEST-MD5|NTLM|GSSAPI|SCRAM-SHA-1|SCRAM-SHA-256|ANONYMOUS|EXTERNAL';
const AUTH_CMD = new RegExp(String.raw`\b(AUTH[ \t]+(?:${MECHS})[ \t]+)(?!\[withheld\]|\[redacted\]|(?:${MECHS})\b)[A-Za-z0-9+/]+={0,2}`, 'gi');
const TOKENS = [/\bya29\.[A-Za-z0-9_\-.]+/g, /\b1\/\/[A-Za-z0-9_-]{20,}/g, /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g];
// user:password@ in any URL; the scheme is anchored at a word start and both parts bounded,
// so a multi-megabyte line without one stays linear.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]{0,15}:\/\/)([^/@\s]{1,256})@/gi;
const BASE64_RUN = /[A-Za-z0-9+/]{8,}={0,2}/g;

export class Redactor {
  private readonly literals = new Set<string>();
  private readonly b64Marks = new Set<string>();

  /** A secret to scrub wherever it appears, raw or base64-encoded inside a longer blob. */
  addSecret(value: string | null | undefined): void {
    if (!value || value.length < 4) return;
    const bytes = Buffer.from(value, 'utf8');
    this.literals.add(bytes.toString('latin1'));
    this.literals.add(bytes.toString('base64'));
    if (bytes.length < 6) return;
    // The secret at each of the three byte alignments a base64 encoder can put it at:
    // the characters that depend only on the secret are the same in any larger blob.
    for (let pad = 0; pad < 3; pad++) {
      const enc = Buffer.concat([Buffer.alloc(pad, 0x41), bytes]).toString('base64');
      const start = Math.ceil((pad * 4) / 3) + 1;
      const end = Math.floor(((pad + bytes.length) * 4) / 3) - 1;
      if (end - start >= 6) this.b64Marks.add(enc.slice(start, end));
    }
  }

  text(input: string): string {
    let t = input;
    for (const lit of [...this.literals].sort((a, b) => b.length - a.length)) t = t.split(lit).join(REDACTED);
    if (this.b64Marks.size) t = t.replace(BASE64_RUN, (run) => ([...this.b64Marks].some((m) => run.includes(m)) ? REDACTED : run));
    t = t.replace(URL_CREDENTIALS, (_m, scheme: string, cred: string) => `${scheme}${cred.includes(':') ? '***:***' : '***'}@`);
    t = t.replace(AUTH_HEADER, `$1${REDACTED}`).replace(BEARER, `$1${REDACTED}`);
    t = t.replace(AUTH_CMD, `$1${REDACTED}`);
    for (const re of TOKENS) t = t.replace(re, REDACTED);
    t = t.replace(JSON_PAIR, `$1"${REDACTED}"`).replace(XML_ATTR, `$1$2${REDACTED}$2`).replace(PLAIN_PAIR, `$1${REDACTED}`);
    return afterAuth(t);
  }

  /**
   * A parsed JSON value with every string redacted on its own, so the structure survives;
   * a string under a secret-named key is withheld whole, as JSON_PAIR does on text.
   */
  json(value: unknown, key?: string): unknown {
    if (typeof value === 'string') return key !== undefined && SECRET_KEY_NAME.test(key) && value !== '' ? REDACTED : this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.json(v));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.json(v, k)]));
    return value;
  }

  /**
   * For RunFolder: bytes in, bytes out. JSON files are redacted value by value and written
   * back with their own indentation (patterns over the raw text could cut a quote or comma);
   * anything else as latin1 text, which keeps every byte of a non-UTF-8 log as it was.
   */
  file = (name: string, data: Buffer): Buffer => {
    if (/\.zip$/i.test(name)) return data;
    if (/\.json$/i.test(name)) {
      const out = this.jsonFile(data.toString('utf8'));
      if (out !== null) return Buffer.from(out, 'utf8');
    }
    return Buffer.from(this.text(data.toString('latin1')), 'latin1');
  };

  /** null when the text is not JSON (a raw file cut at the size cap): it gets text redaction. */
  private jsonFile(text: string): string | null {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return null;
    }
    const redacted = this.json(parsed);
    if (JSON.stringify(redacted) === JSON.stringify(parsed)) return text;
    const indent = /^[[{]\r?\n([ \t]+)/.exec(text)?.[1] ?? '';
    return JSON.stringify(redacted, null, indent) + (/\n$/.test(text) ? '\n' : '');
  }
}

/**
 * A logged SMTP dialogue (JavaMail with mail.debug.auth, for one) shows AUTH LOGIN's user
 * name and password as bare base64 lines, and the server's 334 challenges: in the few lines
 * after an AUTH, a trailing base64 word is masked until the server's final reply.
 */
function afterAuth(text: string): string {
  const lines = text.split('\n');
  let window = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // An AUTH command opens the window; a server's capability line (`250-AUTH ...`) does not.
    if (/\bAUTH\b/.test(line) && !/\b\d{3}[ -]AUTH\b/.test(line)) {
      window = 6;
      continue;
    }
    if (window <= 0) continue;
    window--;
    const reply = /(?:^|[\s:>])([2-5]\d\d)[ -]/.exec(line);
    if (reply && reply[1] !== '334') {
      window = 0;
      continue;
    }
    if (reply?.[1] === '334') {
      lines[i] = line.replace(/(334[ -]).*$/, `$1${REDACTED}`);
      continue;
    }
    lines[i] = line.replace(/(^|[\s:>])([A-Za-z0-9+/]{4,}={0,2})(\s*)$/, (m, pre: string, word: string, post: string) =>
      line.trim() === word || looksEncoded(word) ? `${pre}${REDACTED}${post}` : m,
    );
  }
  return lines.join('\n');
}

/** A word that is not prose: long, with digits, +, /, = or inner capitals, as base64 is. */
function looksEncoded(word: string): boolean {
  return word.length >= 8 && !/^\d+$/.test(word) && (/[\d+/=]/.test(word) || /[a-z][A-Z]/.test(word));
}

/** A malformed %-escape (a password with a bare `%`) is kept as written, never an exception. */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Variables whose names say they hold a secret; their values are scrubbed from every file. */
export function secretEnvValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!v) continue;
    if (/(pass(word|wd)?|pwd|secret|token|api_?key|credential)s?$/i.test(k) && v.length >= 6) out.push(v);
    if (/_proxy$/i.test(k)) {
      const m = /:\/\/([^/@\s:]+)(?::([^/@\s]+))?@/.exec(v);
      if (m?.[2]) out.push(m[2], safeDecode(m[2]));
    }
  }
  return out;
}

// Redaction for every file diagnose writes: the probe's own files, collector JSON, raw
// command output and copied AA logs all pass through `Redactor.text` before they reach the
// run folder or the ZIP. Patterns catch what is recognisable (key=value secrets,
// Authorization headers, AUTH payloads, tokens, credentials in URLs); the secrets this run
// knows (the AUTH password, passwords in the bot's config, secret-named variables) are
// scrubbed literally and in base64 at any alignment.
import { proxyCredentials } from '../collect/env.js';

export const REDACTED = '[redacted]';

export const REDACTION_SUMMARY =
  'values under secret-named keys (password, pass, pw, pwd, secret, token, api key, client secret, access key...) in key=value, key: value, key value, JSON, YAML, XML element and attribute, app.config key/value, connection-string and command-line-flag forms; Authorization and Proxy-Authorization headers; arguments and base64 replies after AUTH; OAuth tokens and JWTs; user:password in URLs, proxy values and curl -u; and every secret known to the run, raw and base64-encoded';

// A key names a secret when it ends in one of these words (so `secret_from` or
// `password_env` stay); `pass` and `pw` only as a word of their own (`smtp_pass`, `smtpPass`,
// `pw`), so `passed` or `bypass` stay too.
const SECRET_SUFFIX = /(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|credentials?|private[_-]?key|secret[_-]?key|access[_-]?key|account[_-]?key|auth[_-]?key)$/i;
const SHORT_SUFFIX = /(?:^|[_.-])(?:pass|pw)$/i;
const CAMEL_SHORT_SUFFIX = /[a-z0-9](?:Pass|PASS|Pw|PW)$/;

/** A key (config name, JSON member, XML element, header, flag) that holds a secret. */
export function isSecretKey(key: string): boolean {
  const k = key.replace(/^[-$@]+/, '');
  return k.length > 0 && k.length <= 200 && (SECRET_SUFFIX.test(k) || SHORT_SUFFIX.test(k) || CAMEL_SHORT_SUFFIX.test(k));
}

/** A key that looks like an identifier, not a word of prose: dotted, snake, kebab or camel case. */
function identifierLike(key: string): boolean {
  return /[._-]/.test(key) || /[a-z][A-Z]/.test(key);
}

const AUTH_SCHEMES = 'basic|bearer|negotiate|ntlm|digest|token';
// `Authorization: Basic ...` as a header, `"Authorization": "Basic ..."` in JSON or a dict.
const AUTH_HEADER = new RegExp(String.raw`\b((?:proxy-)?authorization["']?[ \t]*[:=][ \t]*["']?(?:(?:${AUTH_SCHEMES})[ \t]+)?)[^\r\n"']+`, 'gi');
const BEARER = /\b(bearer[ \t]+)[A-Za-z0-9\-._~+/]{8,}=*/gi;
// An AUTH command's initial response is base64 (or "="); an EHLO capability line such as
// `250-AUTH PLAIN LOGIN XOAUTH2` lists mechanism names instead, which are no secret, and a
// JSON string around either keeps its closing quote.
const MECHS = 'PLAIN|LOGIN|XOAUTH2|OAUTHBEARER|CRAM-MD5|DIGEST-MD5|NTLM|GSSAPI|SCRAM-SHA-1|SCRAM-SHA-256|ANONYMOUS|EXTERNAL';
const AUTH_CMD = new RegExp(String.raw`\b(AUTH[ \t]+(?:${MECHS})[ \t]+)(?!\[withheld\]|\[redacted\]|(?:${MECHS})\b)[A-Za-z0-9+/]+={0,2}`, 'gi');
const TOKENS = [/\bya29\.[A-Za-z0-9_\-.]+/g, /\b1\/\/[A-Za-z0-9_-]{20,}/g, /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g];
// user:password@ in any URL, up to the last `@` before the path (a password may hold a bare
// `@`); the scheme is anchored at a word start and both parts bounded, so a multi-megabyte
// line without one stays linear.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]{0,15}:\/\/)([^/\s"'<>]{1,256})@/gi;
// user:password@host:port without a scheme (a proxy variable, curl -x): the port is required,
// which keeps `mailto:bob@example.com` and prose out.
const BARE_CREDENTIALS = /(?<![\w.%+\-:/@])[\w.%+-]{1,64}:[^\s/"'<>]{1,128}@(?=(?:[A-Za-z0-9-]{1,63}\.){0,8}[A-Za-z0-9-]{1,63}:\d{1,5}\b)/g;
const BASE64_RUN = /[A-Za-z0-9+/]{8,}={0,2}/g;

// Heads of the key/value forms, matched on their own (no value) so a key that is no secret
// costs nothing and never swallows the text after it; the value is then read with VALUE.
// key=value, key: value, "key": value, 'key' => value, key := value, key="value" (an XML
// attribute), $smtpPassword$ = value (an AA variable).
const PAIR_HEAD = /(?<![A-Za-z0-9_.])(["']?)([A-Za-z][A-Za-z0-9_.-]*)\$?\1[ \t]*(?:=>|:=|[:=])[ \t]*/g;
// --password x, -Password x (the `=` form is a pair). `-p` and `/p:` mean other things to
// other tools (a port, a profile) and are not taken.
const FLAG_HEAD = /(?<![\w-])--?([A-Za-z][\w-]*)[ \t]+(?=[^\s-])/g;
// A properties line `key value` (also `export|set|setx KEY value`): the whole line, two words.
const LINE_HEAD = /^([ \t]*(?:(?:export|set|setx)[ \t]+)?)(["']?)([A-Za-z][\w.-]*)\2[ \t]+(?=[^\s:=])/gm;
// Connection strings (`Server=x;User Id=u;Password=a b c;`): the value runs to the next `;`.
const CONN_HEAD = /(?<=^|[;"'\s])([A-Za-z][\w.-]*)[ \t]*=[ \t]*(?=[^\s;"'])/gm;
// curl -u user:password, --user, --proxy-user, -U.
const USER_FLAG_HEAD = /(?<![\w-])(?:-u|-U|--user|--proxy-user)(?:[ \t]+|=)/g;
// The value after a head: already masked or a literal (left alone), quoted (to the closing
// quote, or the line end when it has none), or a bare word.
const VALUE = /(\[redacted\]|\[withheld\]|\*{3}|(?:null|true|false|none|undefined)(?![\w-]))|(["'])((?:(?!\2)[^\\\r\n]|\\.)*)(\2?)|([^\s,;&"'<>]+)/y;
const CONN_VALUE = /\{[^}\r\n]{0,1024}\}|[^;\r\n"']+/y;
// <password>x</password>, <smtp:Password attr="1">x</smtp:Password>, with a CDATA body too.
const XML_ELEMENT = /<((?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*))((?:\s[^<>]*)?)>(<!\[CDATA\[[^\]]{0,1024}\]\]>|[^<]*)<\/\1\s*>/g;
// <add key="SmtpPassword" value="x"/>, <property name="mail.smtp.password" value="x"/>.
const KEYED_ATTR = /\b((?:key|name)[ \t]*=[ \t]*(["'])([^"'\r\n<>]{1,256})\2[ \t\r\n]+value[ \t]*=[ \t]*)(?:"([^"\r\n]*)"|'([^'\r\n]*)')/gi;
// .NET settings: <setting name="SmtpPassword" serializeAs="String"><value>x</value></setting>.
const SETTING_VALUE = /(<setting\b[^<>]*?\bname[ \t]*=[ \t]*(["'])([^"'<>]*)\2[^<>]*>\s*<value>)([^<]*)(<\/value>)/gi;
// PowerShell: ConvertTo-SecureString "x" -AsPlainText.
const SECURE_STRING = /(ConvertTo-SecureString[ \t]+(?:-String[ \t]+)?)(["'])((?:(?!\2)[^\r\n])*)\2/gi;

/** Every pattern text() applies, for the timing test. */
export const REDACTION_PATTERNS: Readonly<Record<string, RegExp>> = {
  AUTH_HEADER, BEARER, AUTH_CMD, URL_CREDENTIALS, BARE_CREDENTIALS, BASE64_RUN, PAIR_HEAD, FLAG_HEAD, LINE_HEAD, CONN_HEAD, USER_FLAG_HEAD,
  VALUE, CONN_VALUE, XML_ELEMENT, KEYED_ATTR, SETTING_VALUE, SECURE_STRING, TOKEN_YA29: TOKENS[0]!, TOKEN_REFRESH: TOKENS[1]!, TOKEN_JWT: TOKENS[2]!,
};

/**
 * Runs `head` over the text; for each match, `value(match, end)` may return the replacement
 * for the text from the head's end up to a position, or null to leave it. The scan resumes
 * after the head (or after the replaced value), so a key that is no secret never hides the
 * pairs in its value.
 */
function replaceAfterHeads(text: string, head: RegExp, value: (m: RegExpExecArray, end: number) => [string, number] | null): string {
  let out = '';
  let last = 0;
  head.lastIndex = 0;
  for (let m = head.exec(text); m; m = head.exec(text)) {
    const end = m.index + m[0].length;
    if (m[0].length === 0) head.lastIndex++;
    if (end < last) continue;
    const r = value(m, end);
    if (!r) continue;
    out += text.slice(last, end) + r[0];
    last = r[1];
    head.lastIndex = Math.max(head.lastIndex, r[1]);
  }
  return last === 0 ? text : out + text.slice(last);
}

/** The secret value at `at`, masked: quoted values keep their quotes. */
function maskValue(text: string, at: number, opts: { jsonKey?: boolean; noDash?: boolean } = {}): [string, number, string] | null {
  VALUE.lastIndex = at;
  const v = VALUE.exec(text);
  if (!v || v[1] !== undefined) return null;
  const end = at + v[0].length;
  if (v[2] !== undefined) return v[3] ? [`${v[2]}${REDACTED}${v[4]}`, end, v[3]] : null;
  let word = v[5]!;
  if (opts.noDash && word.startsWith('-')) return null;
  if (opts.jsonKey) {
    // "key": 1234 in JSON: a number or a bare word becomes a string, {, [ open structure.
    if (/^[{[]/.test(word)) return null;
    word = /^[^}\]]+/.exec(word)?.[0] ?? '';
    return word ? [`"${REDACTED}"`, at + word.length, word] : null;
  }
  // A closing bracket the value never opened belongs to the text around it: `(pass=x)`, `{pw=x}`.
  let keep = word.length;
  while (keep > 1 && /[)\]}]/.test(word[keep - 1]!) && !word.slice(0, keep - 1).includes({ ')': '(', ']': '[', '}': '{' }[word[keep - 1]!]!)) keep--;
  return [REDACTED, at + keep, word.slice(0, keep)];
}

function redactPairs(t: string): string {
  // Connection strings first: there a value may hold spaces and runs to the next `;`.
  t = replaceAfterHeads(t, CONN_HEAD, (m, end) => {
    if (!isSecretKey(m[1]!)) return null;
    CONN_VALUE.lastIndex = end;
    const v = CONN_VALUE.exec(t);
    if (!v || v[0].startsWith('[redacted]')) return null;
    const after = end + v[0].length;
    const afterSemicolon = t[m.index - 1] === ';' || /;[ \t]*$/.test(t.slice(Math.max(0, m.index - 8), m.index));
    if (!afterSemicolon && t[after] !== ';') return null;
    return [REDACTED, after];
  });
  t = replaceAfterHeads(t, PAIR_HEAD, (m, end) => {
    if (!isSecretKey(m[2]!)) return null;
    const r = maskValue(t, end, { jsonKey: m[1] === '"' });
    return r && [r[0], r[1]];
  });
  t = replaceAfterHeads(t, FLAG_HEAD, (m, end) => {
    if (!isSecretKey(m[1]!) || m[1]!.length < 2) return null;
    const r = maskValue(t, end, { noDash: true });
    return r && [r[0], r[1]];
  });
  t = replaceAfterHeads(t, LINE_HEAD, (m, end) => {
    const key = m[3]!;
    if (!isSecretKey(key)) return null;
    const r = maskValue(t, end);
    if (!r || !/^[ \t]*(?:\r?\n|$)/.test(t.slice(r[1], r[1] + 4))) return null;
    // `password policy` alone on a line is prose; `smtp.password hunter2` is not.
    return identifierLike(key) || /[^A-Za-z]/.test(r[2]) ? [r[0], r[1]] : null;
  });
  t = replaceAfterHeads(t, USER_FLAG_HEAD, (_m, end) => {
    VALUE.lastIndex = end;
    const v = VALUE.exec(t);
    if (!v || v[1] !== undefined) return null;
    const q = v[2] ?? '';
    const body = v[2] !== undefined ? v[3]! : v[5]!;
    const colon = body.indexOf(':');
    if (colon < 0 || colon === body.length - 1 || body.slice(colon + 1).startsWith(REDACTED)) return null;
    return [`${q}${body.slice(0, colon + 1)}${REDACTED}${v[2] !== undefined ? v[4] : ''}`, end + v[0].length];
  });
  return t;
}

function redactMarkup(t: string): string {
  t = t.replace(XML_ELEMENT, (m, tag: string, local: string, attrs: string, body: string) =>
    isSecretKey(local) && body.trim() && body !== REDACTED ? `<${tag}${attrs}>${REDACTED}</${tag}>` : m,
  );
  t = t.replace(KEYED_ATTR, (m, head: string, _q: string, key: string, dq: string | undefined, sq: string | undefined) => {
    if (!isSecretKey(key) || !(dq ?? sq) || (dq ?? sq) === REDACTED) return m;
    return dq !== undefined ? `${head}"${REDACTED}"` : `${head}'${REDACTED}'`;
  });
  t = t.replace(SETTING_VALUE, (m, head: string, _q: string, key: string, body: string, tail: string) =>
    isSecretKey(key) && body.trim() && body !== REDACTED ? `${head}${REDACTED}${tail}` : m,
  );
  return t.replace(SECURE_STRING, (m, head: string, q: string, body: string) => (body && body !== REDACTED ? `${head}${q}${REDACTED}${q}` : m));
}

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
    t = t.replace(BARE_CREDENTIALS, '***:***@');
    t = t.replace(AUTH_HEADER, `$1${REDACTED}`).replace(BEARER, `$1${REDACTED}`);
    t = t.replace(AUTH_CMD, `$1${REDACTED}`);
    for (const re of TOKENS) t = t.replace(re, REDACTED);
    t = redactPairs(redactMarkup(t));
    return afterAuth(t);
  }

  /**
   * A parsed JSON value with every string redacted on its own, so the structure survives;
   * a string under a secret-named key is withheld whole, as a pair is on text; under an
   * Authorization key the scheme word (Basic, Bearer...) stays.
   */
  json(value: unknown, key?: string): unknown {
    if (typeof value === 'string') {
      if (key !== undefined && value !== '' && /^(?:proxy-)?authorization$/i.test(key)) return value.replace(new RegExp(String.raw`^((?:${AUTH_SCHEMES})[ \t]+)?[\s\S]*$`, 'i'), `$1${REDACTED}`);
      return key !== undefined && isSecretKey(key) && value !== '' ? REDACTED : this.text(value);
    }
    if (typeof value === 'number' && key !== undefined && isSecretKey(key)) return REDACTED;
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
      const c = proxyCredentials(v);
      if (c?.password) out.push(c.password, safeDecode(c.password));
    }
  }
  return out;
}

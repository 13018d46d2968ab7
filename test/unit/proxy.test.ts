// Proxy options, discovery (environment and recorded Windows outputs) and the reading of
// proxy refusals: CONNECT 407/403/50x and SOCKS5 reply codes into class proxy.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyAttempt, type AttemptFacts } from '../../payload/classify/classify.js';
import { PROXY_RULES, proxyEvidence, proxyRuleFor } from '../../payload/classify/proxy.js';
import { HINTS } from '../../payload/classify/hints.js';
import { discoverProxy, noProxyCovers, pickFromServerList } from '../../payload/probe/proxy-discovery.js';
import { proxySettings, readProxyPassword } from '../../payload/probe/proxy-options.js';
import { formatProxy, parseProxyFlag, parseProxyUrl, proxyResolves } from '../../payload/probe/proxy-url.js';
import { emptySmtp } from '../../payload/probe/session.js';
import { socksFailure, socksReplyText } from '../../payload/probe/socks-connect.js';
import type { ProxyAttempt } from '../../payload/schema/summary.js';
import { UsageError } from '../../payload/util/errors.js';
import { ROOT } from '../helpers.js';

const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures/windows', name), 'utf8');

function usage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message.split('\n')).toHaveLength(1);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

async function usageAsync(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(UsageError);
  return (err as Error).message;
}

describe('--proxy URLs', () => {
  it('reads http, socks5 and socks5h with and without a user, default ports and IPv6', () => {
    expect(parseProxyUrl('http://proxy.corp:8080')).toEqual({ kind: 'http', host: 'proxy.corp', port: 8080, user: null, password: null });
    expect(parseProxyUrl('proxy.corp:3128')).toMatchObject({ kind: 'http', port: 3128 });
    expect(parseProxyUrl('socks5://bot%40corp@127.0.0.1')).toEqual({ kind: 'socks5', host: '127.0.0.1', port: 1080, user: 'bot@corp', password: null });
    expect(parseProxyUrl('socks5h://[::1]:1081')).toMatchObject({ kind: 'socks5h', host: '::1', port: 1081 });
    expect(parseProxyUrl('http://u:p%3Aw@h:1')).toMatchObject({ user: 'u', password: 'p:w' });
    expect(formatProxy({ kind: 'socks5h', host: '::1', port: 1081, user: 'bot@corp' })).toBe('socks5h://bot%40corp@[::1]:1081');
  });

  it('says which side resolves the SMTP host', () => {
    expect(proxyResolves({ kind: 'socks5' }, 'smtp.gmail.com')).toBe(false);
    expect(proxyResolves({ kind: 'socks5h' }, 'smtp.gmail.com')).toBe(true);
    expect(proxyResolves({ kind: 'http' }, 'smtp.gmail.com')).toBe(true);
    expect(proxyResolves({ kind: 'http' }, '142.250.1.108')).toBe(false);
  });

  it('refuses a password in argv without repeating it, and other bad URLs in one line', () => {
    const m = usage(() => parseProxyFlag('http://botsvc:Hunter2-secret@proxy:3128'));
    expect(m).toContain('--proxy must not carry a password');
    expect(m).not.toContain('Hunter2');
    expect(usage(() => parseProxyFlag('https://proxy:443'))).toContain('unsupported scheme "https"');
    expect(usage(() => parseProxyFlag('socks4://proxy:1080'))).toContain('unsupported scheme');
    expect(usage(() => parseProxyFlag('http://proxy:3128/path'))).toContain('no path');
    expect(usage(() => parseProxyFlag('http://proxy:99999'))).toContain('invalid --proxy');
  });

  it('takes the password from an env var or a file, never both, and wants a user for it', async () => {
    expect(readProxyPassword({ proxyPasswordEnv: 'PW' }, { PW: 's3' })).toEqual({ value: 's3', from: 'env PW' });
    const dir = mkdtempSync(join(tmpdir(), 'proxy-unit-'));
    writeFileSync(join(dir, 'pw'), 'from-file\r\nsecond line\n');
    expect(readProxyPassword({ proxyPasswordFile: join(dir, 'pw') })).toEqual({ value: 'from-file', from: `file ${join(dir, 'pw')}` });
    expect(usage(() => readProxyPassword({ proxyPasswordEnv: 'PW', proxyPasswordFile: 'x' }))).toContain('not both');
    expect(usage(() => readProxyPassword({ proxyPasswordEnv: 'UNSET_VAR' }, {}))).toContain('not set');
    expect(usage(() => readProxyPassword({ proxyPasswordFile: join(dir, 'missing') }))).toContain('ENOENT');

    const ok = await proxySettings({ proxy: 'http://botsvc@127.0.0.1:3128', proxyPasswordEnv: 'PW' }, 'smtp.gmail.com', 587, { PW: 's3' });
    expect(ok.settings).toEqual({ mode: 'explicit', spec: { kind: 'http', host: '127.0.0.1', port: 3128, user: 'botsvc', password: 's3', passwordFrom: 'env PW', source: '--proxy' } });
    expect(await usageAsync(proxySettings({ proxy: 'http://botsvc@127.0.0.1:3128' }, 'h', 587, {}))).toContain('names user "botsvc"');
    expect(await usageAsync(proxySettings({ proxy: 'http://127.0.0.1:3128', proxyPasswordEnv: 'PW' }, 'h', 587, { PW: 'x' }))).toContain('need a user');
    expect(await usageAsync(proxySettings({ proxyPasswordEnv: 'PW' }, 'h', 587, { PW: 'x' }))).toContain('only apply with --proxy URL');
    expect(await usageAsync(proxySettings({ proxy: 'auto', proxyPasswordFile: 'f' }, 'h', 587, {}))).toContain('--proxy auto takes the password');
  });

  it('auto uses the discovered proxy, password from the variable included; nothing found: direct only', async () => {
    const a = await proxySettings({ proxy: 'auto' }, 'smtp.gmail.com', 587, { HTTPS_PROXY: 'http://bot:Env-Pw%21@10.0.0.8:8080', HTTP_PROXY: 'http://other:1' });
    expect(a.settings).toMatchObject({ mode: 'auto', spec: { host: '10.0.0.8', user: 'bot', password: 'Env-Pw!', passwordFrom: 'HTTPS_PROXY', source: 'HTTPS_PROXY' } });
    expect(JSON.stringify(a.discovered.record)).not.toContain('Env-Pw');
    expect(JSON.stringify(a.discovered.record)).not.toContain('bot:');
    expect(a.discovered.record.chosen).toEqual({ source: 'HTTPS_PROXY', proxy: 'http://***@10.0.0.8:8080' });
    expect(a.discovered.record.env.HTTPS_PROXY).toBe('http://***:***@10.0.0.8:8080');
    const none = await proxySettings({ proxy: 'auto' }, 'smtp.gmail.com', 587, {});
    expect(none.settings).toEqual({ mode: 'auto', spec: null });
  });
});

describe('proxy discovery', () => {
  it('prefers HTTPS_PROXY, then ALL_PROXY, then HTTP_PROXY', () => {
    expect(discoverProxy({ HTTP_PROXY: 'http://h:1', ALL_PROXY: 'socks5h://s:1080' }, 'x', 587, null).chosen).toMatchObject({ kind: 'socks5h', source: 'ALL_PROXY' });
    expect(discoverProxy({ http_proxy: 'http://h:1' }, 'x', 587, null).chosen).toMatchObject({ host: 'h', source: 'http_proxy' });
    const bad = discoverProxy({ HTTPS_PROXY: 'https://tls-proxy:443' }, 'x', 587, null);
    expect(bad.chosen).toBeNull();
    expect(bad.record.notes[0]).toContain('HTTPS_PROXY is not usable: unsupported scheme "https"');
  });

  it('matches NO_PROXY as curl does: names, .suffixes, *, and ports', () => {
    expect(noProxyCovers('localhost,.gmail.com', 'smtp.gmail.com', 587)).toBe(true);
    expect(noProxyCovers('gmail.com', 'smtp.gmail.com', 587)).toBe(false);
    expect(noProxyCovers('*.gmail.com', 'smtp.gmail.com', 587)).toBe(true);
    expect(noProxyCovers('smtp.gmail.com:465', 'smtp.gmail.com', 587)).toBe(false);
    expect(noProxyCovers('*', 'anything', 25)).toBe(true);
    const d = discoverProxy({ HTTPS_PROXY: 'http://p:1', NO_PROXY: '.gmail.com' }, 'smtp.gmail.com', 587, null);
    expect(d.record.no_proxy_covers_host).toBe(true);
    expect(d.record.notes).toContain('NO_PROXY covers smtp.gmail.com: a proxy-aware client would connect directly');
  });

  it('reads WinHTTP and WinINET proxy server lists', () => {
    expect(pickFromServerList('http=proxy.corp:8080;https=secure.corp:8443')).toEqual({ url: 'secure.corp:8443', note: null });
    expect(pickFromServerList('10.20.0.80:3128')).toEqual({ url: '10.20.0.80:3128', note: null });
    expect(pickFromServerList('ftp=f:21;http=proxy.corp:8080')).toEqual({ url: 'proxy.corp:8080', note: null });
    expect(pickFromServerList('socks=s.corp:1080').url).toBeNull();
  });

  it('parses recorded netsh and reg outputs: WinHTTP, WinINET with its PAC URL, masked credentials', () => {
    const d = discoverProxy({}, 'smtp.gmail.com', 587, { netsh: fixture('netsh-winhttp-proxy.txt'), internetSettings: fixture('reg-internet-settings.txt'), connections: fixture('reg-connections.txt') });
    expect(d.record.winhttp).toEqual({ direct: false, proxy_server: 'http=proxy.corp.example.com:8080;https=proxy.corp.example.com:8080', bypass_list: '*.corp.example.com;<local>' });
    expect(d.record.wininet).toEqual({ proxy_enable: true, proxy_server: 'http://***:***@proxy.corp.example.com:8080', proxy_override: '*.corp.example.com;<local>', pac_url: 'http://wpad.corp.example.com/proxy.pac', auto_detect: true });
    expect(d.record.candidates).toEqual([
      { source: 'WinHTTP', proxy: 'http://proxy.corp.example.com:8080' },
      { source: 'WinINET', proxy: 'http://***@proxy.corp.example.com:8080' },
    ]);
    expect(d.chosen).toMatchObject({ source: 'WinHTTP', host: 'proxy.corp.example.com', port: 8080, user: null });
    expect(d.record.notes.join('\n')).toContain('a PAC script is configured (http://wpad.corp.example.com/proxy.pac); it is not evaluated');
    expect(JSON.stringify(d.record)).not.toContain('Wininet-Pl4nted');
  });

  it('reads a single-host WinHTTP proxy, a direct one, and a SOCKS4-only WinINET entry', () => {
    const single = discoverProxy({}, 'h', 587, { netsh: fixture('netsh-winhttp-proxy-single.txt'), internetSettings: fixture('reg-internet-settings-socks-only.txt'), connections: null });
    expect(single.record.winhttp).toEqual({ direct: false, proxy_server: '10.20.0.80:3128', bypass_list: null });
    expect(single.chosen).toMatchObject({ kind: 'http', host: '10.20.0.80', port: 3128, source: 'WinHTTP' });
    expect(single.record.notes.join('\n')).toContain('WinINET: only a socks= (SOCKS4) entry');
    const direct = discoverProxy({}, 'h', 587, { netsh: fixture('netsh-winhttp-direct.txt'), internetSettings: null, connections: null });
    expect(direct.record.winhttp).toEqual({ direct: true, proxy_server: null, bypass_list: null });
    expect(direct.chosen).toBeNull();
  });
});

const tunnel = (p: Partial<ProxyAttempt>): ProxyAttempt => ({
  proxy: 'http://127.0.0.1:3128',
  kind: 'http',
  source: '--proxy',
  destination: 'smtp.gmail.com:587',
  resolved_by: 'proxy',
  connect_ms: 1,
  tunnel_ms: 2,
  reply: null,
  reply_code: null,
  failed_step: 'tunnel',
  error: { kind: 'proxy-refused', code: null, message: 'x' },
  ...p,
});

function facts(proxy: ProxyAttempt, credentials = false): AttemptFacts {
  return { where: 'smtp.gmail.com:587', host: 'smtp.gmail.com', port: 587, mode: 'starttls', family: null, failedStage: 'connect', tcpError: proxy.error, tls: null, smtp: emptySmtp(), verifyName: 'smtp.gmail.com', proxyConfigured: false, proxy, proxyCredentials: credentials };
}

describe('proxy refusals into class proxy', () => {
  it('reads CONNECT 407 (with and without credentials), 403 and 502/503/504 with the status line as evidence', () => {
    const s407 = tunnel({ reply: 'HTTP/1.1 407 Proxy Authentication Required (squid/5.7)', reply_code: 407, failed_step: 'proxy-auth' });
    expect(classifyAttempt(facts(s407))).toMatchObject({ class: 'proxy', hint_id: 'proxy-auth-required', evidence: 'proxy http://127.0.0.1:3128: CONNECT smtp.gmail.com:587 (name resolved by the proxy): HTTP/1.1 407 Proxy Authentication Required (squid/5.7)' });
    expect(classifyAttempt(facts(s407, true)).hint_id).toBe('proxy-auth-failed');
    expect(classifyAttempt(facts(tunnel({ reply: 'HTTP/1.1 403 Forbidden', reply_code: 403 }))).hint_id).toBe('proxy-forbidden');
    for (const code of [502, 503, 504]) expect(classifyAttempt(facts(tunnel({ reply: `HTTP/1.1 ${code} x`, reply_code: code }))).hint_id).toBe('proxy-upstream-unreachable');
    expect(classifyAttempt(facts(tunnel({ reply: 'HTTP/1.1 400 Bad Request', reply_code: 400 }))).hint_id).toBe('proxy-refused');
  });

  it('reads SOCKS5 reply codes from the socks package\'s errors', () => {
    expect(socksFailure('Socks5 proxy rejected connection - NotAllowed')).toMatchObject({ replyCode: 2, reply: 'SOCKS5 reply 0x02 connection not allowed by ruleset', step: 'tunnel' });
    expect(socksFailure('Socks5 proxy rejected connection - ConnectionRefused')).toMatchObject({ replyCode: 5, reply: 'SOCKS5 reply 0x05 connection refused' });
    expect(socksFailure('Socks5 Authentication failed')).toMatchObject({ kind: 'auth-failed', step: 'proxy-auth' });
    expect(socksFailure('Received invalid Socks5 initial handshake (no accepted authentication type)')).toMatchObject({ replyCode: 0xff, kind: 'auth-required' });
    expect(socksFailure('Proxy connection timed out').kind).toBe('timeout');
    expect(socksReplyText(0x09)).toBe('SOCKS5 reply 0x09 unassigned');
    const socks = (code: number, kind = 'proxy-refused') => tunnel({ kind: 'socks5', proxy: 'socks5://127.0.0.1:1080', reply: socksReplyText(code), reply_code: code, error: { kind, code: null, message: 'x' } });
    expect(classifyAttempt(facts(socks(0x02))).hint_id).toBe('proxy-forbidden');
    for (const c of [0x03, 0x04, 0x05, 0x06]) expect(classifyAttempt(facts(socks(c))).hint_id).toBe('proxy-upstream-unreachable');
    expect(classifyAttempt(facts(socks(0x01))).hint_id).toBe('proxy-refused');
    expect(classifyAttempt(facts(socks(0xff, 'proxy-auth-required'))).hint_id).toBe('proxy-socks-auth-method');
    expect(classifyAttempt(facts(tunnel({ kind: 'socks5', reply: 'SOCKS5 username/password authentication failed', failed_step: 'proxy-auth', error: { kind: 'proxy-auth-failed', code: null, message: 'x' } }), true)).hint_id).toBe('proxy-auth-failed');
    expect(proxyEvidence(socks(0x05))).toBe('proxy socks5://127.0.0.1:1080: SOCKS5 CONNECT smtp.gmail.com:587 (name resolved by the proxy): SOCKS5 reply 0x05 connection refused');
  });

  it('says the proxy is unreachable, slow or not a proxy', () => {
    const down = tunnel({ failed_step: 'proxy-connect', connect_ms: null, tunnel_ms: null, error: { kind: 'proxy-unreachable', code: 'ECONNREFUSED', message: 'cannot connect to the proxy 127.0.0.1:3128: refused' } });
    expect(classifyAttempt(facts(down))).toMatchObject({ hint_id: 'proxy-unreachable', evidence: 'proxy http://127.0.0.1:3128: cannot connect to the proxy 127.0.0.1:3128: refused' });
    expect(proxyRuleFor(tunnel({ error: { kind: 'proxy-timeout', code: null, message: '' } }), false)).toBe('proxy-timeout');
    expect(proxyRuleFor(tunnel({ error: { kind: 'proxy-bad-response', code: null, message: '' } }), false)).toBe('proxy-bad-response');
  });

  it('names only hints that exist, all of class proxy', () => {
    for (const r of PROXY_RULES) expect(HINTS.find((h) => h.id === r.hint)?.class).toBe('proxy');
  });

  it('calls a chain through a proxy from an unexpected issuer interception', () => {
    const cert = { subject: 'CN=smtp.gmail.com', issuer: 'CN=Corp Inspection CA', subject_alt_names: ['DNS:smtp.gmail.com'], valid_from: '2026-01-01', valid_to: '2027-01-01', serial: '1', fingerprint_sha256: 'AA', self_signed: false };
    const tls = { sni: 'smtp.gmail.com', after: 'starttls' as const, handshake_ms: 3, protocol: 'TLSv1.3', cipher: 'x', cipher_standard_name: 'x', alpn: null, authorized: false, verify_error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', verify_reason: 'x', chain: [cert], os_trusted: false, os_store: null, error: null };
    const f: AttemptFacts = { ...facts(tunnel({ failed_step: null, error: null, reply_code: 200 })), failedStage: 'tls', tcpError: null, tls };
    expect(classifyAttempt(f)).toMatchObject({ class: 'proxy', hint_id: 'proxy-tls-interception' });
    expect(classifyAttempt(f).evidence).toContain('expected an issuer from Google Trust Services');
    // The same chain on the direct path stays a plain trust failure (no interceptor name, no proxy).
    expect(classifyAttempt({ ...f, proxy: null }).hint_id).toBe('tls-untrusted');
  });
});

// diagnose's building blocks: redaction, the bot configuration file, its flags, the
// collector runner's timeout/failure/skip handling, the command runner's limits, and the
// Linux parsers (resolv.conf, /proc routes, journal lines), log windows and globs.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseAaConfig } from '../../payload/diagnose/aa-config.js';
import { runCollector, Skip, type Collector, type CollectorContext } from '../../payload/diagnose/collector.js';
import { trimToWindow } from '../../payload/diagnose/collectors/aa.js';
import { parseResolvConf } from '../../payload/diagnose/collectors/dns.js';
import { ipv6FromHex, parseProcIpv6Route, parseProcRoute, scopeOf } from '../../payload/diagnose/collectors/network.js';
import { journalEvents } from '../../payload/diagnose/collectors/os-tls.js';
import { execCommand } from '../../payload/diagnose/exec.js';
import { expandGlob } from '../../payload/diagnose/glob.js';
import { applyAaConfig, parseSince, parseSize, type DiagnoseFlags } from '../../payload/diagnose/options.js';
import { REDACTED, Redactor, secretEnvValues } from '../../payload/diagnose/redact.js';

const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-diag-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('redaction', () => {
  const r = new Redactor();
  r.addSecret('Kn0wn-Secret-Value');

  it.each([
    ['key=value', 'smtp.password=hunter2-x9 port=587', 'hunter2-x9', 'port=587'],
    ['JSON', '{"smtpPassword": "p\\"w-77", "user": "bot@x.test"}', 'p\\"w-77', '"user": "bot@x.test"'],
    ['XML attribute', '<smtp password="xml-pw-55" host="smtp.gmail.com"/>', 'xml-pw-55', 'host="smtp.gmail.com"'],
    ['Authorization header', 'Authorization: Basic ' + b64('u:basic-pw-1'), b64('u:basic-pw-1'), 'Authorization: Basic'],
    ['Proxy-Authorization', 'Proxy-Authorization: NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAA', 'TlRMTVNTUAAB', 'Proxy-Authorization: NTLM'],
    ['Bearer token', 'calling with Bearer abc.DEF_123-xyz9876', 'abc.DEF_123-xyz9876', 'calling with Bearer'],
    ['AUTH PLAIN blob', 'C: AUTH PLAIN ' + b64('\0bot@x.test\0plain-pw-3'), b64('\0bot@x.test\0plain-pw-3'), 'AUTH PLAIN'],
    ['OAuth access token', 'token ya29.a0AfB_abcdefghijk-123 expired', 'ya29.a0AfB', 'expired'],
    ['URL credentials', 'proxy http://aauser:url-pw-9@proxy.corp:3128 used', 'url-pw-9', 'http://***:***@proxy.corp:3128'],
    ['a known secret', 'login with Kn0wn-Secret-Value ok', 'Kn0wn-Secret-Value', 'login with'],
    ['a known secret in base64, inside a larger blob', 'blob ' + b64('user\0Kn0wn-Secret-Value\0'), b64('user\0Kn0wn-Secret-Value\0'), 'blob'],
  ])('masks %s', (_name, input, secret, kept) => {
    const out = r.text(input);
    expect(out).not.toContain(secret);
    expect(out).toContain(kept);
    expect(out.includes(REDACTED) || out.includes('***:***@')).toBe(true);
  });

  it('masks the base64 lines of an AUTH LOGIN dialogue in a log, and stops at the final reply', () => {
    const log = ['DEBUG SMTP: AUTH LOGIN', '334 VXNlcm5hbWU6', b64('bot@x.test'), '334 UGFzc3dvcmQ6', b64('login-pw-5'), '235 2.7.0 Accepted', 'Message sent OK'].join('\n');
    const out = r.text(log);
    expect(out).not.toContain(b64('login-pw-5'));
    expect(out).not.toContain(b64('bot@x.test'));
    expect(out).toContain('235 2.7.0 Accepted\nMessage sent OK');
  });

  it('stays linear on multi-megabyte lines (a log of one long base64 or word run)', () => {
    const big = 'A'.repeat(2_000_000) + '\n' + 'ab/'.repeat(300_000) + '\n' + 'http://u:linear-pw-1@x.test/\n';
    const t0 = performance.now();
    const out = r.text(big);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(out).not.toContain('linear-pw-1');
  });

  it('keeps EHLO AUTH capability lines and the JSON around them, masks an AUTH PLAIN argument', () => {
    const blob = b64('\0bot@x.test\0plain-pw-8');
    const doc = { ehlo: ['250-AUTH PLAIN LOGIN', '250-AUTH LOGIN XOAUTH2', '250 AUTH=LOGIN PLAIN'], sent: `C: AUTH PLAIN ${blob}`, n: 3 };
    const written = JSON.stringify(doc, null, 2) + '\n';
    const out = r.file('probe_summary.json', Buffer.from(written)).toString('utf8');
    const parsed = JSON.parse(out) as typeof doc;
    expect(parsed.ehlo).toEqual(doc.ehlo);
    expect(parsed.sent).toBe(`C: AUTH PLAIN ${REDACTED}`);
    expect(out).toBe(JSON.stringify({ ...doc, sent: parsed.sent }, null, 2) + '\n');
    expect(r.text('S: 250-AUTH PLAIN LOGIN\nS: 250 OK')).toBe('S: 250-AUTH PLAIN LOGIN\nS: 250 OK');
  });

  it('leaves a JSON file with nothing to mask byte for byte, and one cut at the cap to text redaction', () => {
    const raw = '{"a":  "250-AUTH PLAIN LOGIN"}';
    expect(r.file('raw/x.json', Buffer.from(raw)).toString()).toBe(raw);
    expect(r.file('raw/x.json', Buffer.from('{"password": "cut-pw-1", "b"')).toString()).not.toContain('cut-pw-1');
  });

  it('reads a proxy password with a stray % without throwing', () => {
    expect(secretEnvValues({ HTTPS_PROXY: 'http://u:p%zz-pw@host:3128' })).toContain('p%zz-pw');
    expect(secretEnvValues({ HTTPS_PROXY: 'http://u:p%40ss@host:3128' })).toContain('p@ss');
  });

  it('leaves ordinary probe text alone', () => {
    const text = '2026-01-01T00:00:00.000Z C  AUTH PLAIN [withheld]\n2026-01-01T00:00:00.010Z S  235 2.7.0 Accepted\n"secret_from": "env SMTP_PROBE_PASSWORD"\nconnection closed';
    expect(r.text(text)).toBe(text);
  });
});

describe('bot configuration and flags', () => {
  it('reads a JSON export, maps the SSL mode and keeps the password only for redaction', () => {
    const c = parseAaConfig('bot.json', JSON.stringify({ smtp: { server: 'smtp.gmail.com', port: 465, ssl: 'SSL', username: 'bot@x.test', password: 'cfg-pw' }, activity: 'Send invoices' }));
    expect(c).toMatchObject({ server: 'smtp.gmail.com', port: 465, sslMode: 'SSL', mode: 'implicit', user: 'bot@x.test', activity: 'Send invoices', secrets: ['cfg-pw'] });
  });

  it('reads key=value lines and applies them unless the command line said otherwise', () => {
    const c = parseAaConfig('bot.properties', '# exported\nSMTP Server = smtp.example.test\nSMTP Port=2525\nUse secure connection=true\n');
    expect(c).toMatchObject({ server: 'smtp.example.test', port: 2525, mode: 'auto' });
    const flags = { host: 'smtp.gmail.com', mode: 'auto' } as DiagnoseFlags;
    applyAaConfig(flags, c, () => false);
    expect(flags).toMatchObject({ host: 'smtp.example.test', port: ['2525'] });
    const given = { host: 'other.test', port: ['587'], mode: 'auto' } as DiagnoseFlags;
    applyAaConfig(given, c, (f) => f === 'host' || f === 'port');
    expect(given).toMatchObject({ host: 'other.test', port: ['587'] });
  });

  it('rejects configurations it cannot use, in one line', () => {
    expect(() => parseAaConfig('x.json', '{"server": "a", "ssl": "maybe"}')).toThrow(/unknown SSL mode "maybe"/);
    expect(() => parseAaConfig('x.json', '{"colour": "blue"}')).toThrow(/names no SMTP server or port/);
    expect(() => parseAaConfig('x.json', '{"server": ')).toThrow(/not valid JSON/);
  });

  it('parses --since spans and dates, and sizes', () => {
    const now = new Date('2026-03-12T12:00:00Z');
    expect(parseSince('2h', now).toISOString()).toBe('2026-03-12T10:00:00.000Z');
    expect(parseSince('2d', now).toISOString()).toBe('2026-03-10T12:00:00.000Z');
    expect(parseSince('2026-03-12T08:00:00Z', now).toISOString()).toBe('2026-03-12T08:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(/invalid --since "yesterday"/);
    expect(parseSize('5MB', '--x')).toBe(5 * 1024 * 1024);
    expect(() => parseSize('lots', '--x')).toThrow(/invalid --x/);
  });
});

describe('collector runner', () => {
  const ctx = { platform: process.platform } as CollectorContext;
  const limits = { timeoutMs: 200, maxBytes: 1024, skip: [] as string[] };
  const make = (run: Collector<{ n: number }>['run']): Collector<{ n: number }> => ({ name: 'dns', file: 'dns_snapshot.json', data: z.object({ n: z.number() }), run });

  it('records a timeout, a crash and a skip without throwing, and a source that failed as partial', async () => {
    const slow = await runCollector(make(() => new Promise((r) => setTimeout(() => r({ n: 1 }), 2000))), ctx, limits);
    expect(slow).toMatchObject({ status: 'timeout', reason: 'timed out after 200 ms' });
    expect(slow.duration_ms).toBeLessThan(1000);
    expect(await runCollector(make(async () => { throw new Error('boom'); }), ctx, limits)).toMatchObject({ status: 'failed', reason: 'boom' });
    expect(await runCollector(make(async () => { throw new Skip('not this OS'); }), ctx, limits)).toMatchObject({ status: 'skipped', reason: 'not this OS' });
    expect(await runCollector(make(async () => ({ n: 1 })), ctx, { ...limits, skip: ['dns'] })).toMatchObject({ status: 'skipped', reason: 'turned off with --skip' });
    const partial = await runCollector(make(async (_c, rec) => (rec.source('file /nope', false, 'file not found'), { n: 2 })), ctx, limits);
    expect(partial.status).toBe('partial');
    expect(partial.json).toMatchObject({ data: { n: 2 }, sources: [{ source: 'file /nope', ok: false, reason: 'file not found' }] });
  });

  it('caps kept files at the size limit, keeping the newest end of logs', async () => {
    const r = await runCollector(make(async (_c, rec) => (rec.keep('a.txt', 'x'.repeat(5000)), rec.keep('b.log', 'old\n' + 'y'.repeat(5000) + 'NEWEST', true), { n: 0 })), ctx, limits);
    expect(r.files[0]!.data.length).toBeLessThan(1200);
    expect(r.files[1]!.data.toString()).toMatch(/bytes cut here[\s\S]*NEWEST$/);
  });
});

describe('command runner', () => {
  it('says why a command gave nothing: missing, timed out, failed; and caps output', async () => {
    expect((await execCommand('smtp-probe-no-such-command', [], { timeoutMs: 2000, maxBytes: 1000 })).reason).toBe('command missing: smtp-probe-no-such-command');
    expect((await execCommand('sleep', ['5'], { timeoutMs: 150, maxBytes: 1000 })).reason).toBe('timed out after 150 ms');
    expect((await execCommand(process.execPath, ['-e', 'console.error("bad thing"); process.exit(3)'], { timeoutMs: 5000, maxBytes: 1000 })).reason).toBe('exit code 3: bad thing');
    const big = await execCommand(process.execPath, ['-e', 'process.stdout.write("z".repeat(100000))'], { timeoutMs: 5000, maxBytes: 1000 });
    expect(big).toMatchObject({ ok: true, truncated: true });
    expect(big.stdout.length).toBe(1000);
  });
});

describe('Linux parsers, log window, glob', () => {
  it('reads resolv.conf', () => {
    expect(parseResolvConf('# x\nnameserver 10.0.0.2\nnameserver fd00::53\nsearch corp.test lab.test\noptions ndots:2 timeout:1\n')).toEqual({ nameservers: ['10.0.0.2', 'fd00::53'], search: ['corp.test', 'lab.test'], options: ['ndots:2', 'timeout:1'] });
  });

  it('finds default routes in /proc/net/route and /proc/net/ipv6_route, ignoring reject routes', () => {
    const v4 = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n';
    expect(parseProcRoute(v4)).toEqual([{ family: 4, gateway: '192.0.2.1', interface: 'eth0', metric: 100 }]);
    const v6 = [
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0',
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo',
    ].join('\n');
    expect(parseProcIpv6Route(v6)).toEqual([{ family: 6, gateway: 'fd00::1', interface: 'eth0', metric: 1024 }]);
    expect(ipv6FromHex('20010db8000000000000000000000001')).toBe('2001:db8::1');
    expect([scopeOf('10.1.2.3'), scopeOf('fe80::1'), scopeOf('2001:db8::1'), scopeOf('127.0.0.1'), scopeOf('fd00::2')]).toEqual(['private', 'link-local', 'global', 'loopback', 'private']);
  });

  it('keeps TLS-related journal lines only', () => {
    const ev = journalEvents('2026-03-12T09:00:00+0000 vm postfix/smtp[12]: SSL_connect error to x: certificate verify failed\n2026-03-12T09:00:01+0000 vm cron[3]: job done\n');
    expect(ev).toEqual([{ time: '2026-03-12T09:00:00+0000', id: null, level: null, source: 'postfix/smtp', message: 'SSL_connect error to x: certificate verify failed' }]);
  });

  it('drops log lines older than --since, with continuation lines following their entry', () => {
    const log = '2026-03-12 07:00:00,001 INFO old entry\n  at old.stack\n2026-03-12T09:30:00.5Z ERROR new entry\n  at new.stack\n';
    const r = trimToWindow(log, new Date('2026-03-12T09:00:00Z'));
    expect(r.text).not.toContain('old');
    expect(r.text).toContain('new entry\n  at new.stack');
  });

  it('expands *, ? and ** patterns', () => {
    mkdirSync(join(dir, 'Logs/sub'), { recursive: true });
    for (const f of ['Logs/Bot_Launcher.log', 'Logs/Node_Manager.log.1', 'Logs/sub/deep.log', 'Logs/readme.txt']) writeFileSync(join(dir, f), 'x');
    utimesSync(join(dir, 'Logs/readme.txt'), new Date(), new Date());
    expect(expandGlob(join(dir, 'Logs/*.log*'))).toEqual([join(dir, 'Logs/Bot_Launcher.log'), join(dir, 'Logs/Node_Manager.log.1')]);
    expect(expandGlob(join(dir, 'Logs/**/*.log'))).toEqual([join(dir, 'Logs/Bot_Launcher.log'), join(dir, 'Logs/sub/deep.log')]);
    expect(expandGlob(join(dir, 'Logs/Bot_Launche?.log'))).toEqual([join(dir, 'Logs/Bot_Launcher.log')]);
    expect(expandGlob(join(dir, 'None/*.log'))).toEqual([]);
  });

  it('expands braces and classes (picomatch), matches case-blind on Windows, and reads "(x86)" folders literally', () => {
    mkdirSync(join(dir, 'Glob/Program Files (x86)/AA'), { recursive: true });
    for (const f of ['Glob/Program Files (x86)/AA/Bot.log', 'Glob/a.log', 'Glob/b.log', 'Glob/c.log', 'Glob/.hidden.log']) writeFileSync(join(dir, f), 'x');
    expect(expandGlob(join(dir, 'Glob/{a,c}.log'))).toEqual([join(dir, 'Glob/a.log'), join(dir, 'Glob/c.log')]);
    expect(expandGlob(join(dir, 'Glob/[ab].log'))).toEqual([join(dir, 'Glob/a.log'), join(dir, 'Glob/b.log')]);
    expect(expandGlob(join(dir, 'Glob/*.log'))).toContain(join(dir, 'Glob/.hidden.log'));
    expect(expandGlob(join(dir, 'Glob/Program Files (x86)/AA/*.log'))).toEqual([join(dir, 'Glob/Program Files (x86)/AA/Bot.log')]);
    expect(expandGlob(join(dir, 'Glob/*.LOG'), 'linux')).toEqual([]);
    expect(expandGlob(join(dir, 'Glob/*.LOG'), 'win32')).toHaveLength(4);
  });
});

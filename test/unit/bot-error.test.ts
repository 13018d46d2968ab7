// diagnose reads the bot's own last mail error from its (redacted) AA logs, classifies it
// with explain's engine, and reads it against the probe's verdict in one line.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { botErrorLine, entries, lastBotError, readingOf, READINGS } from '../../payload/diagnose/bot-error.js';
import { runCollector, type CollectorContext } from '../../payload/diagnose/collector.js';
import { aaCollector } from '../../payload/diagnose/collectors/aa.js';
import { Redactor } from '../../payload/diagnose/redact.js';
import { AaSchema, type Aa } from '../../payload/schema/diagnose.js';

const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-boterror-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AUTH_TRACE = [
  '2026-03-12 10:04:11,532 ERROR [EmailSend] Send invoices: email could not be sent',
  'javax.mail.AuthenticationFailedException: 535-5.7.8 Username and Password not accepted. For more information, go to',
  '535 5.7.8  https://support.google.com/mail/?p=BadCredentials a1-2 - gsmtp',
  '',
  '\tat com.sun.mail.smtp.SMTPTransport$Authenticator.authenticate(SMTPTransport.java:947)',
  '\tat javax.mail.Transport.send(Transport.java:102)',
];

describe('the bot\'s last mail error in a log', () => {
  it('groups a trace under its stamped line and finds the last error, not the first', () => {
    const log = [
      '2026-03-12 09:00:00,001 ERROR [EmailSend] java.net.UnknownHostException: smtp.gmial.com',
      '2026-03-12 09:30:00,001 INFO [Bot] step 4 done',
      ...AUTH_TRACE,
      '2026-03-12 10:05:00,000 INFO [Bot] bot finished',
    ].join('\n');
    expect(entries(log).map((e) => [e.at, e.lines.length])).toEqual([['2026-03-12 09:00:00', 1], ['2026-03-12 09:30:00', 1], ['2026-03-12 10:04:11', 6], ['2026-03-12 10:05:00', 1]]);
    expect(lastBotError(log, 'aa_logs/Bot.log', 'Send invoices')).toMatchObject({
      at: '2026-03-12 10:04:11',
      activity: 'Send invoices',
      file: 'aa_logs/Bot.log',
      class: 'auth',
      rule: 'gmail-535-bad-credentials',
      library: 'javamail',
      evidence_line: 'javax.mail.AuthenticationFailedException: 535-5.7.8 Username and Password not accepted. For more information, go to',
    });
  });

  it('reads a bare failing reply in a log line, and ignores logs without a mail error', () => {
    const r = lastBotError('2026-03-12T10:04:11.000Z ERROR Email: Send failed: 550 5.7.1 Relaying denied\n2026-03-12T10:04:12.000Z INFO 250 OK', 'f', null);
    expect(r).toMatchObject({ at: '2026-03-12 10:04:11', class: 'smtp-policy', library: null });
    expect(lastBotError('2026-03-12 10:00:00 INFO started\n2026-03-12 10:00:01 INFO 250 2.0.0 OK queued\nplain words', 'f', null)).toBeNull();
  });

  it('reads a .NET inner exception chain from a bot log', () => {
    const r = lastBotError('2026-03-12 10:04:11 ERROR System.Net.Mail.SmtpException: Failure sending mail. ---> System.Net.Sockets.SocketException (10060): A connection attempt failed because the connected party did not properly respond after a period of time', 'f', null);
    expect(r).toMatchObject({ class: 'connect', library: 'dotnet-smtpclient', rule: 'dotnet-socket-timeout' });
  });
});

describe('the bot\'s error read against the probe', () => {
  it.each([
    ['auth', 'ok', 'ok', 'the path works, the credentials are the problem'],
    ['auth', 'ok', 'ok-auth', READINGS['auth/ok-auth']],
    ['connect', 'ok', 'ok', 'the path works now: intermittent, or the bot uses another host/port/proxy'],
    ['tls', 'ok', 'ok', READINGS['tls/ok']],
    ['tls', 'tls', 'tls-untrusted', READINGS.same],
    ['auth', 'connect', 'connect-timeout', READINGS['auth/fail']],
    ['dns', 'connect', 'connect-refused', READINGS.fail],
  ] as const)('bot %s, probe %s (%s)', (bot, probe, hintId, reading) => {
    expect(readingOf(bot, probe, hintId)).toBe(reading);
  });

  it('composes the line at the top of report.md', () => {
    const line = botErrorLine(
      { at: '2026-03-12 10:04:11', activity: 'Send invoices', file: 'aa_logs/x.log', class: 'auth', rule: 'r', library: 'javamail', summary: 's', next_step: 'n', evidence_line: '535 5.7.8 Username and Password not accepted.', source: null, probe_class: 'ok', reading: readingOf('auth', 'ok', 'ok') },
      'the full path works',
    );
    expect(line).toBe('The bot\'s last mail error (2026-03-12 10:04:11, Send invoices): auth — 535 5.7.8 Username and Password not accepted. The probe from this machine now: ok: the path works, the credentials are the problem.');
  });
});

describe('the AA collector puts the bot\'s error in aa_context.json, from the redacted copy', () => {
  it('finds the planted trace, reads it against the verdict, and never carries a secret', async () => {
    const logs = join(dir, 'Logs');
    mkdirSync(logs);
    const now = new Date();
    const stamp = (ms: number) => new Date(now.getTime() - ms).toISOString().replace('T', ' ').slice(0, 19);
    writeFileSync(join(logs, 'Bot_Launcher.log'), [`${stamp(60_000)} INFO Email: connecting with password=Planted-Pw-7731`, `${stamp(30_000)} ERROR [EmailSend] Send failed`, 'javax.mail.AuthenticationFailedException: 535 5.7.8 Username and Password not accepted for user bot password=Planted-Pw-7731', '\tat javax.mail.Transport.send(Transport.java:102)', ''].join('\n'));
    const redactor = new Redactor();
    const ctx = {
      platform: process.platform,
      now,
      diag: { since: new Date(now.getTime() - 3_600_000), sinceText: '1h', aa: { activity: 'Send invoices', runId: null, host: null, config: null, logGlobs: [join(logs, '*.log')], logGlobsGiven: true, capBytes: 1 << 20 } },
      probe: { summary: { verdict: { class: 'ok', hint_id: 'ok', summary: 'the full path works' } } },
    } as unknown as CollectorContext;
    const r = await runCollector(aaCollector as never, ctx, { timeoutMs: 5000, maxBytes: 1 << 20, skip: [], redact: redactor.file });
    const aa = AaSchema.parse(r.json) as Aa;
    expect(aa.schema_version).toBe(2);
    expect(aa.data!.bot_error).toMatchObject({ activity: 'Send invoices', class: 'auth', library: 'javamail', probe_class: 'ok', reading: 'the path works, the credentials are the problem', file: 'aa_logs/Bot_Launcher.log' });
    expect(aa.data!.bot_error!.at).toBe(stamp(30_000));
    expect(JSON.stringify(r.json)).not.toContain('Planted-Pw-7731');
    expect(aa.data!.bot_error!.evidence_line).toMatch(/^javax\.mail\.AuthenticationFailedException: 535 5\.7\.8 Username and Password not accepted/);
  });

  it('still parses a version 1 file, whose bot_error defaults to null', () => {
    const v1 = { schema: 'smtp-probe/diagnose-aa', schema_version: 1, collector: 'aa', status: 'ok', reason: null, started_at: '2026-03-12T10:00:00.000Z', duration_ms: 1, platform: 'linux', sources: [], notes: [], data: { activity: null, run_id: null, aa_host: null, config_file: null, configured: { server: null, port: null, ssl_mode: null, user: null }, log_globs: [], since: '2026-03-12T09:00:00.000Z', logs: [], cap_bytes: 1 } };
    expect(AaSchema.parse(v1).data!.bot_error).toBeNull();
  });
});

describe('the scan stays bounded on a hostile log', () => {
  it('1 MB of stamped lines with no mail error, and 1 MB of near-misses, each scan fast', () => {
    const shapes = [
      '2026-03-12 10:00:00 INFO a\n',
      '2026-03-12 10:00:00 ERROR job 5350- done\n',
      '2026-03-12 10:00:00 ERROR Caused by: x ---> y\n',
      'a\n',
    ];
    for (const unit of shapes) {
      const log = unit.repeat(Math.ceil((2 * 1024 * 1024) / unit.length));
      const t0 = performance.now();
      expect(lastBotError(log, 'f', null)).toBeNull();
      const ms = performance.now() - t0;
      // A few hundred milliseconds on a slow runner, once per log; backtracking would be minutes.
      expect(ms, unit).toBeLessThan(3000);
    }
  });
});

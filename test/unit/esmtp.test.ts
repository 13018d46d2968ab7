import { describe, expect, it } from 'vitest';
import { findGreylist, greylistDelay, isGreylisting, retryWaitS } from '../../payload/probe/greylist.js';
import { esmtpMatrix, thresholds } from '../../payload/probe/esmtp-matrix.js';
import { emptySmtp } from '../../payload/probe/session.js';
import type { Attempt, SmtpReply } from '../../payload/schema/summary.js';

const reply = (code: number, line: string, ms = 5): SmtpReply => ({ code, enhanced: /^\d{3} (\d\.\d{1,3}\.\d{1,3})/.exec(line)?.[1] ?? null, lines: [line], ms });

describe('greylisting replies', () => {
  it.each([
    ['450 4.2.0 <a@b>: Recipient address rejected: Greylisted for 300 seconds (see http://postgrey.schweikert.ch/help/b.html)', 300],
    ['451 4.7.1 Greylisted, please try again in 5 minutes', 300],
    ['451 4.7.1 Please try again in 60 seconds', 60],
    ['451 Greylisting in action, please come back after 90s', 90],
    ['450 4.7.1 Try again later, wait at least 2 min', 120],
    ['450 4.2.0 <a@b>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/b.html', null],
  ])('%s names a delay of %s s', (line, delay) => {
    expect(greylistDelay(line)).toBe(delay);
    expect(isGreylisting(reply(Number(line.slice(0, 3)), line))).toBe(true);
  });

  it('is not a 5xx, nor a 4.7.1 that names no delay and no greylisting', () => {
    expect(isGreylisting(reply(550, '550 5.7.1 Greylisted forever'))).toBe(false);
    expect(isGreylisting(reply(451, '451 4.7.1 Relay access denied'))).toBe(false);
    expect(isGreylisting(reply(421, '421 4.7.0 Try again later'))).toBe(false);
  });

  it('bounds the wait: the named delay, else the usual one, never over the maximum', () => {
    expect(retryWaitS(2, 360)).toBe(2);
    expect(retryWaitS(null, 360)).toBe(300);
    expect(retryWaitS(600, 360)).toBeNull();
  });

  it('finds the first greylisted step of an attempt', () => {
    const smtp = { ...emptySmtp(), mail: reply(250, '250 2.1.0 Ok'), rcpt: reply(450, '450 4.2.0 <a@b>: Greylisted for 10 seconds') };
    expect(findGreylist(smtp)).toMatchObject({ step: 'rcpt', code: 450, delay_s: 10 });
    expect(findGreylist({ ...smtp, rcpt: reply(250, '250 ok') })).toBeNull();
  });
});

function attempt(port: number, mode: Attempt['mode'], smtp: Partial<Attempt['smtp']>): Attempt {
  return {
    id: '001', round: 1, ip: '127.0.0.1', family: 4, path: 'direct', proxy: null, port, mode,
    started_at: new Date(0).toISOString(), connected_time: null, duration_ms: 100,
    tcp: { ok: true, connect_ms: 1, local_address: null, local_port: null, error: null }, tls: null,
    smtp: { ...emptySmtp(), ...smtp }, failed_stage: null,
    classification: { class: 'ok', hint_id: 'ok', summary: '', evidence: '', next_step: '' }, transcript_file: 'x',
  };
}

describe('the ESMTP matrix', () => {
  const ehloPlain = { code: 250, enhanced: null, lines: ['250-mx.test', '250-SIZE 35882577', '250-STARTTLS', '250 AUTH LOGIN'], ms: 5 };
  it('keeps AUTH before and after TLS apart, and judges MAIL FROM before STARTTLS by port', () => {
    const overTls = { auth_mechanisms: ['PLAIN', 'XOAUTH2'], size_bytes: 35882577, size_mb: 34.2, starttls: false, pipelining: true, eightbitmime: true, smtputf8: true, chunking: true, enhancedstatuscodes: true, dsn: false };
    const sub = attempt(587, 'starttls', { ehlo: ehloPlain, ehlo_tls: { ...ehloPlain, lines: ['250-mx.test', '250 AUTH PLAIN XOAUTH2'] }, features: overTls, mail_plain: reply(250, '250 2.1.0 Ok') });
    const mx = attempt(25, 'starttls', { ehlo: ehloPlain, ehlo_tls: ehloPlain, features: overTls, mail_plain: reply(250, '250 2.1.0 Ok') });
    const e = esmtpMatrix([sub, mx], thresholds());
    expect(e.ports[0]).toMatchObject({ port: 587, auth_before_tls: ['LOGIN'], auth_after_tls: ['PLAIN', 'XOAUTH2'], size_mb: 34.2, starttls_offered: true, mail_before_tls: 'accepted' });
    // Port 25 takes plain mail by design: no warning there.
    expect(e.findings.map((f) => `${f.id}:${f.port}`)).toEqual(['starttls-not-required:587']);
  });

  it('flags slow replies and tarpits against the thresholds, the worst one per port', () => {
    const slow = attempt(587, 'implicit', { banner: reply(220, '220 hi', 4000), ehlo: { ...ehloPlain, ms: 12_000 } });
    expect(esmtpMatrix([slow], thresholds()).findings).toMatchObject([{ id: 'tarpit', step: 'ehlo', ms: 12_000, severity: 'problem' }]);
    expect(esmtpMatrix([attempt(587, 'implicit', { banner: reply(220, '220 hi', 4000), ehlo: ehloPlain })], thresholds()).findings).toMatchObject([{ id: 'slow-reply', step: 'banner' }]);
    expect(esmtpMatrix([attempt(587, 'implicit', { banner: reply(220, '220 hi', 4000), ehlo: ehloPlain })], thresholds(3500)).findings).toMatchObject([{ id: 'tarpit', step: 'banner' }]);
  });

  it('counts a banner that never came within a long timeout as a tarpit, not only a timeout', () => {
    const a = { ...attempt(587, 'starttls', { error: { kind: 'timeout', code: null, message: 'banner: no reply within 30000 ms' } }), duration_ms: 30_010 };
    expect(esmtpMatrix([a], thresholds()).findings).toMatchObject([{ id: 'tarpit', step: 'banner' }]);
  });
});

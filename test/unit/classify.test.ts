import { describe, expect, it } from 'vitest';
import { classifyAttempt, type AttemptFacts } from '../../payload/classify/classify.js';
import { CLASSES, EXIT_CODES } from '../../payload/classify/classes.js';
import { HINTS } from '../../payload/classify/hints.js';
import { emptySmtp } from '../../payload/probe/session.js';
import { verdictOf } from '../../payload/probe/sweep.js';
import type { Attempt, Certificate, DnsResolution, SmtpReply, TlsResult } from '../../payload/schema/summary.js';

const reply = (lines: string[]): SmtpReply => ({ code: Number(lines[0]!.slice(0, 3)), enhanced: null, lines, ms: 1 });

function facts(over: Partial<AttemptFacts> = {}): AttemptFacts {
  return {
    where: '192.0.2.10:587',
    port: 587,
    mode: 'starttls',
    family: 4,
    failedStage: null,
    tcpError: null,
    tls: null,
    smtp: emptySmtp(),
    host: 'smtp.gmail.com',
    verifyName: 'smtp.gmail.com',
    proxyConfigured: false,
    ...over,
  };
}

const cert = (issuer: string): Certificate => ({
  subject: 'CN=smtp.gmail.com',
  issuer,
  subject_alt_names: ['DNS:smtp.gmail.com'],
  valid_from: '2026-01-01T00:00:00.000Z',
  valid_to: '2027-01-01T00:00:00.000Z',
  serial: '01',
  fingerprint_sha256: 'AA',
  self_signed: false,
});

function tls(over: Partial<TlsResult>): TlsResult {
  return { sni: 'smtp.gmail.com', after: 'starttls', handshake_ms: 3, protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', cipher_standard_name: null, alpn: null, authorized: false, verify_error: null, verify_reason: null, chain: [], os_trusted: null, os_store: null, error: null, ...over };
}

describe('classifier', () => {
  it('sees a TLS-inspection product in the issuer as proxy, not tls', () => {
    const c = classifyAttempt(facts({ failedStage: 'tls', tls: tls({ verify_error: 'SELF_SIGNED_CERT_IN_CHAIN', chain: [cert('CN=Zscaler Intermediate Root CA, O=Zscaler Inc.')] }) }));
    expect(c).toMatchObject({ class: 'proxy', hint_id: 'proxy-tls-interception' });
    expect(c.evidence).toContain('Zscaler');
  });

  it('reads clock skew from the verification error', () => {
    expect(classifyAttempt(facts({ failedStage: 'tls', tls: tls({ verify_error: 'CERT_NOT_YET_VALID', chain: [cert('CN=WR2, O=Google Trust Services')] }) })).hint_id).toBe('tls-cert-not-yet-valid');
    expect(classifyAttempt(facts({ failedStage: 'tls', tls: tls({ verify_error: 'CERT_HAS_EXPIRED', chain: [cert('CN=WR2, O=Google Trust Services')] }) })).hint_id).toBe('tls-cert-expired');
  });

  it('tells old-TLS and cipher refusals apart', () => {
    const err = (kind: string) => facts({ failedStage: 'tls', tls: tls({ error: { kind, code: 'ERR_SSL_X', message: 'x' } }) });
    expect(classifyAttempt(err('protocol-version')).hint_id).toBe('tls-protocol-version');
    expect(classifyAttempt(err('handshake-failure')).hint_id).toBe('tls-handshake-failure');
  });

  it('maps greeting codes: 421 defers, 554 refuses, garbage is unknown with the line kept', () => {
    const banner = (l: string) => facts({ failedStage: 'smtp', smtp: { ...facts().smtp, banner: reply([l]) } });
    expect(classifyAttempt(banner('421 4.7.0 Try again later, closing connection.'))).toMatchObject({ class: 'rate-limit', hint_id: 'gmail-421-try-again-later' });
    expect(classifyAttempt(banner('554 5.7.1 Service unavailable; Client host blocked'))).toMatchObject({ class: 'smtp-policy' });
    const garbage = classifyAttempt(facts({ failedStage: 'smtp', smtp: { ...facts().smtp, error: { kind: 'malformed', code: null, message: 'x' }, last_line: 'SSH-2.0-OpenSSH_9.2p1' } }));
    expect(garbage).toMatchObject({ class: 'unknown', hint_id: 'unknown-garbage' });
    expect(garbage.evidence).toContain('SSH-2.0-OpenSSH_9.2p1');
  });

  it('explains unreachable IPv6 as AAAA without IPv6 reachability', () => {
    const c = classifyAttempt(facts({ family: 6, where: '[2001:db8::1]:587', failedStage: 'connect', tcpError: { kind: 'unreachable', code: 'ENETUNREACH', message: 'x' } }));
    expect(c.hint_id).toBe('connect-ipv6-unreachable');
  });

  it('says when STARTTLS is missing, and blames a middlebox when the provider always offers it', () => {
    const missing = (host: string) => facts({ host, failedStage: 'tls', smtp: { ...facts().smtp, ehlo: reply(['250-mx', '250 SIZE 1000']), error: { kind: 'starttls-not-offered', code: null, message: 'x' } } });
    expect(classifyAttempt(missing('mail.example.org'))).toMatchObject({ class: 'tls', hint_id: 'tls-starttls-stripped' });
    expect(classifyAttempt(missing('smtp.gmail.com'))).toMatchObject({ class: 'proxy', hint_id: 'proxy-starttls-stripped' });
  });

  it('reads the same code differently by stage', () => {
    const at = (key: 'auth' | 'data_end', line: string) => classifyAttempt(facts({ failedStage: key === 'auth' ? 'auth' : 'smtp', smtp: { ...facts().smtp, [key]: reply([line]) } }));
    expect(at('auth', '530 5.7.0 Authentication Required').class).toBe('auth');
    expect(at('data_end', '552 5.7.0 This message was blocked because its content presents a potential security issue').class).toBe('smtp-policy');
  });
});

describe('verdict', () => {
  const attempt = (cls: string, hintId: string): Attempt => ({ family: 4, classification: { class: cls, hint_id: hintId, summary: cls, evidence: `e-${cls}`, next_step: 'n' } }) as unknown as Attempt;
  const dns = { targets: [], resolvers: [], source: 'resolver', hosts_file: null } as unknown as DnsResolution;

  it('is ok only when every attempt is', () => {
    expect(verdictOf(dns, [attempt('ok', 'ok'), attempt('ok', 'ok')])).toMatchObject({ class: 'ok', exit_code: 0, partial: false });
  });

  it('says how many attempts logged in when --auth-max stopped the others before AUTH', () => {
    const why = "the run's AUTH attempts are used up (--auth-max), to stay clear of the provider's login limits";
    const withSmtp = (a: Attempt, skipped: string | null) => ({ ...a, smtp: { ...emptySmtp(), auth_skipped: skipped } }) as Attempt;
    const v = verdictOf(dns, [withSmtp(attempt('ok', 'ok-auth'), null), withSmtp(attempt('ok', 'ok'), why), withSmtp(attempt('ok', 'ok'), why)]);
    expect(v).toMatchObject({ class: 'ok', hint_id: 'ok-auth', partial: false });
    expect(v.summary).toContain(`(authenticated on 1 of 3 attempts; 2 stopped before AUTH on purpose: ${why})`);
    // All attempts logged in: nothing to add.
    expect(verdictOf(dns, [withSmtp(attempt('ok', 'ok-auth'), null)]).summary).toBe('ok');
  });

  it('takes the most frequent failure and marks a partial success', () => {
    const v = verdictOf(dns, [attempt('ok', 'ok'), attempt('tls', 'tls-untrusted'), attempt('connect', 'connect-reset'), attempt('connect', 'connect-reset')]);
    expect(v).toMatchObject({ class: 'connect', exit_code: EXIT_CODES.connect, partial: true, counts: { ok: 1, tls: 1, connect: 2 }, evidence: 'e-connect' });
    expect(v.summary).toMatch(/^3 of 4 attempts failed/);
  });
});

describe('plain mode tells the truth', () => {
  const gmailEhlo = reply(['250-smtp.gmail.com at your service', '250-SIZE 35882577', '250-8BITMIME', '250-STARTTLS', '250 SMTPUTF8']);
  const quit = reply(['221 2.0.0 closing connection']);

  it('a server that offers STARTTLS and no AUTH in clear text (Gmail on 587) refuses a bot with TLS off: tls, on the EHLO line', () => {
    const smtp = { ...emptySmtp(), banner: reply(['220 smtp.gmail.com ESMTP']), ehlo: gmailEhlo, quit };
    const c = classifyAttempt(facts({ mode: 'plain', smtp }));
    expect(c).toMatchObject({ class: 'tls', hint_id: 'tls-plain-starttls-required' });
    expect(c.evidence).toContain('S: 250-STARTTLS');
    expect(c.next_step).toContain('port 587');
  });

  it('a clear-text dialogue that offers AUTH is ok, and says no TLS ran', () => {
    const smtp = { ...emptySmtp(), banner: reply(['220 relay.example ESMTP']), ehlo: reply(['250-relay.example', '250-AUTH PLAIN LOGIN', '250 STARTTLS']), quit };
    const c = classifyAttempt(facts({ mode: 'plain', smtp, host: 'relay.example' }));
    expect(c).toMatchObject({ class: 'ok', hint_id: 'ok-plain' });
    expect(c.summary).not.toMatch(/TLS with a trusted certificate/);
    expect(c.evidence).toContain('no TLS');
  });

  it('names the port probed in a mode-mismatch hint, not 465', () => {
    const smtp = { ...emptySmtp(), error: { kind: 'timeout', code: null, message: 'no banner in 10s' } };
    const c = classifyAttempt(facts({ port: 10465, where: '192.0.2.10:10465', mode: 'starttls', failedStage: 'smtp', smtp, speaksTls: true }));
    expect(c.hint_id).toBe('tls-starttls-on-implicit-port');
    expect(c.next_step).toContain('Port 10465');
    expect(c.next_step).not.toMatch(/\b465\b/);
  });
});

describe('hint table', () => {
  it('has unique ids, a known class and a next step for every hint, and covers every class', () => {
    const ids = HINTS.map((h) => h.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const h of HINTS) expect(CLASSES).toContain(h.class);
    // Each hint tells the reader something of its own: no two share a next step.
    const steps = HINTS.map((h) => h.next_step.trim());
    expect(steps.filter((x, i) => steps.indexOf(x) !== i)).toEqual([]);
    expect(new Set(HINTS.map((h) => h.class))).toEqual(new Set(CLASSES));
  });
});

// The IMAP/POP3 parsing and quoting the dialogues rest on, and the classification of the
// replies a mail-reading bot meets (no server needed).
import { describe, expect, it } from 'vitest';
import { imapCapabilities, imapQuote, imapStatus } from '../../payload/mailread/imap.js';
import { popCapabilities, popStatus } from '../../payload/mailread/pop3.js';
import { Pop3 } from '../../payload/mailread/pop3.js';
import { Imap } from '../../payload/mailread/imap.js';
import { mailSettings } from '../../payload/mailread/options.js';
import { explainReply } from '../../payload/classify/replies.js';

describe('IMAP parsing', () => {
  it('reads capabilities from the greeting code, an untagged CAPABILITY and a tagged OK', () => {
    expect(imapCapabilities(['* OK [CAPABILITY IMAP4rev1 SASL-IR auth=PLAIN] Dovecot ready.'])).toEqual(['IMAP4REV1', 'SASL-IR', 'AUTH=PLAIN']);
    expect(imapCapabilities(['* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED', 'a1 OK done'])).toEqual(['IMAP4REV1', 'STARTTLS', 'LOGINDISABLED']);
    expect(imapCapabilities(['a2 OK [CAPABILITY IMAP4rev1 IDLE] Logged in'])).toEqual(['IMAP4REV1', 'IDLE']);
    expect(imapCapabilities(['* OK ready'])).toBeNull();
  });

  it('tells a tag\'s status from another tag\'s and from untagged lines', () => {
    expect(imapStatus('a3 NO [AUTHENTICATIONFAILED] Authentication failed.', 'a3')).toBe('NO');
    expect(imapStatus('a3 ok done', 'a3')).toBe('OK');
    expect(imapStatus('a31 OK done', 'a3')).toBeNull();
    expect(imapStatus('* NO [ALERT] quota', 'a3')).toBeNull();
  });

  it('quotes a LOGIN argument, escaping quote and backslash, and refuses what needs a literal', () => {
    expect(imapQuote('bot@example.com')).toBe('"bot@example.com"');
    expect(imapQuote('pa"ss\\word')).toBe('"pa\\"ss\\\\word"');
    expect(imapQuote('line\r\nbreak')).toBeNull();
    expect(imapQuote('pässword')).toBeNull();
  });

  it('chooses LOGIN unless LOGINDISABLED leaves only AUTHENTICATE', () => {
    const imap = new Imap();
    expect(imap.pickMethod('auto', ['IMAP4REV1', 'AUTH=PLAIN'], false)).toBe('LOGIN');
    expect(imap.pickMethod('auto', ['IMAP4REV1', 'LOGINDISABLED', 'AUTH=PLAIN'], false)).toBe('PLAIN');
    expect(imap.pickMethod('auto', [], true)).toBe('XOAUTH2');
    expect(imap.mechanisms(['LOGINDISABLED', 'AUTH=XOAUTH2'])).toEqual(['XOAUTH2']);
    expect(imap.refusesPlaintext(['STARTTLS', 'LOGINDISABLED'])).toMatch(/LOGINDISABLED/);
  });
});

describe('POP3 parsing', () => {
  it('reads +OK / -ERR and the CAPA list', () => {
    expect(popStatus('+OK Dovecot ready.')).toBe('+OK');
    expect(popStatus('-ERR [AUTH] Authentication failed.')).toBe('-ERR');
    expect(popStatus('+ challenge')).toBeNull();
    const caps = popCapabilities(['+OK', 'capa', 'TOP', 'UIDL', 'sasl PLAIN XOAUTH2', 'STLS', 'USER', '.']);
    expect(caps).toEqual(['CAPA', 'TOP', 'UIDL', 'SASL PLAIN XOAUTH2', 'STLS', 'USER']);
    const pop = new Pop3();
    expect(pop.mechanisms(caps)).toEqual(['USER', 'PLAIN', 'XOAUTH2']);
    expect(pop.offersStarttls(caps)).toBe(true);
    expect(pop.pickMethod('login', caps, false)).toBe('USER');
    expect(pop.pickMethod('auto', ['SASL PLAIN'], false)).toBe('PLAIN');
  });
});

describe('imap|pop3 options', () => {
  it('defaults to the implicit port then the STARTTLS one, per protocol', () => {
    expect(mailSettings('imap', { mode: 'auto', mech: 'auto', out: '.' }).ports).toEqual([{ port: 993, mode: 'implicit' }, { port: 143, mode: 'starttls' }]);
    expect(mailSettings('pop3', { mode: 'auto', mech: 'auto', out: '.', port: ['110:plain', '2110'] }).ports).toEqual([{ port: 110, mode: 'plain' }, { port: 2110, mode: 'starttls' }]);
  });

  it('refuses bad input with one line', () => {
    expect(() => mailSettings('imap', { mode: 'auto', mech: 'auto', out: '.', port: ['99999'] })).toThrow(/--port "99999"/);
    expect(() => mailSettings('imap', { mode: 'auto', mech: 'cram-md5', out: '.' })).toThrow(/--mech/);
    expect(() => mailSettings('imap', { mode: 'auto', mech: 'auto', out: '.', login: true })).toThrow(/--login needs --user/);
  });
});

describe('IMAP/POP3 replies classified', () => {
  it.each([
    ['a2 NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.', 'imap', 'imap-plaintext-disallowed', 'tls'],
    ['a2 NO [AUTHENTICATIONFAILED] Authentication failed.', 'imap', 'imap-authenticationfailed', 'auth'],
    ['A01 NO AUTHENTICATE failed.', 'imap', 'imap-authenticate-failed', 'auth'],
    ['-ERR [AUTH] Authentication failed.', 'pop', 'pop-authentication-failed', 'auth'],
    ['-ERR [IN-USE] Mailbox locked', 'pop', 'pop-in-use', 'unknown'],
    ['-ERR [LOGIN-DELAY] wait', 'pop', 'pop-login-delay', 'rate-limit'],
  ] as const)('%s', (reply, protocol, id, cls) => {
    const e = explainReply(reply, { protocol });
    expect(e.rule?.id).toBe(id);
    expect(e.rule?.class).toBe(cls);
  });
});

// The client-error table end to end: realistic traces of every library (test/fixtures/
// client-errors.ts) read to a class, a library and the load-bearing line; an SMTP reply
// quoted inside an exception is read with the reply rules; bare replies read as before.
import { describe, expect, it } from 'vitest';
import { CLASSES } from '../../payload/classify/classes.js';
import { loadClientErrors } from '../../payload/classify/knowledge.js';

const { rules: CLIENT_RULES, libraries: LIBRARIES } = loadClientErrors();
import { readError } from '../../payload/classify/client-errors.js';
import { explainReply } from '../../payload/classify/replies.js';
import { explainText } from '../../payload/explain.js';
import { CLIENT_ERROR_FIXTURES } from '../../lab/client-errors.js';

describe('client errors: realistic traces', () => {
  for (const f of CLIENT_ERROR_FIXTURES) {
    it(f.name, () => {
      const r = readError(f.text);
      expect({ class: r.class, library: r.library, evidence: r.evidence_line, ...(f.rule ? { rule: r.rule } : {}) }).toEqual({ class: f.class, library: f.library, evidence: f.evidence, ...(f.rule ? { rule: f.rule } : {}) });
    });
  }

  it('every library of the table has at least one fixture, and every fixture a source', () => {
    const covered = new Set(CLIENT_ERROR_FIXTURES.map((f) => f.library));
    expect(LIBRARIES.filter((l) => !covered.has(l))).toEqual([]);
    for (const f of CLIENT_ERROR_FIXTURES) expect(f.source).toMatch(/^(https:\/\/|observed text: )/);
  });

  it('every rule has a known class, a source, and a unique id', () => {
    for (const r of CLIENT_RULES) {
      expect(CLASSES).toContain(r.class);
      expect(r.source).toMatch(/^(https:\/\/|observed text: )/);
    }
    expect(new Set(CLIENT_RULES.map((r) => r.id)).size).toBe(CLIENT_RULES.length);
  });
});

describe('client errors: the embedded reply wins over the client pattern', () => {
  it('a 535 inside AuthenticationFailedException is read with the AUTH-stage reply rules', () => {
    const r = readError('javax.mail.AuthenticationFailedException: 535 5.7.3 Authentication unsuccessful [AM0PR02CA0001.eurprd02.prod.outlook.com]');
    const direct = explainReply('535 5.7.3 Authentication unsuccessful [AM0PR02CA0001.eurprd02.prod.outlook.com]', { stage: 'auth' });
    expect(r.rule).toBe(direct.rule!.id);
    expect(r).toMatchObject({ class: 'auth', library: 'javamail', stage: 'auth', code: 535 });
  });

  it('a reply the reply rules do not know leaves the client rule in charge', () => {
    const r = readError('smtplib.SMTPAuthenticationError: (999, b\'whatever\')');
    expect(r).toMatchObject({ class: 'auth', rule: 'python-auth', library: 'python-smtplib' });
  });

  it('the --stage the user gives overrides the exception\'s stage', () => {
    expect(readError('javax.mail.MessagingException: 550 5.7.0 Request refused', { stage: 'data' }).class).toBe('smtp-policy');
  });
});

describe('explain --json keeps its fields and adds library and evidence_line', () => {
  it('a bare reply reads as before, with library null', () => {
    const reply = '535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8 https://support.google.com/mail/?p=BadCredentials a1-20020a - gsmtp';
    const out = explainText(reply, { stage: 'auth' });
    const before = explainReply(reply, { stage: 'auth' });
    expect(out).toMatchObject({ class: 'auth', rule: before.rule!.id, code: 535, enhanced: ['5.7.8'], provider: 'gmail', stage: 'auth', library: null });
    expect(out.evidence_line).toBe('535-5.7.8 Username and Password not accepted. Learn more at');
    expect(Object.keys(out).sort()).toEqual(['class', 'code', 'enhanced', 'evidence_line', 'library', 'next_step', 'provider', 'rule', 'source', 'stage', 'summary']);
  });

  it('a Java trace names its library and innermost cause', () => {
    const out = explainText(CLIENT_ERROR_FIXTURES.find((f) => f.name.startsWith('javamail could not connect'))!.text);
    expect(out).toMatchObject({ class: 'connect', library: 'javamail', evidence_line: 'Caused by: java.net.ConnectException: Connection refused' });
  });

  it('unknown text stays unknown', () => {
    expect(explainText('something odd happened')).toMatchObject({ class: 'unknown', rule: null, library: null });
  });
});

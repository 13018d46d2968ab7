// The redactor on the probe's own files: an EHLO capability list is no secret and a JSON
// file stays valid JSON after redaction (it used to lose the closing quote of
// "250-AUTH PLAIN LOGIN"), while a real AUTH argument is still masked; a proxy password
// with a bare % no longer stops diagnose.
import { describe, expect, it } from 'vitest';
import { Redactor, secretEnvValues } from '../../payload/diagnose/redact.js';

describe('redaction keeps structure', () => {
  it('EHLO capability lines survive, in text and inside JSON strings, and the JSON still parses', () => {
    const r = new Redactor();
    const ehlo = ['250-smtp.gmail.com at your service', '250-AUTH PLAIN LOGIN XOAUTH2', '250-AUTH LOGIN XOAUTH2', '250 AUTH=PLAIN LOGIN', '250-ENHANCEDSTATUSCODES', '250 SMTPUTF8'];
    const json = JSON.stringify({ smtp: { ehlo: { lines: ehlo } }, next: ['x', 'y'] }, null, 2);
    const out = r.text(json);
    expect(JSON.parse(out)).toEqual(JSON.parse(json));
    expect(r.text(ehlo.join('\n'))).toBe(ehlo.join('\n'));
  });

  it('an AUTH command argument is still masked, with what follows it left intact', () => {
    const r = new Redactor();
    const b64 = Buffer.from('\0bot@x.test\0pw-123456').toString('base64');
    expect(r.text(`C: AUTH PLAIN ${b64}`)).toBe('C: AUTH PLAIN [redacted]');
    expect(JSON.parse(r.text(JSON.stringify({ line: `AUTH PLAIN ${b64}` })))).toEqual({ line: 'AUTH PLAIN [redacted]' });
    expect(r.text('AUTH XOAUTH2 dXNlcj1ib3RAeC50ZXN0AWF1dGg9QmVhcmVyIHlhMjkuYWJjAQE=')).toBe('AUTH XOAUTH2 [redacted]');
  });

  it('a JSON file is redacted value by value: secret-named keys withheld, their neighbours and layout kept', () => {
    const r = new Redactor();
    const doc = { aa: { smtpPassword: 'hunter2-x y;z', password_env: 'SMTP_PROBE_PASSWORD', user: 'bot@x.test' }, note: 'AUTH PLAIN LOGIN' };
    const text = JSON.stringify(doc, null, 2) + '\n';
    const out = r.file('aa_context.json', Buffer.from(text)).toString('utf8');
    expect(JSON.parse(out)).toEqual({ aa: { smtpPassword: '[redacted]', password_env: 'SMTP_PROBE_PASSWORD', user: 'bot@x.test' }, note: 'AUTH PLAIN LOGIN' });
    expect(out).toBe(JSON.stringify(JSON.parse(out), null, 2) + '\n');
    expect(out).not.toContain('hunter2');
  });

  it('a proxy password with a bare % is collected as written (it made diagnose exit 1)', () => {
    expect(() => secretEnvValues({ HTTPS_PROXY: 'http://bot:p%zz-secret@10.0.0.5:3128' })).not.toThrow();
    expect(secretEnvValues({ HTTPS_PROXY: 'http://bot:p%zz-secret@10.0.0.5:3128' })).toContain('p%zz-secret');
    expect(secretEnvValues({ https_proxy: 'http://bot:p%40ss@10.0.0.5:3128' })).toEqual(expect.arrayContaining(['p%40ss', 'p@ss']));
  });
});

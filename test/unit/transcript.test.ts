import { describe, expect, it } from 'vitest';
import { Transcript, maskBase64 } from '../../payload/probe/transcript.js';

const SECRET = Buffer.from('\0bot@example.com\0app-password-1234').toString('base64');

describe('transcript sanitizing', () => {
  it('keeps the AUTH verb and mechanism, never the initial response', () => {
    const t = new Transcript(() => 0);
    t.client('AUTH PLAIN ' + SECRET);
    t.server('235 2.7.0 Accepted', true);
    t.client('MAIL FROM:<bot@example.com>');
    const text = t.render([]);
    expect(text).not.toContain(SECRET);
    expect(text).toContain('C  AUTH PLAIN [withheld]');
    expect(text).toContain('S  235 2.7.0 Accepted');
    // Once AUTH is answered, the dialogue is written again.
    expect(text).toContain('C  MAIL FROM:<bot@example.com>');
  });

  it('withholds every line of a LOGIN or XOAUTH2 exchange and the 334 challenges', () => {
    const t = new Transcript(() => 0);
    const user = Buffer.from('bot@example.com').toString('base64');
    const pass = Buffer.from('hunter2hunter2').toString('base64');
    const challenge = Buffer.from('{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}').toString('base64');
    t.client('AUTH LOGIN');
    t.server('334 VXNlcm5hbWU6', true);
    t.client(user);
    t.server('334 UGFzc3dvcmQ6', true);
    t.client(pass);
    t.server(`535-5.7.8 Username and Password not accepted. ${challenge}`, false);
    t.server('535 5.7.8 https://support.google.com/mail/?p=BadCredentials - gsmtp', true);
    const text = t.render([]);
    for (const s of [user, pass, challenge, 'VXNlcm5hbWU6']) expect(text).not.toContain(s);
    expect(text.match(/C {2}\[withheld\]/g)).toHaveLength(2);
    expect(text).toContain('S  334 [withheld]');
    expect(text).toContain('535 5.7.8 https://support.google.com/mail/?p=BadCredentials - gsmtp');
  });

  it('masks long base64 runs in server text', () => {
    expect(maskBase64('535 eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIn0= done')).toBe('535 [withheld] done');
    expect(maskBase64('250 2.0.0 OK 1700000000 x1-20020a05')).toBe('250 2.0.0 OK 1700000000 x1-20020a05');
  });
});

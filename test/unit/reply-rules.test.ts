import { describe, expect, it } from 'vitest';
import { CLASSES } from '../../payload/classify/classes.js';
import { loadReplyRules } from '../../payload/classify/knowledge.js';
import { explainReply } from '../../payload/classify/replies.js';
import { G, O365, SAMPLES } from '../../lab/reply-samples.js';


const REPLY_RULES = loadReplyRules();

describe('reply rules: sample replies', () => {
  it('covers every class a reply rule can give, each with a sample it wins', () => {
    const ruleClasses = new Set(REPLY_RULES.map((r) => r.class));
    const won = new Set(SAMPLES.map((s) => REPLY_RULES.find((r) => r.id === s.id)?.class));
    expect([...ruleClasses].filter((c) => !won.has(c))).toEqual([]);
  });

  for (const s of SAMPLES) {
    it(s.name, () => {
      const x = explainReply(s.reply, { stage: s.stage, provider: s.provider, host: s.host, protocol: s.protocol });
      expect({ id: x.rule?.id, class: x.rule?.class }).toEqual({ id: s.id, class: s.cls });
    });
  }
});

describe('reply rules: meaning depends on stage, provider and text', () => {
  it('5.7.0 means something else at AUTH than at DATA', () => {
    const reply = '550 5.7.0 Request refused';
    const auth = explainReply(reply, { stage: 'auth' }).rule;
    const data = explainReply(reply, { stage: 'data' }).rule;
    expect(auth?.class).toBe('auth');
    expect(data?.class).toBe('smtp-policy');
    expect(auth?.id).not.toBe(data?.id);
  });

  it('Gmail 421 4.7.0 after EHLO points at the EHLO name, at the banner at rate limiting', () => {
    const reply = `421 4.7.0 Try again later, closing connection. ${G}`;
    const ehlo = explainReply(reply, { stage: 'ehlo' }).rule!;
    const banner = explainReply(reply, { stage: 'banner' }).rule!;
    expect(ehlo.id).not.toBe(banner.id);
    expect([ehlo.class, banner.class]).toEqual(['rate-limit', 'rate-limit']);
    expect(ehlo.next_step).toMatch(/EHLO/);
  });

  it('gives every Microsoft 5.7.139 variant its own rule', () => {
    const variants = [
      'SmtpClientAuthentication is disabled for the Tenant.',
      'SmtpClientAuthentication is disabled for the Mailbox.',
      'basic authentication is disabled.',
      "user is locked by your organization's security defaults policy. Contact your administrator.",
      'the request did not meet the criteria to be authenticated successfully. Contact your administrator.',
      'account is disabled.',
    ];
    const ids = variants.map((v) => explainReply(`535 5.7.139 Authentication unsuccessful, ${v}`, { stage: 'auth', host: O365 }).rule?.id);
    expect(ids.every((id) => id?.startsWith('ms-'))).toBe(true);
    expect(new Set(ids).size).toBe(variants.length);
  });

  it('detects Gmail from "gsmtp" and Microsoft from the host name', () => {
    const gmail = explainReply(`535 5.7.8 Username and Password not accepted. ${G}`, { stage: 'auth' });
    expect(gmail.provider).toBe('gmail');
    expect(gmail.rule?.provider).toBe('gmail');
    const ms = explainReply('535 5.7.139 Authentication unsuccessful, basic authentication is disabled.', { stage: 'auth', host: O365 });
    expect(ms.provider).toBe('microsoft');
    expect(ms.rule?.id).toBe('ms-basic-auth-disabled');
    const unknown = explainReply('535 5.7.139 Authentication unsuccessful, basic authentication is disabled.', { stage: 'auth' });
    expect(unknown.provider).toBe('generic');
    expect(unknown.rule?.id).toBe('exo-5-7-139');
  });

  it('keeps IMAP and POP rules away from SMTP replies', () => {
    expect(explainReply('535 5.7.8 authentication failed', { stage: 'auth' }).rule?.protocol).toBe('smtp');
    expect(explainReply('-ERR authentication failed').rule?.protocol).toBe('pop');
    expect(explainReply('a1 NO [AUTHENTICATIONFAILED] x').rule?.protocol).toBe('imap');
  });
});

describe('reply rules: the table itself', () => {
  it('has unique kebab-case ids and complete prose on every rule', () => {
    const ids = REPLY_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of REPLY_RULES) {
      expect(r.id, r.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(CLASSES, r.id).toContain(r.class);
      expect(r.summary.trim().length, r.id).toBeGreaterThan(10);
      expect(r.next_step.trim().length, r.id).toBeGreaterThan(20);
      expect(r.source.trim().length, r.id).toBeGreaterThan(3);
      if (r.text) expect(r.text.global || r.text.sticky, r.id).toBe(false);
    }
  });

  // Every enhanced code the peer tool (smtp-test-tool) explains has a rule of its own,
  // not only a per-subject fallback (those ids end in "-x").
  const PEER_CODES = [
    '5.7.0', '5.7.1', '5.7.3', '5.7.8', '5.7.57', '5.7.60', '5.7.64', '5.7.124', '5.7.135', '5.7.139',
    '5.7.500', '5.7.501', '5.7.508', '5.7.511', '5.7.606', '5.7.708', '5.7.750',
    '5.1.0', '5.1.1', '5.1.7', '5.1.8', '5.1.10', '5.4.1', '5.2.1', '5.2.2', '5.3.4',
    '4.7.0', '4.4.2', '4.3.2',
  ];
  for (const code of PEER_CODES) {
    it(`covers ${code}`, () => {
      const basic = code.startsWith('4') ? 451 : 550;
      const rule = explainReply(`${basic} ${code} x`).rule;
      expect(rule?.enhanced?.([code])).toBe(true);
      expect(rule?.id).not.toMatch(/-x$/);
    });
  }
});

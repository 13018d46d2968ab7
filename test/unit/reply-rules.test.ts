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

  // Every enhanced code the peer tool (smtp-test-tool) explains reads as more than a
  // per-subject fallback (ids ending in "-x") when it comes with the wording the peer tool
  // gives it (../shared/spec/ref-smtp-test-tool-hints.txt, kept here so CI needs no spec).
  const PEER: Record<string, string> = {
    '5.7.0': 'Authentication required', '5.7.1': 'Relay access denied', '5.7.3': 'Authentication unsuccessful',
    '5.7.8': 'Authentication credentials invalid', '5.7.57': 'Client was not authenticated to send anonymous mail during MAIL FROM',
    '5.7.60': 'SendAsDenied; not allowed to send as this sender', '5.7.64': 'TenantAttribution; Relay Access Denied',
    '5.7.124': 'The user is not authorised to send mail', '5.7.135': 'Authentication unsuccessful, the user credentials have expired',
    '5.7.139': 'Authentication unsuccessful, the request did not meet the criteria', '5.7.500': 'Access denied, sending domain disabled',
    '5.7.501': 'Access denied, banned sender', '5.7.508': 'Access denied, rate or traffic threshold exceeded', '5.7.511': 'Access denied, banned sender',
    '5.7.606': 'Access denied, banned sending IP', '5.7.708': 'Service refused. Source IP has bad reputation',
    '5.7.750': 'Client blocked from sending from unregistered domains', '5.1.0': 'Sender address rejected', '5.1.1': 'Bad destination mailbox address',
    '5.1.7': 'Invalid sender address', '5.1.8': 'Sender domain not allowed', '5.1.10': 'Recipient address rejected: user unknown',
    '5.4.1': 'Recipient address rejected: access denied', '5.2.1': 'Mailbox disabled, not accepting messages', '5.2.2': 'Mailbox full',
    '5.3.4': 'Message too big for system', '4.7.0': 'Temporary authentication failure', '4.4.2': 'Connection dropped', '4.3.2': 'System not accepting network messages',
  };
  for (const [code, words] of Object.entries(PEER)) {
    it(`covers ${code} (${words})`, () => {
      const basic = code.startsWith('4') ? 451 : code.startsWith('5.7.') && /authentication|credentials/i.test(words) ? 535 : 550;
      const rule = explainReply(`${basic} ${code} ${words}`).rule;
      expect(rule?.id).toBeDefined();
      expect(rule?.id).not.toMatch(/-x$/);
    });
  }
});

describe('reply rules: every rule has a source and a sample it wins', () => {
  const won = new Set(
    SAMPLES.filter((s) => explainReply(s.reply, { stage: s.stage, provider: s.provider, host: s.host, protocol: s.protocol }).rule?.id === s.id).map((s) => s.id),
  );

  it('gives every rule a non-empty source', () => {
    expect(REPLY_RULES.filter((r) => r.source.trim() === '').map((r) => r.id)).toEqual([]);
  });

  it('has a sample for every rule that the rule wins', () => {
    expect(REPLY_RULES.map((r) => r.id).filter((id) => !won.has(id))).toEqual([]);
  });
});

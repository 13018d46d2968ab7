// The verdict of one IMAP/POP3 attempt: the same classes and hints as the SMTP probe for
// the network and TLS stages (classify/hints.ts), and the reply rules of
// classify/data/reply-rules.json (protocol imap / pop) for what the server said.
import { hint, type HintId } from '../classify/hints.js';
import { explainReply } from '../classify/replies.js';
import type { MailreadAttempt } from '../schema/mailread.js';
import type { MailSessionResult } from './session.js';

type Classification = MailreadAttempt['classification'];

const CONNECT_HINTS: Record<string, HintId> = {
  refused: 'connect-refused',
  timeout: 'connect-timeout',
  reset: 'connect-reset',
  unreachable: 'connect-unreachable',
  blocked: 'connect-blocked-locally',
};

const VERIFY_HINTS: Record<string, HintId> = {
  CERT_HAS_EXPIRED: 'tls-cert-expired',
  CERT_NOT_YET_VALID: 'tls-cert-not-yet-valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls-name-mismatch',
};

const TLS_HINTS: Record<string, HintId> = {
  'not-tls': 'tls-implicit-on-plaintext-port',
  'protocol-version': 'tls-protocol-version',
  'handshake-failure': 'tls-handshake-failure',
  reset: 'tls-reset',
  timeout: 'tls-timeout',
};

const PROTO = { imap: 'IMAP', pop3: 'POP3' } as const;

function fromHint(id: HintId, evidence: string): Classification {
  const h = hint(id);
  return { class: h.class, rule: id, summary: h.summary, evidence, next_step: h.next_step, source: null };
}

export function classifyMail(protocol: 'imap' | 'pop3', r: MailSessionResult): Classification {
  const where = `${r.address}:${r.port}`;
  const e = r.error;
  switch (r.failed_stage) {
    case null: {
      const tls = r.tls ? `${r.tls.protocol} ${r.tls.cipher}, certificate verified` : 'no TLS (--mode plain)';
      const login = r.login?.status === 'ok' ? `; ${r.login.method} accepted: ${r.steps.login?.lines.at(-1) ?? ''}` : r.login ? `; login not tried: ${r.login.why_not}` : '';
      return {
        class: 'ok',
        rule: r.login?.status === 'ok' ? 'ok-login' : 'ok',
        summary: r.login?.status === 'ok' ? `the ${PROTO[protocol]} path works including the login` : `the ${PROTO[protocol]} path works up to the login`,
        evidence: `${where}: ${tls}${login}`,
        next_step: r.login?.status === 'ok' ? 'The network path and the credentials work from this machine; compare the bot\'s server, port, TLS mode and user name with these.' : 'Nothing to fix on the network path; add --login to check the credentials too.',
        source: null,
      };
    }
    case 'connect':
      return fromHint(CONNECT_HINTS[e?.kind ?? ''] ?? 'connect-closed', `${where}: ${e?.message ?? 'connect failed'}`);
    case 'tls': {
      if (r.tls?.verify_error) return fromHint(VERIFY_HINTS[r.tls.verify_error] ?? 'tls-untrusted', `${where}: ${r.tls.verify_reason ?? r.tls.verify_error}`);
      return fromHint(TLS_HINTS[e?.kind ?? ''] ?? 'tls-error', `${where}: TLS: ${e?.message ?? 'handshake failed'}`);
    }
    case 'starttls':
      if (e?.kind === 'starttls-not-offered')
        return { ...fromHint('tls-starttls-stripped', `${where}: ${e.message}: ${r.evidence?.split('\n').find((l) => /CAPABILITY|^[A-Z]/.test(l)) ?? ''}`) };
      return fromHint('tls-starttls-refused', `${where}: ${r.evidence ?? e?.message ?? ''}`);
    case 'greeting':
      if (e?.kind === 'timeout' && r.mode !== 'implicit') return fromHint('tls-starttls-on-implicit-port', `${where}: ${e.message}`);
      break;
    default:
      break;
  }
  const text = r.evidence ?? e?.message ?? '';
  const ex = explainReply(text, { protocol: protocol === 'imap' ? 'imap' : 'pop' });
  // A challenge after the token is XOAUTH2's error report (base64 JSON, withheld): the token
  // was refused, whatever the final NO / -ERR says about "authentication".
  if (r.failed_stage === 'login' && e?.kind === 'refused' && r.login?.method === 'XOAUTH2' && r.steps.login?.lines.some((l) => /^\+(?: |$)/.test(l)))
    return fromHint('auth-xoauth2-rejected', `${where}: ${firstLine(text)}, after an XOAUTH2 error challenge (answered with an empty line)`);
  if (ex.rule) return { class: ex.rule.class, rule: ex.rule.id, summary: ex.rule.summary, evidence: `${where}: ${firstLine(text)}`, next_step: ex.rule.next_step, source: ex.rule.source };
  if (r.failed_stage === 'login' && e?.kind === 'refused') return { ...fromHint('auth-failed', `${where}: ${firstLine(text)}`), rule: 'auth-failed' };
  if (e?.kind === 'timeout') return fromHint('unknown-timeout', `${where}: ${e.message}`);
  return { ...fromHint('unknown-reply', `${where}: ${firstLine(text) || e?.message || 'no answer'}`) };
}

function firstLine(text: string): string {
  return text.split('\n').filter(Boolean).at(-1)?.slice(0, 300) ?? '';
}

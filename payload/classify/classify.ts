// Pins one attempt to one of the failure classes (classes.ts). The rules read in wire order: DNS -> TCP ->
// TLS -> SMTP -> AUTH. A failing server reply is looked up in the reply knowledge table
// with the provider and the stage it came at, since one code means different things at
// different stages.
import type { Classification, DnsResolution, ErrorInfo, ProxyAttempt, SmtpReply, SmtpResult, TlsResult } from '../schema/summary.js';
import { proxyEvidence, proxyRuleFor } from './proxy.js';
import { hint, type HintId } from './hints.js';
import { expectedIssuer, interceptorOf } from './interceptors.js';
import { detectProvider, explainReply, providerInfo, type ReplyRule, type ReplyStage } from './replies.js';

export interface AttemptFacts {
  where: string; // "127.0.0.1:587"
  host: string;
  port: number;
  mode: 'starttls' | 'implicit' | 'plain';
  family: 4 | 6 | null;
  failedStage: 'connect' | 'tls' | 'smtp' | 'auth' | null;
  tcpError: ErrorInfo | null;
  tls: TlsResult | null;
  smtp: SmtpResult;
  verifyName: string;
  /** Proxy variables are set on this machine (HTTPS_PROXY and friends). */
  proxyConfigured: boolean;
  /** What a second look found when no banner came: the port answered a TLS ClientHello. */
  speaksTls?: boolean;
  /** The served chain verified against the operating system's roots (null: not checked). */
  osTrusted?: boolean | null;
  /** The attempt went through this proxy (the tunnel facts). */
  proxy?: ProxyAttempt | null;
  /** Credentials were sent to the proxy. */
  proxyCredentials?: boolean;
}

function fromRule(rule: ReplyRule, evidence: string): Classification {
  return { class: rule.class, hint_id: rule.id, summary: rule.summary, evidence: evidence.slice(0, 500), next_step: rule.next_step };
}

/** A hint's text for this attempt: `{port}` stands for the port probed, so a hint never names another. */
function make(id: HintId, evidence: string, port?: number): Classification {
  const h = hint(id);
  const fill = (t: string) => (port === undefined ? t : t.replaceAll('{port}', String(port)));
  return { class: h.class, hint_id: h.id, summary: fill(h.summary), evidence: evidence.slice(0, 500), next_step: fill(h.next_step) };
}

export function classifyDns(d: DnsResolution): Classification {
  const e = d.error!;
  const via = d.source === 'resolver' ? `resolver ${d.resolvers[0]?.server}` : d.source === 'system' ? 'getaddrinfo (system resolver)' : 'address';
  const evidence = `${via}: ${d.host}: ${e.code ?? e.kind}: ${e.message}`;
  const byKind: Record<string, HintId> = {
    nxdomain: 'dns-nxdomain',
    timeout: 'dns-timeout',
    servfail: 'dns-servfail',
    'temporary-failure': 'dns-servfail',
    refused: 'dns-servfail',
    nodata: 'dns-no-address',
    family: 'dns-no-address',
  };
  return make(byKind[e.kind] ?? 'dns-error', evidence);
}

// Where each dialogue step sits, for the reply table.
const STEPS: ReadonlyArray<[keyof SmtpResult, ReplyStage, string]> = [
  ['banner', 'banner', 'connect'],
  ['ehlo', 'ehlo', 'EHLO'],
  ['starttls', 'starttls', 'STARTTLS'],
  ['ehlo_tls', 'ehlo', 'EHLO over TLS'],
  ['auth', 'auth', 'AUTH'],
  ['mail', 'mail', 'MAIL FROM'],
  ['rcpt', 'rcpt', 'RCPT TO'],
  ['data', 'data', 'DATA'],
  ['data_end', 'data', 'the message'],
  ['rset', 'any', 'RSET'],
  ['noop', 'any', 'NOOP'],
  ['quit', 'any', 'QUIT'],
];

function lastLine(r: SmtpReply | null): string | null {
  return r && r.lines.length ? r.lines[r.lines.length - 1]! : null;
}

/** The provider, from the host name or what the server said. */
export function providerOf(f: Pick<AttemptFacts, 'host' | 'smtp'>): ReturnType<typeof detectProvider> {
  return detectProvider({ host: f.host, text: [...(f.smtp.banner?.lines ?? []), ...(f.smtp.ehlo?.lines.slice(0, 1) ?? [])].join(' ') });
}

export function classifyAttempt(f: AttemptFacts): Classification {
  if (f.failedStage === 'connect') return classifyConnect(f);
  const s = f.smtp;
  const kind = s.error?.kind;

  // An HTTP answer on an SMTP port is a proxy, whatever stage saw it.
  if (kind === 'http-response') return make('proxy-http-on-smtp-port', `S: ${s.last_line ?? ''}`);
  if (f.failedStage === 'tls') return classifyTls(f);

  if (f.failedStage === 'smtp' || f.failedStage === 'auth') {
    if (kind === 'auth-mechanism-not-offered') return make('auth-mechanism-not-offered', `${f.where}: ${s.error!.message}`);
    const failing = [...STEPS].reverse().find(([k]) => {
      const r = s[k] as SmtpReply | null;
      return r && r.code !== null && !(r.code >= 200 && r.code < 400);
    });
    if (failing) return classifyReply(f, failing);
    if (kind === 'malformed') return make('unknown-garbage', `S: ${s.last_line ?? '(nothing)'}`);
    const noBanner = !s.banner || s.banner.code === null;
    if (kind === 'timeout' && noBanner) {
      if (f.mode !== 'implicit' && (f.speaksTls || f.port === 465)) {
        return make('tls-starttls-on-implicit-port', `${f.where}: ${s.error!.message}${f.speaksTls ? '; the port answered a TLS ClientHello' : ''}`, f.port);
      }
      return make('connect-no-banner', `${f.where}: ${s.error!.message}`);
    }
    if (kind === 'reset') return make('connect-reset', `${f.where}: ${s.error!.message}${noBanner ? ' (before the banner)' : ''}`);
    if (kind === 'closed') return make('connect-closed', `${f.where}: ${s.error!.message}${s.last_line ? `; last line: ${s.last_line}` : ''}`);
    if (kind === 'timeout') return make('unknown-timeout', `${f.where}: ${s.error!.message}`);
    return make('unknown', `${f.where}: ${s.error?.message ?? 'failed'}${s.last_line ? `; last line: ${s.last_line}` : ''}`);
  }

  if (f.mode === 'plain') return classifyPlain(f);
  const last = lastLine(s.quit) ?? lastLine(s.noop) ?? lastLine(s.data_end) ?? '';
  const tlsNote = f.tls ? `${f.tls.protocol} ${f.tls.cipher}, certificate verified for ${f.verifyName}; ` : '';
  const authNote = s.auth?.code === 235 ? `AUTH ${s.auth_mechanism} ${s.auth.code}, MAIL FROM ${s.mail?.code}${s.data_end ? `, message ${s.data_end.code}` : ''}; ` : '';
  return make(s.auth?.code === 235 ? 'ok-auth' : 'ok', `${f.where}: ${tlsNote}${authNote}${s.noop ? `NOOP ${s.noop.code}, ` : ''}S: ${last}`);
}

/**
 * A dialogue in clear text that went well says nothing about TLS: what a bot with SSL/TLS
 * off meets is whether the server lets it log in before TLS. A server that offers STARTTLS
 * and no AUTH in clear text (Gmail on 587) will refuse that bot.
 */
function classifyPlain(f: AttemptFacts): Classification {
  const lines = f.smtp.ehlo?.lines ?? [];
  const ext = (name: string) => lines.find((l) => new RegExp(`^\\d{3}[ -]${name}(?:[ =]|$)`, 'i').test(l));
  const starttls = ext('STARTTLS');
  const last = lastLine(f.smtp.quit) ?? lastLine(f.smtp.noop) ?? '';
  // With --send-test the server may have taken MAIL in clear text: then a bot without TLS can send.
  const mailTaken = f.smtp.mail?.code === 250;
  if (starttls && !ext('AUTH') && !mailTaken) return make('tls-plain-starttls-required', `${f.where}: S: ${starttls} (EHLO in clear text: STARTTLS offered, no AUTH before it)`, f.port);
  return make('ok-plain', `${f.where}: no TLS (--mode plain); ${ext('AUTH') ? `S: ${ext('AUTH')}; ` : ''}S: ${last}`, f.port);
}

function classifyReply(f: AttemptFacts, [key, stage, label]: readonly [keyof SmtpResult, ReplyStage, string]): Classification {
  const r = f.smtp[key] as SmtpReply;
  const evidence = `S: ${lastLine(r)} (reply to ${label}${key === 'auth' && f.smtp.auth_mechanism ? ` ${f.smtp.auth_mechanism}` : ''})`;
  // 334 then 535 is how XOAUTH2 says "token refused": the reason sits in the withheld challenge.
  if (key === 'auth' && f.smtp.auth_challenge) return make('auth-xoauth2-rejected', `${evidence}, after a 334 error challenge`);
  const x = explainReply(r.lines.join('\n'), { stage, provider: providerOf(f) });
  if (x.rule) return fromRule(x.rule, evidence);
  const code = r.code!;
  if (key === 'auth') return make('auth-failed', evidence);
  if (code === 421) return make('rate-limit-421', evidence);
  if (code >= 400 && code < 500) return make('rate-limit-temporary', evidence);
  if (code >= 500) return make('smtp-policy-rejected', evidence);
  return make('unknown-reply', evidence);
}

/** A provider that listens on other ports too (providers.json `connect_next_step`) says so after a failed connect. */
function withProviderPorts(f: AttemptFacts, c: Classification): Classification {
  const extra = providerInfo(providerOf(f))?.connect_next_step;
  if (!extra || extra.includes(`--port ${f.port}`)) return c;
  return { ...c, next_step: `${c.next_step} ${extra}` };
}

function classifyConnect(f: AttemptFacts): Classification {
  const c = connectClass(f);
  return c.class === 'connect' ? withProviderPorts(f, c) : c;
}

function connectClass(f: AttemptFacts): Classification {
  if (f.proxy?.failed_step) return make(proxyRuleFor(f.proxy, !!f.proxyCredentials), proxyEvidence(f.proxy));
  const e = f.tcpError!;
  const evidence = `connect ${f.where}: ${e.code ?? e.kind} (${e.message})`;
  if (f.proxyConfigured && (e.kind === 'timeout' || e.kind === 'refused' || e.kind === 'unreachable')) {
    return make('proxy-direct-blocked', `${evidence}; proxy variables are set on this machine`);
  }
  switch (e.kind) {
    case 'refused':
      return make('connect-refused', evidence);
    case 'timeout':
      return make('connect-timeout', evidence);
    case 'reset':
      return make('connect-reset', evidence);
    case 'unreachable':
      return make(f.family === 6 ? 'connect-ipv6-unreachable' : 'connect-unreachable', evidence);
    case 'blocked':
      return make('connect-blocked-locally', evidence);
    default:
      return make('unknown', evidence);
  }
}

function classifyTls(f: AttemptFacts): Classification {
  const s = f.smtp;
  if (s.error?.kind === 'starttls-not-offered') {
    const evidence = `S: ${lastLine(s.ehlo) ?? ''} (EHLO reply without STARTTLS)`;
    // Gmail and Microsoft 365 always offer STARTTLS (providers.json): its absence means something on the path removed it.
    return make(providerInfo(providerOf(f))?.always_offers_starttls ? 'proxy-starttls-stripped' : 'tls-starttls-stripped', evidence);
  }
  if (s.error?.kind === 'starttls-refused') {
    const x = explainReply(s.starttls!.lines.join('\n'), { stage: 'starttls', provider: providerOf(f) });
    if (x.rule) return fromRule(x.rule, `S: ${lastLine(s.starttls)}`);
    return make('tls-starttls-refused', `S: ${lastLine(s.starttls)}`);
  }
  const t = f.tls;
  if (!t) return make('tls-error', `${f.where}: TLS failed`);
  if (t.error) {
    const evidence = `TLS ${f.where}${t.sni ? ` (SNI ${t.sni})` : ''}: ${t.error.code ?? t.error.kind}: ${t.error.message}`;
    switch (t.error.kind) {
      case 'not-tls':
        return make(f.mode === 'implicit' ? 'tls-implicit-on-plaintext-port' : 'tls-error', evidence);
      case 'protocol-version':
        return make('tls-protocol-version', evidence);
      case 'handshake-failure':
        return make('tls-handshake-failure', evidence);
      case 'reset':
        return make('tls-reset', evidence);
      case 'timeout':
        return make('tls-timeout', evidence);
      default:
        return make('tls-error', evidence);
    }
  }
  // Handshake done, chain not trusted.
  const leaf = t.chain[0];
  const top = t.chain[t.chain.length - 1];
  const evidence =
    `TLS ${f.where}: certificate not trusted: ${t.verify_error}` +
    (leaf ? `; leaf ${leaf.subject}, valid ${leaf.valid_from.slice(0, 10)} to ${leaf.valid_to.slice(0, 10)}, issuer ${leaf.issuer}` : '') +
    (top && top !== leaf ? `; chain top ${top.subject}` : '');
  const product = interceptorOf(t.chain.flatMap((c) => [c.issuer, c.subject]));
  // Through a proxy, a chain the provider's CA did not issue is the proxy's own certificate.
  const expected = expectedIssuer(f.host);
  if (f.proxy && leaf && (product || (expected && !expected.issuer.test(leaf.issuer)))) {
    return make('proxy-tls-interception', `${evidence} (through ${f.proxy.proxy}: ${product ? `issuer looks like ${product}` : `expected an issuer from ${expected!.name}`})`);
  }
  if (product || f.osTrusted) {
    const why = [
      product ? `issuer looks like ${product}` : null,
      f.osTrusted ? 'trusted by the operating system\'s store but not by the bundled roots: a locally installed root' : null,
    ].filter(Boolean);
    return make('proxy-tls-interception', `${evidence} (${why.join('; ')})`);
  }
  switch (t.verify_error) {
    case 'CERT_HAS_EXPIRED':
      return make('tls-cert-expired', evidence);
    case 'CERT_NOT_YET_VALID':
      return make('tls-cert-not-yet-valid', evidence);
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return make('tls-name-mismatch', `${evidence}; asked for ${f.verifyName}, certificate names ${leaf?.subject_alt_names.join(' ') || leaf?.subject}`);
    default:
      return make('tls-untrusted', evidence);
  }
}

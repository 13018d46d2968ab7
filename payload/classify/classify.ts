// Pins one attempt to the brief's taxonomy. Each rule names the stage it looks at, so
// the rules read in wire order: DNS -> TCP -> TLS -> SMTP.
import type { Classification, DnsResolution, ErrorInfo, SmtpReply, SmtpResult, TlsResult } from '../schema/summary.js';
import { hint, type HintId } from './hints.js';
import { interceptorOf } from './interceptors.js';

export interface AttemptFacts {
  where: string; // "127.0.0.1:587"
  port: number;
  mode: 'starttls' | 'implicit' | 'plain';
  family: 4 | 6;
  failedStage: 'connect' | 'tls' | 'smtp' | null;
  tcpError: ErrorInfo | null;
  tls: TlsResult | null;
  smtp: SmtpResult;
  verifyName: string;
  /** Proxy variables are set on this machine (HTTPS_PROXY and friends). */
  proxyConfigured: boolean;
}

function make(id: HintId, evidence: string): Classification {
  const h = hint(id);
  return { class: h.class, hint_id: h.id, summary: h.summary, evidence: evidence.slice(0, 500), next_step: h.next_step };
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

/** The last line of the failing reply, as the server sent it. */
function lastReplyLine(r: SmtpReply | null): string | null {
  return r && r.lines.length ? r.lines[r.lines.length - 1]! : null;
}

export function classifyAttempt(f: AttemptFacts): Classification {
  if (f.failedStage === 'connect') return classifyConnect(f);
  const s = f.smtp;
  const kind = s.error?.kind;

  // An HTTP answer on an SMTP port is a proxy, whatever stage saw it.
  if (kind === 'http-response') return make('proxy-http-on-smtp-port', `S: ${s.last_line ?? ''}`);

  if (f.failedStage === 'tls') return classifyTls(f);

  if (f.failedStage === 'smtp') {
    const replies: Array<[string, SmtpReply | null]> = [
      ['quit', s.quit],
      ['noop', s.noop],
      ['ehlo_tls', s.ehlo_tls],
      ['starttls', s.starttls],
      ['ehlo', s.ehlo],
      ['banner', s.banner],
    ];
    const failing = replies.find(([, r]) => r && r.code !== null && !(r.code >= 200 && r.code < 400));
    if (failing) {
      const [step, r] = failing;
      const line = `S: ${lastReplyLine(r)} (reply to ${step === 'banner' ? 'connect' : step.toUpperCase().replace('_TLS', ' over TLS')})`;
      if (r!.code === 421) return make('rate-limit-421', line);
      if (r!.code! >= 400 && r!.code! < 500) return make('rate-limit-temporary', line);
      if (r!.code! >= 500) return make('smtp-policy-rejected', line);
      return make('unknown-reply', line);
    }
    if (kind === 'malformed') return make('unknown-garbage', `S: ${s.last_line ?? '(nothing)'}`);
    const noBanner = !s.banner || s.banner.code === null;
    if (kind === 'timeout' && noBanner) {
      if (f.mode !== 'implicit' && f.port === 465) return make('tls-starttls-on-implicit-port', `${f.where}: ${s.error!.message}`);
      return make('connect-no-banner', `${f.where}: ${s.error!.message}`);
    }
    if (kind === 'reset') return make('connect-reset', `${f.where}: ${s.error!.message}${noBanner ? ' (before the banner)' : ''}`);
    if (kind === 'closed') return make('connect-closed', `${f.where}: ${s.error!.message}${s.last_line ? `; last line: ${s.last_line}` : ''}`);
    if (kind === 'timeout') return make('unknown-timeout', `${f.where}: ${s.error!.message}`);
    return make('unknown', `${f.where}: ${s.error?.message ?? 'failed'}${s.last_line ? `; last line: ${s.last_line}` : ''}`);
  }

  const last = lastReplyLine(s.quit) ?? lastReplyLine(s.noop) ?? '';
  const tlsNote = f.tls ? `${f.tls.protocol} ${f.tls.cipher}, certificate verified for ${f.verifyName}; ` : '';
  return make('ok', `${f.where}: ${tlsNote}NOOP ${s.noop?.code}, S: ${last}`);
}

function classifyConnect(f: AttemptFacts): Classification {
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
  if (s.error?.kind === 'starttls-not-offered') return make('tls-starttls-missing', `S: ${lastReplyLine(s.ehlo) ?? ''} (EHLO reply has no STARTTLS)`);
  if (s.error?.kind === 'starttls-refused') return make('tls-starttls-refused', `S: ${lastReplyLine(s.starttls)}`);
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
  if (product) return make('proxy-tls-interception', `${evidence} (issuer looks like ${product})`);
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

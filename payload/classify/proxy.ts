// What a proxy's refusal means. Data, not code: a rule matches the proxy protocol, its
// reply code (HTTP status or SOCKS5 reply) or the failure kind, and whether credentials
// were sent; the first match names the hint.
import type { ProxyAttempt } from '../schema/summary.js';
import type { HintId } from './hints.js';

export interface ProxyRule {
  protocol?: 'http' | 'socks';
  codes?: readonly number[];
  /** ErrorInfo.kind of the failed tunnel, e.g. proxy-unreachable. */
  kind?: string;
  withCredentials?: boolean;
  hint: HintId;
}

export const PROXY_RULES: readonly ProxyRule[] = [
  { kind: 'proxy-unreachable', hint: 'proxy-unreachable' },
  { protocol: 'http', codes: [407], withCredentials: false, hint: 'proxy-auth-required' },
  { protocol: 'http', codes: [407], withCredentials: true, hint: 'proxy-auth-failed' },
  { protocol: 'http', codes: [403], hint: 'proxy-forbidden' },
  // squid says 503 when its connect to the server is refused, 504 when it times out; others 502.
  { protocol: 'http', codes: [502, 503, 504], hint: 'proxy-upstream-unreachable' },
  { protocol: 'socks', kind: 'proxy-auth-failed', hint: 'proxy-auth-failed' },
  { protocol: 'socks', codes: [0xff], hint: 'proxy-socks-auth-method' },
  { protocol: 'socks', codes: [0x02], hint: 'proxy-forbidden' },
  { protocol: 'socks', codes: [0x03, 0x04, 0x05, 0x06], hint: 'proxy-upstream-unreachable' },
  { kind: 'proxy-timeout', hint: 'proxy-timeout' },
  { kind: 'proxy-bad-response', hint: 'proxy-bad-response' },
  { kind: 'proxy-closed', hint: 'proxy-bad-response' },
  { kind: 'proxy-reset', hint: 'proxy-bad-response' },
];

export function proxyRuleFor(p: ProxyAttempt, withCredentials: boolean): HintId {
  const protocol = p.kind === 'http' ? 'http' : 'socks';
  const kind = p.error?.kind;
  const hit = PROXY_RULES.find(
    (r) =>
      (r.protocol === undefined || r.protocol === protocol) &&
      (r.kind === undefined || r.kind === kind) &&
      (r.codes === undefined || (p.reply_code !== null && r.codes.includes(p.reply_code))) &&
      (r.withCredentials === undefined || r.withCredentials === withCredentials),
  );
  return hit?.hint ?? 'proxy-refused';
}

/** "proxy http://127.0.0.1:3128: CONNECT 127.0.0.1:587: HTTP/1.1 407 Proxy Authentication Required" */
export function proxyEvidence(p: ProxyAttempt): string {
  const verb = p.kind === 'http' ? 'CONNECT' : 'SOCKS5 CONNECT';
  const answer = p.reply ?? p.error?.message ?? 'no answer';
  return `proxy ${p.proxy}: ${p.failed_step === 'proxy-connect' ? p.error!.message : `${verb} ${p.destination}${p.resolved_by === 'proxy' ? ' (name resolved by the proxy)' : ''}: ${answer}`}`;
}

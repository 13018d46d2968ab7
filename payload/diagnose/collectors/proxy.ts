// Proxy discovery: proxy variables (credentials masked), on Windows the WinHTTP proxy and
// the WinINET (Internet Settings) values with PAC and auto-detect; and a TLS-inspection
// heuristic: who issued the chain the probe was served, against who should have.
import { expectedIssuer, interceptorOf } from '../../classify/interceptors.js';
import { maskProxyValue, proxyEnv } from '../../collect/env.js';
import { ProxyDataSchema } from '../../schema/diagnose.js';
import type { ProbeSummary } from '../../schema/summary.js';
import type { z } from 'zod';
import type { Collector } from '../collector.js';
import { parseNetshWinhttp } from '../windows/netsh.js';
import { connectionFlags, dword, parseRegQuery } from '../windows/reg.js';

type Data = z.infer<typeof ProxyDataSchema>;

export const INTERNET_SETTINGS = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';

export function wininetOf(settingsText: string, connectionsText: string | null): NonNullable<Data['wininet']> {
  const values = parseRegQuery(settingsText);
  const v = (name: string) => values.find((x) => x.name.toLowerCase() === name.toLowerCase());
  const conn = connectionsText ? parseRegQuery(connectionsText).find((x) => x.name === 'DefaultConnectionSettings') : undefined;
  const flags = conn ? connectionFlags(conn.data) : null;
  const enable = dword(v('ProxyEnable'));
  return {
    scope: 'HKCU (the account running smtp-probe)',
    proxy_enable: enable === null ? null : enable === 1,
    proxy_server: v('ProxyServer') ? maskProxyValue(v('ProxyServer')!.data) : null,
    proxy_override: v('ProxyOverride')?.data ?? null,
    auto_config_url: v('AutoConfigURL') ? maskProxyValue(v('AutoConfigURL')!.data) : null,
    auto_detect: flags ? flags.autoDetect : null,
  };
}

export function tlsInspection(s: ProbeSummary, host: string, caFiles: readonly string[]): Data['tls_inspection'] {
  const withChain = s.attempts.filter((a) => a.tls?.chain.length);
  const expected = expectedIssuer(host);
  if (!withChain.length) return { verdict: 'no-tls', issuers: [], expected: expected?.name ?? null, product: null, explanation: 'No TLS handshake got as far as a certificate, so there is nothing to judge.' };
  const leafIssuers = [...new Set(withChain.map((a) => a.tls!.chain[0]!.issuer))];
  const allIssuers = [...new Set(withChain.flatMap((a) => a.tls!.chain.map((c) => c.issuer)))];
  const product = interceptorOf(allIssuers);
  const base = { issuers: leafIssuers, expected: expected?.name ?? null };
  if (product) return { ...base, verdict: 'known-interceptor', product, explanation: `The chain was issued by ${product}, a TLS-inspection product: the connection is decrypted on the way.` };
  const localRoot = withChain.find((a) => a.tls!.os_trusted === true && !a.tls!.authorized);
  if (localRoot) return { ...base, verdict: 'local-root', product: null, explanation: `The chain (issuer ${localRoot.tls!.chain[0]!.issuer}) is trusted by this machine's OS store but not by the public roots: a locally installed root, typical of TLS inspection.` };
  if (!expected) return { ...base, verdict: 'no-expectation', product: null, explanation: `No known issuer for ${host}; served issuer(s): ${leafIssuers.join('; ')}. Compare with what the provider publishes.` };
  const odd = leafIssuers.filter((i) => !expected.issuer.test(i));
  if (!odd.length) return { ...base, verdict: 'expected-issuer', product: null, explanation: `Issued by ${expected.name}, as expected for ${host}: no sign of TLS inspection.` };
  const extra = caFiles.length ? ` (--ca ${caFiles.join(', ')} was trusted for this run)` : '';
  return { ...base, verdict: 'unexpected-issuer', product: null, explanation: `${host} should present a certificate from ${expected.name}, but the chain served here was issued by ${odd.join('; ')}${extra}: something between this machine and the server presents its own certificate.` };
}

export const proxyCollector: Collector<Data> = {
  name: 'proxy',
  file: 'proxy.json',
  data: ProxyDataSchema,
  async run(ctx, rec) {
    const env = proxyEnv(ctx.env);
    rec.source('environment HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY', true);
    let winhttp: Data['winhttp'] = null;
    let wininet: Data['wininet'] = null;
    if (ctx.platform === 'win32') {
      const n = await rec.run(ctx, 'netsh', ['winhttp', 'show', 'proxy'], 'raw/netsh_winhttp_proxy.txt');
      if (n.ok) {
        try {
          winhttp = maskWinhttp(parseNetshWinhttp(n.stdout));
        } catch (err) {
          rec.source('parse netsh winhttp show proxy', false, (err as Error).message);
        }
      }
      const r = await rec.run(ctx, 'reg', ['query', INTERNET_SETTINGS], 'raw/reg_internet_settings.txt');
      const c = await rec.run(ctx, 'reg', ['query', `${INTERNET_SETTINGS}\\Connections`], 'raw/reg_internet_settings_connections.txt');
      if (r.ok) wininet = wininetOf(r.stdout, c.ok ? c.stdout : null);
    } else {
      rec.source('WinHTTP and WinINET proxy settings', true, 'not this OS (Windows only)');
    }
    const tls_inspection = tlsInspection(ctx.probe.summary, ctx.settings.sni ?? ctx.settings.host, ctx.settings.caFiles);
    if (Object.keys(env).length) rec.note(`Proxy variables set: ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(', ')}. SMTP clients do not use HTTP proxies; a network that only allows the proxy blocks SMTP.`);
    if (winhttp && !winhttp.direct) rec.note(`WinHTTP proxy: ${winhttp.proxy_server}${winhttp.bypass_list ? ` (bypass ${winhttp.bypass_list})` : ''}.`);
    if (wininet?.proxy_enable || wininet?.auto_config_url || wininet?.auto_detect) {
      rec.note(`WinINET: ${[wininet.proxy_enable ? `proxy ${wininet.proxy_server}` : null, wininet.auto_config_url ? `PAC ${wininet.auto_config_url}` : null, wininet.auto_detect ? 'auto-detect (WPAD) on' : null].filter(Boolean).join(', ')}.`);
    }
    if (!['expected-issuer', 'no-tls', 'no-expectation'].includes(tls_inspection.verdict)) rec.note(tls_inspection.explanation);
    return { env, winhttp, wininet, tls_inspection };
  },
};

function maskWinhttp(w: { direct: boolean; proxyServer: string | null; bypassList: string | null }): { direct: boolean; proxy_server: string | null; bypass_list: string | null } {
  return { direct: w.direct, proxy_server: w.proxyServer ? maskProxyValue(w.proxyServer) : null, bypass_list: w.bypassList };
}

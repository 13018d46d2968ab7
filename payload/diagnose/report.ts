// The "Diagnose" part of report.md: one line per collector (did it run, why not), then a
// short section per collector with what a person should read first.
import type { Aa, Clock, DnsSnapshot, NetworkSnapshot, OsTls, Proxy } from '../schema/diagnose.js';
import type { CollectorResult } from './collector.js';

const STATUS: Record<CollectorResult['status'], string> = { ok: 'ok', partial: 'partial', skipped: 'skipped', failed: '**failed**', timeout: '**timed out**' };

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function offlineBanner(network: NetworkSnapshot['data'] | undefined): string | null {
  if (!network || network.online) return null;
  return '> **No network.** This machine has no usable network: ' +
    (network.interfaces.some((i) => i.addresses.some((a) => a.scope !== 'loopback' && a.scope !== 'link-local'))
      ? 'it has an address but no default route.'
      : 'no interface besides loopback has an address, and there is no default route.') +
    ' Nothing beyond this machine could be reached, so every failure below follows from that: fix the network connection first.';
}

export function renderDiagnose(results: CollectorResult[]): string {
  const by = <T>(n: CollectorResult['name']) => results.find((r) => r.name === n)?.json.data as T | null | undefined;
  const L: string[] = ['## Diagnose', ''];
  L.push('| collector | status | file | why not / findings |', '|---|---|---|---|');
  for (const r of results) {
    const failed = (r.json.sources as Array<{ source: string; ok: boolean; reason: string | null }>).filter((s) => !s.ok).map((s) => `${s.source}: ${s.reason}.`);
    L.push(`| ${r.name} | ${STATUS[r.status]} | \`${r.file}\` | ${cell([r.reason, ...failed, ...r.notes].filter(Boolean).join(' ') || '-')} |`);
  }
  L.push('');

  const dns = by<DnsSnapshot['data']>('dns');
  if (dns) {
    L.push('### DNS snapshot', '');
    L.push(`- Resolvers: ${dns.resolvers.map((r) => `${r.address} (${r.origin})`).join(', ') || 'none configured'}${dns.stub_resolver ? ' - a local stub resolver' : ''}`);
    L.push(`- Search domains: ${dns.search_domains.join(', ') || 'none'}${dns.options.length ? `; options: ${dns.options.join(' ')}` : ''}${dns.nsswitch_hosts ? `; nsswitch hosts: ${dns.nsswitch_hosts}` : ''}`);
    L.push(`- Hosts file ${dns.hosts_file.path}: ${dns.hosts_file.error ? `not read (${dns.hosts_file.error})` : dns.hosts_file.entries.length ? dns.hosts_file.entries.map((e) => `line ${e.line}: ${e.address} ${e.names.join(' ')}`).join('; ') : 'no entry for the target'}`, '');
  }
  const net = by<NetworkSnapshot['data']>('network');
  if (net) {
    L.push('### Network snapshot', '');
    L.push(`- Online: ${net.online ? 'yes' : '**no**'}; default route(s): ${net.default_routes.map((r) => `IPv${r.family} via ${r.gateway ?? 'link'} on ${r.interface}`).join(', ') || 'none'}; active interface: ${net.active_interface ?? '-'}`);
    L.push(`- Addresses: ${net.interfaces.flatMap((i) => i.addresses.filter((a) => a.scope !== 'loopback').map((a) => `${a.address} (${i.name}, ${a.scope})`)).join(', ') || 'loopback only'}`);
    L.push(`- IPv6: global address ${net.ipv6.global_address ? 'yes' : 'no'}, default route ${net.ipv6.default_route ? 'yes' : 'no'} - ${net.ipv6.usable ? 'usable' : 'not usable'}`);
    L.push(`- Egress IP seen by the server: ${net.egress_ips.join(', ') || 'not revealed'}; local addresses used: ${net.local_addresses_used.join(', ') || '-'}`, '');
  }
  const clock = by<Clock['data']>('clock');
  if (clock) {
    L.push('### Clock', '');
    L.push(clock.offset_ms === null ? `- ${clock.explanation}` : `- Offset ${(clock.offset_ms / 1000).toFixed(3)} s against ${clock.server} (stratum ${clock.stratum}, round trip ${clock.round_trip_ms} ms): ${clock.risk === 'breaks-validation' ? '**breaks certificate validation**' : clock.risk === 'warn' ? '**warning**' : 'ok'}. ${clock.risk === 'none' ? '' : clock.explanation}`, '');
  }
  const proxy = by<Proxy['data']>('proxy');
  if (proxy) {
    L.push('### Proxy', '');
    L.push(`- Variables: ${Object.entries(proxy.env).map(([k, v]) => `${k}=${v}`).join(', ') || 'none set'}`);
    if (proxy.winhttp) L.push(`- WinHTTP: ${proxy.winhttp.direct ? 'direct (no proxy)' : `${proxy.winhttp.proxy_server}${proxy.winhttp.bypass_list ? `, bypass ${proxy.winhttp.bypass_list}` : ''}`}`);
    if (proxy.wininet) L.push(`- WinINET (${proxy.wininet.scope}): proxy ${proxy.wininet.proxy_enable ? proxy.wininet.proxy_server : 'off'}; PAC ${proxy.wininet.auto_config_url ?? 'none'}; auto-detect ${proxy.wininet.auto_detect === null ? 'unknown' : proxy.wininet.auto_detect ? 'on' : 'off'}`);
    L.push(`- TLS inspection: \`${proxy.tls_inspection.verdict}\` - ${proxy.tls_inspection.explanation}`, '');
  }
  const tls = by<OsTls['data']>('os-tls');
  if (tls) {
    L.push('### OS TLS evidence', '');
    L.push(`- Node's OpenSSL ${tls.node_openssl}${tls.openssl_cli ? `; system: ${tls.openssl_cli}` : ''}${tls.openssl_conf ? `; config ${tls.openssl_conf}${tls.openssl_policy.length ? ` (${tls.openssl_policy.join('; ')})` : ''}` : ''}`);
    if (tls.schannel_protocols.length) L.push(`- Schannel protocol switches: ${tls.schannel_protocols.map((p) => `${p.key} ${p.name}=${p.value}`).join(', ')}`);
    if (tls.dotnet_tls?.length) L.push(`- .NET Framework TLS switches: ${tls.dotnet_tls.map((v) => `${v.key.replace(/^HKLM\\SOFTWARE\\(WOW6432Node\\)?Microsoft\\.NETFramework\\/i, (_m, wow: string | undefined) => (wow ? 'WOW6432Node ' : ''))} ${v.name}=${v.value ?? 'not set'}`).join(', ')}`);
    L.push(`- TLS events in the window: ${tls.events_total}`);
    for (const e of tls.events.slice(-5)) L.push(`  - ${e.time ?? ''} ${e.source ?? ''} ${e.id ?? ''} ${e.message.split('\n')[0]!.slice(0, 160)}`);
    L.push('');
  }
  const aa = by<Aa['data']>('aa');
  if (aa) {
    L.push('### Automation Anywhere', '');
    L.push(`- Activity: ${aa.activity ?? '-'}; bot run id: ${aa.run_id ?? '-'}; Control Room: ${aa.aa_host ?? '-'}`);
    if (aa.config_file) L.push(`- Configured (${aa.config_file}): server ${aa.configured.server ?? '-'}, port ${aa.configured.port ?? '-'}, SSL mode ${aa.configured.ssl_mode ?? '-'}, user ${aa.configured.user ?? '-'}`);
    const kept = aa.logs.filter((l) => l.file);
    L.push(`- Logs (${aa.log_globs.join(', ') || 'none given'}, since ${aa.since}): ${kept.length} file(s), ${kept.reduce((n, l) => n + l.kept_bytes, 0)} bytes kept${aa.logs.length > kept.length ? `, ${aa.logs.length - kept.length} skipped` : ''}`);
    const b = aa.bot_error;
    L.push(
      b
        ? `- The bot's last mail error: \`${b.class}\`${b.library ? ` (${b.library})` : ''}${b.at ? ` at ${b.at}` : ''} in \`${b.file}\` - ${b.summary}. Evidence: \`${b.evidence_line.replace(/`/g, "'")}\`. Next step: ${b.next_step}`
        : kept.length ? '- The bot\'s last mail error: none found in the kept logs' : '- The bot\'s last mail error: no log to read',
      '',
    );
  }
  L.push('Every file, its size, SHA-256 and the collector that made it: `manifest.json`. Secrets are masked in every file before it is written.', '');
  return L.join('\n');
}

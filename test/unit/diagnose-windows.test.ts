// The Windows collectors' parsers, on recorded outputs in the formats the Windows tools
// print (test/fixtures/windows/): ipconfig /all, netsh winhttp show proxy, reg query,
// wevtutil qe /f:text and Get-WinEvent | ConvertTo-Json. On Windows the collectors run them for real.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCollector, type CollectorContext } from '../../payload/diagnose/collector.js';
import { dnsCollector } from '../../payload/diagnose/collectors/dns.js';
import { networkCollector } from '../../payload/diagnose/collectors/network.js';
import { INTERNET_SETTINGS, proxyCollector, wininetOf } from '../../payload/diagnose/collectors/proxy.js';
import { osTlsCollector, SCHANNEL_KEY, schannelProtocols } from '../../payload/diagnose/collectors/os-tls.js';
import type { Exec, ExecResult } from '../../payload/diagnose/exec.js';
import { parseGetWinEventJson, parseWevtutilText, schannelQuery } from '../../payload/diagnose/windows/events.js';
import { parseIpconfig } from '../../payload/diagnose/windows/ipconfig.js';
import { parseNetshWinhttp } from '../../payload/diagnose/windows/netsh.js';
import { connectionFlags, parseRegQuery } from '../../payload/diagnose/windows/reg.js';
import { Redactor } from '../../payload/diagnose/redact.js';
import { ROOT } from '../helpers.js';

const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures/windows', name), 'utf8');

describe('Windows output parsers (recorded outputs)', () => {
  it('reads adapters, DNS servers, gateways and the search list from ipconfig /all', () => {
    const ip = parseIpconfig(fixture('ipconfig-all.txt'));
    expect(ip.hostName).toBe('AA-RUNNER-07');
    expect(ip.searchList).toEqual(['corp.example.com', 'example.com']);
    expect(ip.adapters.map((a) => a.name)).toEqual(['Ethernet0', 'Bluetooth Network Connection']);
    const eth = ip.adapters[0]!;
    expect(eth.dnsServers).toEqual(['10.20.0.10', '10.20.0.11']);
    expect(eth.gateways).toEqual(['fe80::1', '10.20.30.1']);
    expect(eth.ipv4).toEqual([{ address: '10.20.30.41', mask: '255.255.255.0' }]);
    expect(eth.ipv6).toEqual(['2001:db8:20:30::41', 'fe80::8d4c:1f2e:77a1:5b90']);
    expect(eth.mac).toBe('00-50-56-A1-2B-3C');
    expect(ip.adapters[1]!.mediaDisconnected).toBe(true);
  });

  it('tells direct WinHTTP from a configured proxy', () => {
    expect(parseNetshWinhttp(fixture('netsh-winhttp-direct.txt'))).toEqual({ direct: true, proxyServer: null, bypassList: null });
    expect(parseNetshWinhttp(fixture('netsh-winhttp-proxy.txt'))).toEqual({
      direct: false,
      proxyServer: 'http=proxy.corp.example.com:8080;https=proxy.corp.example.com:8080',
      bypassList: '*.corp.example.com;<local>',
    });
  });

  it('reads WinINET proxy, PAC and auto-detect from reg query, masking proxy credentials', () => {
    const values = parseRegQuery(fixture('reg-internet-settings.txt'));
    expect(values.find((v) => v.name === 'User Agent')?.data).toBe('Mozilla/4.0 (compatible; MSIE 8.0; Win32)');
    const w = wininetOf(fixture('reg-internet-settings.txt'), fixture('reg-connections.txt'));
    expect(w).toMatchObject({ proxy_enable: true, proxy_server: 'http://***:***@proxy.corp.example.com:8080', proxy_override: '*.corp.example.com;<local>', auto_config_url: 'http://wpad.corp.example.com/proxy.pac', auto_detect: true });
    expect(connectionFlags('46000000020000000100000000')).toEqual({ direct: true, proxy: false, pac: false, autoDetect: false });
  });

  it('reads the SCHANNEL protocol switches from reg query /s', () => {
    expect(schannelProtocols(fixture('reg-schannel-protocols.txt'))).toEqual([
      { key: 'SSL 2.0\\Client', name: 'DisabledByDefault', value: '0x1' },
      { key: 'TLS 1.2\\Client', name: 'Enabled', value: '0x0' },
      { key: 'TLS 1.2\\Client', name: 'DisabledByDefault', value: '0x1' },
    ]);
  });

  it('reads Schannel events from wevtutil text and from Get-WinEvent JSON alike', () => {
    const w = parseWevtutilText(fixture('wevtutil-schannel.txt'));
    expect(w.map((e) => e.id)).toEqual([36887, 36882, 36871]);
    expect(w[0]).toMatchObject({ time: '2026-03-12T09:14:55.123Z', level: 'Error', source: 'Schannel' });
    expect(w[0]!.message).toBe('A fatal alert was received from the remote endpoint. The TLS protocol defined fatal alert code is 46.');
    const g = parseGetWinEventJson(fixture('get-winevent-schannel.json'));
    expect(g.map((e) => [e.time, e.id])).toEqual([
      ['2026-03-12T09:14:55.123Z', 36887],
      ['2026-03-12T08:02:10.441Z', 36871],
    ]);
    expect(g[1]!.message).toBe(w[2]!.message);
    expect(schannelQuery(3_600_000)).toBe("*[System[Provider[@Name='Schannel'] and TimeCreated[timediff(@SystemTime) <= 3600000]]]");
  });

  it('redacts the proxy password planted in the raw registry output', () => {
    const out = new Redactor().text(fixture('reg-internet-settings.txt'));
    expect(out).not.toContain('Wininet-Pl4nted');
    expect(out).toContain('proxy.corp.example.com:8080');
  });
});

describe('Windows collectors on recorded outputs (mock exec: no Windows machine here)', () => {
  // The commands a collector runs on Windows, answered with the recorded fixtures; checks
  // the wiring from command to JSON, which the parser tests above do not.
  const answers: Record<string, string> = {
    'ipconfig /all': fixture('ipconfig-all.txt'),
    'netsh winhttp show proxy': fixture('netsh-winhttp-proxy.txt'),
    [`reg query ${INTERNET_SETTINGS}`]: fixture('reg-internet-settings.txt'),
    [`reg query ${INTERNET_SETTINGS}\\Connections`]: fixture('reg-connections.txt'),
    [`reg query ${SCHANNEL_KEY} /s`]: fixture('reg-schannel-protocols.txt'),
  };
  const calls: string[] = [];
  const scriptsRun: string[] = [];
  const exec: Exec = async (file, args) => {
    const key = [file, ...args].join(' ');
    calls.push(key);
    if (file === 'wevtutil') return { ok: true, code: 0, stdout: fixture('wevtutil-schannel.txt'), stderr: '', reason: null, truncated: false };
    // dotnet-tls.ps1 as a file run with -File; its answer is hand-written in the shape the script prints (no Windows here).
    const ps1 = args[args.indexOf('-File') + 1] ?? '';
    if (file === 'powershell.exe' && ps1.endsWith('dotnet-tls.ps1')) {
      scriptsRun.push(readFileSync(ps1, 'utf8'));
      return { ok: true, code: 0, stdout: fixture('dotnet-tls.json'), stderr: '', reason: null, truncated: false };
    }
    const out = answers[key];
    return out === undefined ? { ok: false, code: null, stdout: '', stderr: '', reason: `command missing: ${file}`, truncated: false } : { ok: true, code: 0, stdout: out, stderr: '', reason: null, truncated: false };
  };
  const shared = new Map<string, Promise<ExecResult>>();
  const ctx = {
    platform: 'win32',
    now: new Date('2026-03-12T10:00:00Z'),
    settings: { host: 'smtp.gmail.com', sni: 'smtp.gmail.com', hostsFile: join(ROOT, 'test/fixtures/windows/no-hosts-file'), caFiles: [] },
    diag: { since: new Date('2026-03-12T08:00:00Z'), ntp: null },
    probe: { summary: { attempts: [], egress_ips: ['203.0.113.7'], dns: { targets: [] } } },
    exec,
    env: {},
    shared: (k: string, run: () => Promise<ExecResult>) => (shared.has(k) || shared.set(k, run()), shared.get(k)!),
  } as unknown as CollectorContext;
  const limits = { timeoutMs: 5000, maxBytes: 1 << 20, skip: [] };

  it('fills DNS, network, proxy and Schannel evidence from the Windows commands', async () => {
    const [dns, net, proxy, tls] = await Promise.all([dnsCollector, networkCollector, proxyCollector, osTlsCollector].map((c) => runCollector(c as never, ctx, limits)));
    expect(calls.filter((c) => c === 'ipconfig /all')).toHaveLength(1);
    expect(dns!.json.data).toMatchObject({ resolvers: [{ address: '10.20.0.10', origin: 'adapter Ethernet0' }, { address: '10.20.0.11', origin: 'adapter Ethernet0' }], search_domains: ['corp.example.com', 'example.com'] });
    expect(dns!.status).toBe('partial'); // the hosts file given does not exist: recorded, not fatal
    const n = net!.json.data as { default_routes: unknown[]; egress_ips: string[] };
    expect(n.default_routes).toEqual([
      { family: 6, gateway: 'fe80::1', interface: 'Ethernet0', metric: null },
      { family: 4, gateway: '10.20.30.1', interface: 'Ethernet0', metric: null },
    ]);
    expect(n.egress_ips).toEqual(['203.0.113.7']);
    expect(proxy!.json.data).toMatchObject({ winhttp: { direct: false, proxy_server: 'http=proxy.corp.example.com:8080;https=proxy.corp.example.com:8080' }, wininet: { proxy_enable: true, auto_detect: true } });
    expect(proxy!.files.map((f) => f.name).sort()).toEqual(['raw/netsh_winhttp_proxy.txt', 'raw/reg_internet_settings.txt', 'raw/reg_internet_settings_connections.txt']);
    const t = tls!.json.data as { events: Array<{ id: number }>; schannel_protocols: unknown[] };
    expect(t.events.map((e) => e.id)).toEqual([36887, 36882, 36871]);
    expect(t.schannel_protocols).toHaveLength(3);
    expect(tls!.notes.join(' ')).toMatch(/TLS 1\.2\\Client switched off/);
    // The .NET switches: set for 64-bit .NET Framework 4, not for 32-bit bots (WOW6432Node).
    expect(scriptsRun).toEqual([readFileSync(join(ROOT, 'payload/diagnose/scripts/dotnet-tls.ps1'), 'utf8')]);
    expect((tls!.json.data as { dotnet_tls: unknown[] }).dotnet_tls).toHaveLength(8);
    expect(tls!.notes.join(' ')).toContain('.NET Framework 4 (v4.0.30319, 32-bit (WOW6432Node)): neither SchUseStrongCrypto nor SystemDefaultTlsVersions is 1');
    expect(calls.find((c) => c.startsWith('wevtutil'))).toContain("/q:*[System[Provider[@Name='Schannel'] and TimeCreated[timediff(@SystemTime) <= 7200000]]]");
  });
});

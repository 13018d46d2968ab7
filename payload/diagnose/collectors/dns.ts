// DNS snapshot: which resolvers this machine asks (resolv.conf, systemd-resolved's upstreams,
// or each Windows adapter's servers), its search domains, and hosts-file lines that pin
// the target or the NTP host. Reads configuration only: nothing is queried.
import { readFileSync } from 'node:fs';
import { DnsSnapshotDataSchema } from '../../schema/diagnose.js';
import type { z } from 'zod';
import { errorCode } from '../../util/errors.js';
import type { Collector, CollectorContext, Recorder } from '../collector.js';
import { parseIpconfig } from '../windows/ipconfig.js';
import { ipFamily } from '../../util/ip-family.js';

type Data = z.infer<typeof DnsSnapshotDataSchema>;

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split(/\r?\n/)) {
    const [word, ...rest] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (word === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (word === 'search' || word === 'domain') out.search.push(...rest.filter((d) => !out.search.includes(d)));
    else if (word === 'options') out.options.push(...rest);
  }
  return out;
}

export function readText(rec: Recorder, path: string, keepAs: string | null): string | null {
  try {
    const text = readFileSync(path, 'utf8');
    rec.source(`file ${path}`, true, null, keepAs ? rec.keep(keepAs, text) : null);
    return text;
  } catch (err) {
    const code = errorCode(err);
    rec.source(`file ${path}`, false, code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable'));
    return null;
  }
}

export const ipconfigAll = (ctx: CollectorContext, rec: Recorder) =>
  ctx.shared('ipconfig', () => rec.run(ctx, 'ipconfig', ['/all'], null)).then((r) => {
    if (r.ok && !rec.files.some((f) => f.name === 'raw/ipconfig_all.txt')) rec.keep('raw/ipconfig_all.txt', r.stdout);
    return r;
  });

export const dnsCollector: Collector<Data> = {
  name: 'dns',
  file: 'dns_snapshot.json',
  data: DnsSnapshotDataSchema,
  async run(ctx, rec) {
    const data: Data = { resolvers: [], search_domains: [], options: [], nsswitch_hosts: null, stub_resolver: false, hosts_file: { path: ctx.settings.hostsFile, entries: [], error: null } };
    if (ctx.platform === 'win32') {
      const r = await ipconfigAll(ctx, rec);
      if (r.ok) {
        const ip = parseIpconfig(r.stdout);
        for (const a of ip.adapters) for (const s of a.dnsServers) data.resolvers.push({ address: s, origin: `adapter ${a.name}` });
        data.search_domains = ip.searchList;
      }
    } else {
      const text = readText(rec, '/etc/resolv.conf', 'raw/resolv.conf.txt');
      if (text !== null) {
        const rc = parseResolvConf(text);
        data.resolvers = rc.nameservers.map((address) => ({ address, origin: '/etc/resolv.conf' }));
        data.search_domains = rc.search;
        data.options = rc.options;
        data.stub_resolver = rc.nameservers.some((n) => n.startsWith('127.0.0.5'));
      }
      if (data.stub_resolver) {
        // systemd-resolved: the stub forwards to upstreams listed in its own file.
        const up = readText(rec, '/run/systemd/resolve/resolv.conf', 'raw/systemd-resolved.resolv.conf.txt');
        if (up !== null) for (const address of parseResolvConf(up).nameservers) data.resolvers.push({ address, origin: 'systemd-resolved upstream' });
      }
      const ns = readText(rec, '/etc/nsswitch.conf', null);
      data.nsswitch_hosts = ns ? (/^\s*hosts:\s*(.+)$/m.exec(ns)?.[1]?.trim() ?? null) : null;
    }
    data.hosts_file = hostsLines(rec, ctx.settings.hostsFile, [ctx.settings.host, ...(ctx.diag.ntp ? [ctx.diag.ntp.host] : [])]);
    if (!data.resolvers.length) rec.note('No DNS resolver is configured on this machine.');
    if (data.hosts_file.entries.length) rec.note(`The hosts file pins ${data.hosts_file.entries.map((e) => `${e.names.join('/')} to ${e.address} (line ${e.line})`).join('; ')}.`);
    return data;
  },
};

function hostsLines(rec: Recorder, path: string, names: string[]): Data['hosts_file'] {
  const want = new Set(names.map((n) => n.toLowerCase().replace(/\.$/, '')));
  const text = readText(rec, path, null);
  if (text === null) return { path, entries: [], error: rec.sources.at(-1)?.reason ?? 'unreadable' };
  const entries: Data['hosts_file']['entries'] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const [address, ...hostNames] = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || !ipFamily(address)) return;
    const hit = hostNames.filter((n) => want.has(n.toLowerCase().replace(/\.$/, '')));
    if (hit.length) entries.push({ line: i + 1, address, names: hit });
  });
  return { path, entries, error: null };
}

// Stage 1: name resolution, as the bot's machine does it (getaddrinfo) and as each resolver
// answers it (A and AAAA with TTLs), so "works in DNS, fails on the network" and
// "this resolver says something else" are both visible.
import { promises as dns } from 'node:dns';
import { performance } from '../util/clock.js';
import type { DnsResolution, ErrorInfo, Target } from '../schema/summary.js';
import { SUMMARY_SCHEMA_VERSION } from '../schema/constants.js';
import { errorCode, errorMessage } from '../util/errors.js';
import { hostsEntries, type HostsLookup } from './hosts-file.js';
import { formatDnsServer, type DnsServer, type Family } from './options.js';
import { ipFamily } from '../util/ip-family.js';

type Query = DnsResolution['resolvers'][number]['queries'][number];
type ResolverResult = DnsResolution['resolvers'][number];

const DNS_ERROR_KINDS: Record<string, string> = {
  ENOTFOUND: 'nxdomain',
  ENODATA: 'nodata',
  ESERVFAIL: 'servfail',
  ETIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  ECONNREFUSED: 'refused',
  EREFUSED: 'refused',
  EAI_AGAIN: 'temporary-failure',
  EAI_FAIL: 'servfail',
  EAI_NONAME: 'nxdomain',
  EBADRESP: 'bad-response',
  EFORMERR: 'bad-response',
};

export function dnsError(err: unknown): ErrorInfo {
  const code = errorCode(err) ?? null;
  return { kind: (code && DNS_ERROR_KINDS[code]) || 'error', code, message: errorMessage(err) };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEOUT' })), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function query(resolver: dns.Resolver, host: string, rrtype: 'A' | 'AAAA', timeoutMs: number): Promise<Query> {
  const t0 = performance.now();
  try {
    const call = rrtype === 'A' ? resolver.resolve4(host, { ttl: true }) : resolver.resolve6(host, { ttl: true });
    const answers = await withTimeout(call, timeoutMs, `${rrtype} query`);
    return { rrtype, ms: performance.now() - t0, answers: answers.map((a) => ({ address: a.address, ttl: a.ttl })), error: null };
  } catch (err) {
    return { rrtype, ms: performance.now() - t0, answers: [], error: dnsError(err) };
  }
}

async function askResolver(role: ResolverResult['role'], servers: string[], label: string, host: string, timeoutMs: number): Promise<ResolverResult> {
  // One try per query: the probe measures the resolver, it does not paper over it.
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
  if (servers.length) resolver.setServers(servers);
  const queries = await Promise.all([query(resolver, host, 'A', timeoutMs), query(resolver, host, 'AAAA', timeoutMs)]);
  return { role, server: label, queries, addresses: queries.flatMap((q) => q.answers.map((a) => a.address)) };
}

function serverString(s: DnsServer): string {
  return ipFamily(s.address) === 6 ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`;
}

function keepFamily(targets: Target[], family: Family): Target[] {
  return family === 'any' ? targets : targets.filter((t) => String(t.family) === family);
}

/** The error to report when a resolver produced no usable address. */
function resolverFailure(r: ResolverResult): ErrorInfo {
  const errs = r.queries.map((q) => q.error).filter((e): e is ErrorInfo => e !== null);
  // NXDOMAIN/timeout/SERVFAIL says more than "no AAAA record", so prefer it.
  return errs.find((e) => e.kind !== 'nodata') ?? errs[0] ?? { kind: 'nodata', code: 'ENODATA', message: `${r.server} returned no address` };
}

function diff(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const sa = new Set(a);
  const sb = new Set(b);
  return { onlyA: a.filter((x) => !sb.has(x)), onlyB: b.filter((x) => !sa.has(x)) };
}

export interface ResolveOptions {
  host: string;
  hostsFile: string;
  family: Family;
  timeoutMs: number;
  resolver: DnsServer | null;
  compare: DnsServer[];
}

export async function resolveTarget(o: ResolveOptions): Promise<DnsResolution> {
  const t0 = performance.now();
  const systemServers = dns.getServers();
  const base = {
    schema: 'smtp-probe/dns-resolution' as const,
    schema_version: SUMMARY_SCHEMA_VERSION,
    host: o.host,
    family: o.family,
    system_servers: systemServers,
  };

  const literal = ipFamily(o.host);
  if (literal) {
    const targets = keepFamily([{ address: o.host, family: literal as 4 | 6 }], o.family);
    const error = targets.length ? null : { kind: 'family', code: null, message: `${o.host} is not an IPv${o.family} address` };
    return { ...base, source: 'literal', getaddrinfo: null, resolvers: [], hosts_file: null, targets, differences: [], ms: performance.now() - t0, error };
  }

  const hosts = hostsEntries(o.hostsFile, o.host);
  // Started first, so the compare resolvers run alongside the primary lookup.
  const compare = o.compare.map((s) => askResolver('compare', [serverString(s)], formatDnsServer(s), o.host, o.timeoutMs));
  const { getaddrinfo, primary, targets, error } = o.resolver ? await viaResolver(o, o.resolver, hosts) : await viaSystem(o, systemServers);
  const resolvers = [primary, ...(await Promise.all(compare))];
  const fromHosts = hosts.entries.length > 0 && o.resolver !== null;
  const differences = [...hostsDifferences(o, hosts), ...resolverDifferences(o, { getaddrinfo, primary, targets }, resolvers, fromHosts)];

  return {
    ...base,
    source: fromHosts || (getaddrinfo && hosts.entries.length && targets.every((t) => hosts.entries.some((e) => e.address === t.address))) ? 'hosts-file' : o.resolver ? 'resolver' : 'system',
    getaddrinfo,
    resolvers,
    hosts_file: hosts,
    targets,
    differences,
    ms: performance.now() - t0,
    error,
  };
}

/** Where the targets came from: getaddrinfo (or --resolver), the resolver asked, and why there are none. */
interface Lookup {
  getaddrinfo: DnsResolution['getaddrinfo'];
  primary: ResolverResult;
  targets: Target[];
  error: ErrorInfo | null;
}

/** --resolver replaces the system resolver entirely (nothing is sent to the OS's servers). */
async function viaResolver(o: ResolveOptions, server: DnsServer, hosts: HostsLookup): Promise<Lookup> {
  const primary = await askResolver('resolver', [serverString(server)], formatDnsServer(server), o.host, o.timeoutMs);
  const aaaa = primary.queries.find((q) => q.rrtype === 'AAAA')!.answers.map((a) => ({ address: a.address, family: 6 as const }));
  const a = primary.queries.find((q) => q.rrtype === 'A')!.answers.map((x) => ({ address: x.address, family: 4 as const }));
  // RFC 6724's default policy puts IPv6 first, as getaddrinfo does on a dual-stack host.
  let targets = keepFamily([...aaaa, ...a], o.family);
  let error: ErrorInfo | null = null;
  if (hosts.entries.length) {
    // --resolver stands in for the system's DNS, so the hosts file wins as getaddrinfo lets it.
    targets = keepFamily(hosts.entries.map((e) => ({ address: e.address, family: e.family })), o.family);
  } else if (!targets.length) error = primary.addresses.length ? familyError(o) : resolverFailure(primary);
  return { getaddrinfo: null, primary, targets, error };
}

/** What the bot does (getaddrinfo), next to what the system's DNS servers answer. */
async function viaSystem(o: ResolveOptions, systemServers: string[]): Promise<Lookup> {
  const g0 = performance.now();
  const [gai, sys] = await Promise.all([
    withTimeout(dns.lookup(o.host, { all: true, verbatim: true }), o.timeoutMs, 'getaddrinfo').then(
      (list) => ({ ms: performance.now() - g0, addresses: list.map((x) => ({ address: x.address, family: x.family as 4 | 6 })), error: null }),
      (err: unknown) => ({ ms: performance.now() - g0, addresses: [], error: dnsError(err) }),
    ),
    askResolver('system', [], systemServers.join(', ') || '(none configured)', o.host, o.timeoutMs),
  ]);
  const targets = keepFamily(gai.addresses, o.family);
  const error = targets.length ? null : gai.addresses.length ? familyError(o) : (gai.error ?? { kind: 'nodata', code: null, message: 'getaddrinfo returned no address' });
  return { getaddrinfo: gai, primary: sys, targets, error };
}

function hostsDifferences(o: ResolveOptions, hosts: HostsLookup): string[] {
  return hosts.entries.map((e) => `hosts file ${hosts.path} line ${e.line} maps ${o.host} to ${e.address}: DNS is not asked for it`);
}

/** Where the addresses used and what each other resolver answers disagree. */
function resolverDifferences(o: ResolveOptions, l: Omit<Lookup, 'error'>, resolvers: ResolverResult[], fromHosts: boolean): string[] {
  const { getaddrinfo, primary } = l;
  const differences: string[] = [];
  const used = l.targets.map((t) => t.address);
  const usedLabel = fromHosts ? 'the hosts file' : o.resolver ? `--resolver ${primary.server}` : 'getaddrinfo';
  if (getaddrinfo && getaddrinfo.addresses.length && primary.addresses.length) {
    const d = diff(getaddrinfo.addresses.map((a) => a.address), primary.addresses);
    // Addresses getaddrinfo returns that DNS does not know usually come from the hosts file.
    if (d.onlyA.length) differences.push(`getaddrinfo returned ${d.onlyA.join(', ')} which the system DNS servers did not (hosts file or another name service?)`);
  }
  for (const r of resolvers) {
    if (r === primary && o.resolver && !fromHosts) continue;
    if (r.role === 'system') continue; // compared above, against getaddrinfo
    const theirs = keepFamily(
      r.queries.flatMap((q) => q.answers.map((a) => ({ address: a.address, family: (q.rrtype === 'A' ? 4 : 6) as 4 | 6 }))),
      o.family,
    ).map((t) => t.address);
    if (!theirs.length) {
      const e = resolverFailure(r);
      differences.push(`${r.server} could not resolve ${o.host} (${e.kind}: ${e.code ?? e.message}) while ${usedLabel} ${used.length ? 'could' : 'could not either'}`);
      continue;
    }
    const d = diff(used, theirs);
    if (!used.length) differences.push(`${r.server} resolved ${o.host} to ${theirs.join(', ')} while ${usedLabel} failed`);
    else if (d.onlyA.length || d.onlyB.length) {
      const parts = [];
      if (d.onlyB.length) parts.push(`only ${r.server} returned ${d.onlyB.join(', ')}`);
      if (d.onlyA.length) parts.push(`only ${usedLabel} returned ${d.onlyA.join(', ')}`);
      differences.push(`${parts.join('; ')} (round-robin pools differ by resolver; a disjoint set points at a wrong or hijacking resolver)`);
    }
  }
  return differences;
}

function familyError(o: ResolveOptions): ErrorInfo {
  return { kind: 'family', code: null, message: `${o.host} has no IPv${o.family} address` };
}

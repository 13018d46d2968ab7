// The sender-domain audit: the domain's MX, SPF, DMARC, DKIM selector, MTA-STS, TLS-RPT and
// DANE (TLSA of each MX and of the submission host), and the egress IP against the DNSBLs,
// each finding with severity, evidence and next step. Every query goes to one resolver
// (--resolver or the system's), one try each, bounded by the DNS timeout; the whole audit is
// bounded too. DNSSEC is not validated here: the TLSA answers' AD bit says whether the resolver did.
import { promises as dns } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { SenderAuditSchema, type SenderAudit } from '../../schema/sender.js';
import { parseDuration } from '../../util/duration.js';
import { formatDnsServer, parseDnsServer, parseEgressIp, parseHost, parseSenderDomain, readCaFile, type DnsServer } from '../options.js';
import { checkDane, type SubmissionTarget } from './dane.js';
import { checkDmarc } from './dmarc.js';
import { checkEgress } from './egress.js';
import { checkMtaSts, fetchPolicy } from './mta-sts.js';
import { checkSpf, type Finding, type TxtLookup } from './spf.js';
import { checkTlsRpt } from './tls-rpt.js';
import { jsonText } from '../../report/json-text.js';
import { ipFamily } from '../../util/ip-family.js';

const ABSENT = new Set(['ENOTFOUND', 'ENODATA']);
/** The whole audit's limit, on top of each query's: a resolver that trickles answers cannot hold the run. */
export const AUDIT_LIMIT_MS = 45_000;

export interface SenderAuditOptions {
  domain: string;
  resolver: DnsServer | null;
  timeoutMs: number;
  dkimSelector: string | null;
  /** Extra trusted CAs (PEM) for the MTA-STS policy's HTTPS certificate. */
  ca: string[];
}

/** The runner's side, known once the probe has run: its egress IP(s) and the served chains. */
export interface RunnerFacts {
  egress: { ip: string; source: 'ehlo-greeting' | '--egress-ip' }[];
  submission: SubmissionTarget[];
}

interface Dns {
  resolver: dns.Resolver;
  label: string;
  server: DnsServer | null;
  txt: TxtLookup;
  a: (name: string) => Promise<string[] | null>;
  lookup: LookupFunction;
}

function resolverFor(o: SenderAuditOptions): Dns {
  const r = new dns.Resolver({ timeout: o.timeoutMs, tries: 1 });
  if (o.resolver) r.setServers([ipFamily(o.resolver.address) === 6 ? `[${o.resolver.address}]:${o.resolver.port}` : `${o.resolver.address}:${o.resolver.port}`]);
  const servers = r.getServers();
  let server: DnsServer | null = o.resolver;
  if (!server && servers[0]) {
    try {
      server = parseDnsServer(servers[0], 'system resolver');
    } catch {
      server = null;
    }
  }
  const absent = (err: unknown) => ABSENT.has((err as NodeJS.ErrnoException).code ?? '');
  const orNull = <T>(p: Promise<T>) => p.catch((err: unknown) => (absent(err) ? null : Promise.reject(err)));
  // The MTA-STS host is resolved by the audit's resolver too, never by getaddrinfo behind its back.
  const lookup: LookupFunction = (host, options, cb) => {
    void (async () => {
      const v4 = ((await orNull(r.resolve4(host)).catch(() => null)) ?? []).map((address) => ({ address, family: 4 }));
      const v6 = v4.length && options.family !== 6 ? [] : ((await orNull(r.resolve6(host)).catch(() => null)) ?? []).map((address) => ({ address, family: 6 }));
      const all = [...v4, ...v6].filter((x) => !options.family || x.family === options.family);
      if (!all.length) return cb(Object.assign(new Error(`${host} does not resolve`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return (cb as unknown as (e: null, a: typeof all) => void)(null, all);
      cb(null, all[0]!.address, all[0]!.family);
    })();
  };
  return { resolver: r, label: o.resolver ? formatDnsServer(o.resolver) : servers.join(', ') || '(none configured)', server, txt: (name) => orNull(r.resolveTxt(name)), a: (name) => orNull(r.resolve4(name)), lookup };
}

export interface DomainPart {
  domain: string;
  dns: Dns;
  started: number;
  mx: string[];
  mxHosts: string[];
  sections: Partial<Pick<SenderAudit, 'spf' | 'dmarc' | 'mta_sts' | 'tls_rpt'>>;
  findings: Record<'mx' | 'spf' | 'dmarc' | 'dkim' | 'mta_sts' | 'tls_rpt' | 'dane_mx', Finding[]>;
  dane: SenderAudit['dane'];
}

/** What depends on the domain only; runs alongside the probe. */
export async function domainChecks(o: SenderAuditOptions, d: Dns = resolverFor(o)): Promise<DomainPart> {
  const p: DomainPart = { domain: o.domain, dns: d, started: performance.now(), mx: [], mxHosts: [], sections: {}, findings: { mx: [], spf: [], dmarc: [], dkim: [], mta_sts: [], tls_rpt: [], dane_mx: [] }, dane: { lookups: [], validated: null } };
  const fail = (id: string, what: string) => (err: unknown): Finding[] => [{ id, severity: 'warn', summary: `${what} could not be checked: ${err instanceof Error ? err.message : String(err)}`, evidence: `resolver ${d.label}`, next_step: 'Retry; check that the resolver answers (--resolver).' }];
  const mxList = await d.resolver.resolveMx(o.domain).then((m) => m.filter((x) => x.exchange).sort((a, b) => a.priority - b.priority), (err: unknown) => (ABSENT.has((err as NodeJS.ErrnoException).code ?? '') ? [] : Promise.reject(err))).catch((err: unknown) => {
    p.findings.mx = fail('mx-error', 'MX')(err);
    return null;
  });
  if (mxList) {
    p.mx = mxList.map((x) => `${x.priority} ${x.exchange}`);
    p.mxHosts = mxList.map((x) => x.exchange.toLowerCase());
    p.findings.mx = p.mx.length ? [{ id: 'mx-ok', severity: 'info', summary: `${o.domain} has ${p.mx.length} MX record(s)`, evidence: p.mx.join(', '), next_step: 'None.' }] : [{ id: 'mx-missing', severity: 'warn', summary: `${o.domain} has no MX record: bounces and replies to it go to its A record or nowhere`, evidence: `no MX at ${o.domain}`, next_step: `Publish MX records for ${o.domain}.` }];
  }
  const fetch = () => fetchPolicy(o.domain, { ca: o.ca, lookup: d.lookup, timeoutMs: o.timeoutMs });
  await Promise.all([
    checkSpf(o.domain, d.txt).then((r) => {
      p.sections.spf = { records: r.records, lookups: r.lookups, void_lookups: r.void_lookups, chain: r.chain.map((c) => `${c.via} ${c.domain}`) };
      p.findings.spf = r.findings;
    }, (err: unknown) => void (p.findings.spf = fail('spf-error', 'SPF')(err))),
    checkDmarc(o.domain, d.txt).then((r) => {
      p.sections.dmarc = r.record;
      p.findings.dmarc = r.findings;
    }, (err: unknown) => void (p.findings.dmarc = fail('dmarc-error', 'DMARC')(err))),
    o.dkimSelector ? checkDkim(o.domain, o.dkimSelector, d.txt).then((f) => void (p.findings.dkim = [f]), (err: unknown) => void (p.findings.dkim = fail('dkim-error', 'DKIM')(err))) : null,
    checkMtaSts(o.domain, p.mxHosts, d.txt, fetch).then((r) => {
      p.sections.mta_sts = r.mta_sts;
      p.findings.mta_sts = r.findings;
    }, (err: unknown) => void (p.findings.mta_sts = fail('mta-sts-error', 'MTA-STS')(err))),
    checkTlsRpt(o.domain, d.txt).then((r) => {
      p.sections.tls_rpt = r.tls_rpt;
      p.findings.tls_rpt = r.findings;
    }, (err: unknown) => void (p.findings.tls_rpt = fail('tls-rpt-error', 'TLS-RPT')(err))),
    p.mxHosts.length && d.server
      ? checkDane({ mx: p.mxHosts, submission: [], server: d.server, timeoutMs: o.timeoutMs }).then((r) => {
          p.dane = r.dane;
          p.findings.dane_mx = r.findings;
        })
      : null,
  ]);
  return p;
}

/** The runner's side (DNSBL of the egress IP, TLSA of the submission host), then the audit as a whole. */
export async function finishAudit(p: DomainPart, facts: RunnerFacts, timeoutMs: number): Promise<SenderAudit> {
  const [egress, sub] = await Promise.all([
    Promise.all(facts.egress.map((e) => checkEgress(e.ip, e.source, p.dns.a, timeoutMs))),
    facts.submission.length && p.dns.server ? checkDane({ mx: [], submission: facts.submission, server: p.dns.server, timeoutMs }) : null,
  ]);
  const lookups = [...p.dane.lookups, ...(sub?.dane.lookups ?? [])];
  const withTlsa = lookups.filter((l) => l.records.length);
  const noDane = (f: Finding) => f.id !== 'dane-none';
  const daneFindings = [...p.findings.dane_mx, ...(sub?.findings ?? [])];
  // "No TLSA anywhere" is said once, over every name asked, not once per side.
  const dane = withTlsa.length ? daneFindings.filter(noDane) : [...daneFindings.filter(noDane), ...(lookups.length ? [{ id: 'dane-none', severity: 'info' as const, summary: 'no TLSA records for the MX or the submission host: DANE is not in use', evidence: lookups.map((l) => `${l.name}: ${l.error ? 'error' : l.rcode}`).join(', '), next_step: 'Optional: DANE needs a DNSSEC-signed zone; MTA-STS protects inbound TLS without it.' }] : [])];
  const f = p.findings;
  return SenderAuditSchema.parse({
    domain: p.domain,
    resolver: p.dns.label,
    ms: performance.now() - p.started,
    mx: p.mx,
    spf: p.sections.spf ?? null,
    dmarc: p.sections.dmarc ?? null,
    dkim_selector: null,
    mta_sts: p.sections.mta_sts ?? null,
    tls_rpt: p.sections.tls_rpt ?? null,
    dane: { lookups, validated: withTlsa.length ? withTlsa.every((l) => l.ad) : null },
    egress: egress.map((e) => e.egress),
    error: null,
    findings: [...f.mx, ...f.spf, ...f.dmarc, ...f.dkim, ...f.mta_sts, ...f.tls_rpt, ...dane, ...egress.flatMap((e) => e.findings)],
  } satisfies SenderAudit);
}

/** Resolves to null when `p` takes longer than `ms`. */
function withLimit<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * Starts the domain's checks now (alongside the probe); `finish` adds the runner's facts once
 * known. Each half has AUDIT_LIMIT_MS: past it, a result that says so instead of a hung run.
 */
export function startSenderAudit(o: SenderAuditOptions, limitMs = AUDIT_LIMIT_MS): { finish(facts: RunnerFacts): Promise<SenderAudit> } {
  const started = performance.now();
  let failure: string | null = null;
  const failed = (err: unknown) => ((failure = err instanceof Error ? err.message : String(err)), null);
  const d = resolverFor(o);
  // Past the limit, queries still in flight are cancelled: an SPF walk must not go on holding the process.
  const part = withLimit(domainChecks(o, d), limitMs).catch(failed);
  return {
    async finish(facts) {
      const p = await part;
      const a = p && (await withLimit(finishAudit(p, facts, o.timeoutMs), limitMs).catch(failed));
      if (!a) d.resolver.cancel();
      return a ? { ...a, dkim_selector: o.dkimSelector } : timedOut(o, failure ?? `the sender-domain audit did not finish within ${Math.round(limitMs / 1000)} s`, performance.now() - started);
    },
  };
}

export function senderAudit(o: SenderAuditOptions, facts: RunnerFacts, limitMs = AUDIT_LIMIT_MS): Promise<SenderAudit> {
  return startSenderAudit(o, limitMs).finish(facts);
}

function timedOut(o: SenderAuditOptions, error: string, ms: number): SenderAudit {
  return {
    domain: o.domain, resolver: o.resolver ? formatDnsServer(o.resolver) : 'system', ms, mx: [], spf: null, dmarc: null, dkim_selector: o.dkimSelector, mta_sts: null, tls_rpt: null, dane: { lookups: [], validated: null }, egress: [], error,
    findings: [{ id: 'sender-audit-incomplete', severity: 'warn', summary: error, evidence: `resolver ${o.resolver ? formatDnsServer(o.resolver) : 'system'}, ${o.timeoutMs} ms per query`, next_step: 'Run `smtp-probe domain` alone with a longer --timeout, or use a resolver that answers (--resolver).' }],
  };
}

export interface DomainFlags {
  resolver?: string;
  egressIp?: string;
  dkimSelector?: string;
  timeout: string;
  ca?: string[];
  json?: boolean;
}

export async function domainCommand(domain: string, f: DomainFlags): Promise<number> {
  const o: SenderAuditOptions = {
    domain: parseSenderDomain(domain, 'domain'),
    resolver: f.resolver !== undefined ? parseDnsServer(f.resolver, '--resolver') : null,
    timeoutMs: parseDuration(f.timeout, '--timeout'),
    dkimSelector: f.dkimSelector ? parseHost(f.dkimSelector, '--dkim-selector') : null,
    ca: (f.ca ?? []).map(readCaFile),
  };
  const egress = f.egressIp !== undefined ? [{ ip: parseEgressIp(f.egressIp), source: '--egress-ip' as const }] : [];
  const a = await senderAudit(o, { egress, submission: [] });
  if (f.json) process.stdout.write(jsonText(a));
  else for (const x of a.findings) process.stdout.write(`${x.severity.padEnd(4)} ${x.summary}\n     evidence:  ${x.evidence}\n     next step: ${x.next_step}\n`);
  return domainExitCode(a);
}

/** Checks that could not be made at all (the resolver failed, the audit ran out of time). */
const INCOMPLETE = new Set(['mx-error', 'spf-error', 'dmarc-error', 'dkim-error', 'mta-sts-error', 'tls-rpt-error', 'sender-audit-incomplete']);

/** 0 clean, 3 when a finding fails, 4 when nothing failed but some check could not be made: a script can gate on it. */
export function domainExitCode(a: SenderAudit): number {
  if (a.findings.some((x) => x.severity === 'fail')) return 3;
  return a.findings.some((x) => INCOMPLETE.has(x.id)) ? 4 : 0;
}

/** The selector's key record: present, v=DKIM1 when tagged, and a key that is not revoked (empty p=). */
async function checkDkim(domain: string, selector: string, txt: TxtLookup): Promise<Finding> {
  const name = `${selector}._domainkey.${domain}`;
  const rec = ((await txt(name)) ?? []).map((s) => s.join(''))[0];
  if (!rec) return { id: 'dkim-missing', severity: 'fail', summary: `no DKIM key at ${name}: signatures with s=${selector} fail`, evidence: `no TXT at ${name}`, next_step: `Publish the selector's public key at ${name} (your provider shows it), or sign with a selector that exists.` };
  if (/(^|;)\s*v\s*=/.test(rec) && !/(^|;)\s*v\s*=\s*DKIM1\s*(;|$)/i.test(rec)) return { id: 'dkim-bad', severity: 'fail', summary: `${name} is not a DKIM1 key record`, evidence: rec, next_step: 'Publish "v=DKIM1; k=rsa; p=<key>".' };
  const p = /(?:^|;)\s*p\s*=\s*([^;]*)/.exec(rec)?.[1]?.trim();
  if (!p) return { id: 'dkim-revoked', severity: 'fail', summary: `the DKIM key at ${name} is empty (revoked) or has no p= tag`, evidence: rec, next_step: 'Publish the current public key for this selector.' };
  return { id: 'dkim-ok', severity: 'info', summary: `DKIM selector ${selector} has a key`, evidence: rec.length > 120 ? `${rec.slice(0, 120)}...` : rec, next_step: 'None.' };
}

// For the probe, which loads this module only with --sender-domain.
export { normHex } from './tlsa.js';

// `smtp-probe domain`: the sender domain's MX, SPF and DMARC, and the egress IP against the
// DNSBLs, each finding with severity, evidence and next step. One try per query, bounded by
// the DNS timeout. No DNSSEC validation is done here.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { UsageError } from '../../util/errors.js';
import { parseDnsServer, parseHost } from '../options.js';
import { parseDuration } from '../../util/duration.js';
import { checkDnsbl } from './dnsbl.js';
import { checkDmarc } from './dmarc.js';
import { checkSpf, type Finding, type TxtLookup } from './spf.js';
import { jsonText } from '../../report/json-text.js';

const ABSENT = new Set(['ENOTFOUND', 'ENODATA']);

export interface DomainFlags {
  resolver?: string;
  egressIp?: string;
  dkimSelector?: string;
  timeout: string;
  json?: boolean;
}

export async function domainAudit(domain: string, f: DomainFlags): Promise<{ domain: string; mx: string[]; findings: Finding[] }> {
  const d = parseHost(domain, 'domain');
  if (isIP(d)) throw new UsageError(`invalid domain "${domain}": expected a domain name like example.com`);
  if (f.egressIp !== undefined && !isIP(f.egressIp)) throw new UsageError(`invalid --egress-ip "${f.egressIp}": expected an IP address`);
  const timeoutMs = parseDuration(f.timeout, '--timeout');
  const r = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
  if (f.resolver) {
    const s = parseDnsServer(f.resolver, '--resolver');
    r.setServers([isIP(s.address) === 6 ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`]);
  }
  const absent = (err: unknown) => ABSENT.has((err as NodeJS.ErrnoException).code ?? '');
  const txt: TxtLookup = (name) => r.resolveTxt(name).catch((err: unknown) => (absent(err) ? null : Promise.reject(err)));
  const findings: Finding[] = [];
  const mx = await r.resolveMx(d).then((m) => m.sort((a, b) => a.priority - b.priority).map((x) => `${x.priority} ${x.exchange}`), (err: unknown) => (absent(err) ? [] : Promise.reject(err)));
  findings.push(mx.length ? { id: 'mx-ok', severity: 'info', summary: `${d} has ${mx.length} MX record(s)`, evidence: mx.join(', '), next_step: 'None.' } : { id: 'mx-missing', severity: 'warn', summary: `${d} has no MX record: bounces and replies to it go to its A record or nowhere`, evidence: `no MX at ${d}`, next_step: `Publish MX records for ${d}.` });
  findings.push(...(await checkSpf(d, txt)).findings, ...(await checkDmarc(d, txt)).findings);
  if (f.dkimSelector) findings.push(await checkDkim(d, parseHost(f.dkimSelector, '--dkim-selector'), txt));
  if (f.egressIp) {
    const lookup = (name: string) => r.resolve4(name).catch((err: unknown) => (absent(err) ? null : Promise.reject(err)));
    findings.push(...(await checkDnsbl(f.egressIp, lookup, undefined, { concurrency: 8, timeoutMs })).findings);
  }
  return { domain: d, mx, findings };
}

export async function domainCommand(domain: string, f: DomainFlags): Promise<number> {
  const a = await domainAudit(domain, f);
  if (f.json) process.stdout.write(jsonText(a));
  else for (const x of a.findings) process.stdout.write(`${x.severity.padEnd(4)} ${x.summary}\n     evidence:  ${x.evidence}\n     next step: ${x.next_step}\n`);
  // 0 clean, 3 when a finding fails: a script can gate on it.
  return a.findings.some((x) => x.severity === 'fail') ? 3 : 0;
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

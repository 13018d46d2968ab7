// MTA-STS (RFC 8461): the _mta-sts TXT record and the policy a sending MTA fetches over
// HTTPS, with the fetch rules a sender applies (certificate valid for mta-sts.<domain>, no
// redirects, 200 text/plain, size and time bounded), and whether the domain's MX hosts are
// covered by the policy's mx: patterns (an enforce policy that misses an MX makes senders
// that honour it refuse delivery to that MX).
import { request } from 'node:https';
import type { LookupFunction } from 'node:net';
import { trustContext } from '../tls.js';
import type { MtaStsPolicy, SenderAudit } from '../../schema/sender.js';
import type { Finding, TxtLookup } from './spf.js';

/** RFC 8461 3.3: senders should not take policies larger than this. */
export const MAX_POLICY_BYTES = 64 * 1024;
const MAX_AGE_LIMIT = 31_557_600;

export interface MtaStsTxt {
  id: string | null;
  valid: boolean;
}

/** `v=STSv1; id=20240101T000000;` -> its id; invalid when v is not first or id is not 1-32 alphanumerics. */
export function parseMtaStsTxt(txt: string): MtaStsTxt {
  const parts = txt.split(';').map((p) => p.trim()).filter(Boolean);
  if (!/^v=STSv1$/.test(parts[0] ?? '')) return { id: null, valid: false };
  const id = parts.map((p) => /^id=(.*)$/.exec(p)?.[1]).find((x) => x !== undefined) ?? null;
  return { id, valid: id !== null && /^[A-Za-z0-9]{1,32}$/.test(id) };
}

/** The policy file: "key: value" lines (CRLF or LF); mx repeats. Unknown keys are ignored, as RFC 8461 3.2 says. */
export function parseMtaStsPolicy(text: string): MtaStsPolicy {
  const p: MtaStsPolicy = { version: null, mode: null, mx: [], max_age: null };
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9_-]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const [key, value] = [m[1]!.toLowerCase(), m[2]!];
    if (key === 'version') p.version = value;
    else if (key === 'mode') p.mode = value;
    else if (key === 'mx') p.mx.push(value.toLowerCase());
    else if (key === 'max_age') p.max_age = /^\d{1,10}$/.test(value) ? Number(value) : null;
  }
  return p;
}

/** What is wrong with a parsed policy, one line each; empty when it is usable. */
export function policyProblems(p: MtaStsPolicy): string[] {
  const out: string[] = [];
  if (p.version !== 'STSv1') out.push(`version is ${p.version ?? 'missing'}, not STSv1`);
  if (!p.mode || !['enforce', 'testing', 'none'].includes(p.mode)) out.push(`mode is ${p.mode ?? 'missing'}, not enforce, testing or none`);
  if (p.max_age === null) out.push('max_age is missing or not a number');
  else if (p.max_age > MAX_AGE_LIMIT) out.push(`max_age ${p.max_age} is over the limit of ${MAX_AGE_LIMIT} s (one year)`);
  if (p.mode !== 'none' && !p.mx.length) out.push('no mx: line');
  return out;
}

/** RFC 8461 4.1: an exact name, or "*." covering exactly one more label on the left. */
export function mxMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const h = host.toLowerCase().replace(/\.$/, '');
  if (p.startsWith('*.')) {
    const rest = p.slice(2);
    const dot = h.indexOf('.');
    return dot > 0 && h.slice(dot + 1) === rest;
  }
  return p === h;
}

export interface FetchOptions {
  /** Extra trusted roots (the probe's --ca), added to the bundled ones. */
  ca: string[];
  /** Resolves mta-sts.<domain> the way the audit resolves everything: through its resolver. */
  lookup: LookupFunction;
  timeoutMs: number;
  /** 443 in use; tests never change it (their server listens on 443 of a loopback address). */
  port?: number;
}

/** GET the policy as a sending MTA does; rejects with a one-line reason on any rule it breaks. */
export function fetchPolicy(domain: string, o: FetchOptions): Promise<string> {
  const host = `mta-sts.${domain}`;
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    const done = (err: Error | null, text?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (err) reject(err);
      else resolve(text!);
    };
    const req = request({
      host,
      servername: host,
      port: o.port ?? 443,
      path: '/.well-known/mta-sts.txt',
      method: 'GET',
      lookup: o.lookup,
      ...(o.ca.length ? { secureContext: trustContext(o.ca) } : {}),
      // Node checks the certificate against `host` here: RFC 8461 3.3 wants exactly that name.
      rejectUnauthorized: true,
      agent: false,
      headers: { 'user-agent': 'smtp-probe (MTA-STS policy check)', accept: 'text/plain' },
    }, (res) => {
      const code = res.statusCode ?? 0;
      if (code >= 300 && code < 400) return done(new Error(`HTTP ${code} redirect to ${res.headers.location ?? '?'}: senders must not follow redirects`));
      if (code !== 200) return done(new Error(`HTTP ${code}: senders take 200 only`));
      const type = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'text/plain') return done(new Error(`Content-Type "${type || 'none'}": the policy must be served as text/plain`));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_POLICY_BYTES) return done(new Error(`policy larger than ${MAX_POLICY_BYTES} bytes`));
        chunks.push(d);
      });
      res.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
      res.on('error', (err) => done(err));
    });
    const timer = setTimeout(() => done(Object.assign(new Error(`timed out after ${o.timeoutMs} ms`), { code: 'ETIMEDOUT' })), o.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done(Object.assign(new Error(err.code ? `${err.code}: ${err.message}` : err.message), { code: err.code })));
    req.end();
  });
}

const NETWORK_ERRORS = new Set(['ETIMEDOUT', 'ECONNREFUSED', 'ECONNRESET', 'ENETUNREACH', 'EHOSTUNREACH', 'EAI_AGAIN']);

type MtaSts = NonNullable<SenderAudit['mta_sts']>;

export async function checkMtaSts(domain: string, mxHosts: string[], txt: TxtLookup, fetch: () => Promise<string>): Promise<{ mta_sts: MtaSts | null; findings: Finding[] }> {
  const name = `_mta-sts.${domain}`;
  const url = `https://mta-sts.${domain}/.well-known/mta-sts.txt`;
  const records = ((await txt(name)) ?? []).map((s) => s.join('')).filter((t) => /^v=STSv1\b/.test(t.trim()));
  if (!records.length) return { mta_sts: null, findings: [{ id: 'mta-sts-missing', severity: 'info', summary: `${domain} publishes no MTA-STS policy: mail to it may be delivered without TLS when a network strips STARTTLS`, evidence: `no "v=STSv1" TXT at ${name}`, next_step: `Optional: publish "v=STSv1; id=<date>" at ${name} and a policy at ${url} (start with mode: testing).` }] };
  const findings: Finding[] = [];
  const record = records[0]!;
  const parsed = parseMtaStsTxt(record);
  const out: MtaSts = { txt: record, id: parsed.id, url, policy: null, fetch_error: null, mx_coverage: [] };
  // RFC 8461 3.1: more than one record means no policy at all.
  if (records.length > 1) findings.push({ id: 'mta-sts-txt-multiple', severity: 'fail', summary: `${name} has ${records.length} STSv1 records: senders treat the domain as having no policy`, evidence: records.join(' | '), next_step: 'Keep one record.' });
  if (!parsed.valid) findings.push({ id: 'mta-sts-txt-invalid', severity: 'fail', summary: `${name} is not a valid STSv1 record (v=STSv1 first, id= of 1-32 letters and digits)`, evidence: record, next_step: `Publish "v=STSv1; id=20260101" at ${name}.` });
  let text: string;
  try {
    text = await fetch();
  } catch (err) {
    out.fetch_error = err instanceof Error ? err.message : String(err);
    // This runner's own network may be what stops the fetch (no direct HTTPS out): not proof that the domain is wrong.
    if (NETWORK_ERRORS.has((err as NodeJS.ErrnoException).code ?? '')) {
      findings.push({ id: 'mta-sts-policy-unreachable', severity: 'warn', summary: `the MTA-STS policy of ${domain} could not be reached from here: ${out.fetch_error}`, evidence: `GET ${url}: ${out.fetch_error}`, next_step: `Fetch ${url} from a machine with direct HTTPS access; if it fails there too, senders cannot fetch it either.` });
      return { mta_sts: out, findings };
    }
    findings.push({ id: 'mta-sts-policy-unavailable', severity: 'fail', summary: `the MTA-STS policy of ${domain} cannot be fetched as senders fetch it: ${out.fetch_error}`, evidence: `GET ${url}: ${out.fetch_error}`, next_step: `Serve the policy at ${url} over HTTPS with a certificate valid for mta-sts.${domain}, as text/plain, without redirects; or remove the ${name} record.` });
    return { mta_sts: out, findings };
  }
  const policy = parseMtaStsPolicy(text);
  out.policy = policy;
  const problems = policyProblems(policy);
  if (problems.length) findings.push({ id: 'mta-sts-policy-invalid', severity: 'fail', summary: `the MTA-STS policy of ${domain} is invalid: ${problems.join('; ')}`, evidence: text.slice(0, 300).replace(/\r?\n/g, ' | '), next_step: 'Fix the policy file: version: STSv1, mode: enforce|testing|none, mx: <each MX or *.domain>, max_age: <seconds>.' });
  out.mx_coverage = mxHosts.map((mx) => ({ mx, pattern: policy.mx.find((p) => mxMatches(p, mx)) ?? null }));
  const uncovered = out.mx_coverage.filter((c) => c.pattern === null).map((c) => c.mx);
  if (uncovered.length && policy.mode !== 'none') findings.push({ id: 'mta-sts-mx-not-covered', severity: policy.mode === 'enforce' ? 'fail' : 'warn', summary: `MX host(s) ${uncovered.join(', ')} not covered by the MTA-STS policy (mode ${policy.mode}): senders that enforce it will not deliver there`, evidence: `policy mx: ${policy.mx.join(', ') || '(none)'}; MX: ${mxHosts.join(', ')}`, next_step: `Add "mx: ${uncovered[0]}" (or a *. pattern) to the policy, change its id in ${name}.` });
  if (!problems.length && policy.mode === 'testing') findings.push({ id: 'mta-sts-testing', severity: 'info', summary: `MTA-STS is in testing mode: failures are reported (TLS-RPT), not enforced`, evidence: text.slice(0, 300).replace(/\r?\n/g, ' | '), next_step: 'Move to mode: enforce once the TLS reports are clean.' });
  if (!findings.some((f) => f.severity !== 'info')) findings.push({ id: 'mta-sts-ok', severity: 'info', summary: `MTA-STS mode ${policy.mode}, max_age ${policy.max_age}, covering ${out.mx_coverage.length} MX host(s)`, evidence: `${record}; policy mx: ${policy.mx.join(', ')}`, next_step: 'None.' });
  return { mta_sts: out, findings };
}

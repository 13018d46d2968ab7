// The sender-domain audit (`smtp-probe domain`, and `probe --sender-domain` as the optional
// `sender` field of probe_summary.json): what DNS says about the domain a bot sends as and
// about the runner's public address, each finding with its evidence and next step.
import { z } from 'zod';

const Ms = z.number().nonnegative().describe('milliseconds');

export const SeveritySchema = z.enum(['info', 'warn', 'fail']);
export type Severity = z.infer<typeof SeveritySchema>;

export const SenderFindingSchema = z.object({
  id: z.string().describe('stable id, e.g. spf-too-many-lookups; the fleet groups runners by id:domain'),
  severity: SeveritySchema,
  summary: z.string(),
  evidence: z.string().describe('the record text, or the query and its answer'),
  next_step: z.string(),
});
export type SenderFinding = z.infer<typeof SenderFindingSchema>;

export const MtaStsPolicySchema = z.object({
  version: z.string().nullable(),
  mode: z.string().nullable().describe('enforce, testing or none'),
  mx: z.array(z.string()).describe('the mx: patterns, e.g. *.example.com'),
  max_age: z.number().int().nullable().describe('seconds'),
});
export type MtaStsPolicy = z.infer<typeof MtaStsPolicySchema>;

export const MtaStsSchema = z.object({
  txt: z.string().nullable().describe('the v=STSv1 record at _mta-sts.<domain>'),
  id: z.string().nullable(),
  url: z.string(),
  policy: MtaStsPolicySchema.nullable(),
  fetch_error: z.string().nullable().describe('why the policy could not be fetched (certificate, redirect, size, time, type)'),
  mx_coverage: z.array(z.object({ mx: z.string(), pattern: z.string().nullable().describe('the policy mx: pattern that covers it; null: none') })),
});

export const TlsRptSchema = z.object({
  record: z.string().nullable(),
  rua: z.array(z.string()),
});

export const TlsaRecordSchema = z.object({
  usage: z.number().int().min(0).max(255).describe('0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE'),
  selector: z.number().int().min(0).max(255).describe('0 full certificate, 1 SubjectPublicKeyInfo'),
  matching_type: z.number().int().min(0).max(255).describe('0 exact, 1 SHA-256, 2 SHA-512'),
  data: z.string().describe('hex'),
});
export type TlsaRecord = z.infer<typeof TlsaRecordSchema>;

export const TlsaLookupSchema = z.object({
  name: z.string().describe('_<port>._tcp.<host>'),
  role: z.enum(['mx', 'submission']),
  records: z.array(TlsaRecordSchema),
  ad: z.boolean().describe('the resolver set the AD bit: it validated the answer with DNSSEC'),
  rcode: z.string().nullable(),
  error: z.string().nullable(),
  ms: Ms,
  match: z.enum(['match', 'mismatch', 'not-checked']).nullable().describe('against the certificate chain the probe was served (submission host only)'),
  matched: z.string().nullable().describe('which record matched which certificate, e.g. "3 1 1 on the leaf"'),
});
export type TlsaLookup = z.infer<typeof TlsaLookupSchema>;

export const DnsblResultSchema = z.object({
  zone: z.string(),
  name: z.string(),
  status: z.enum(['listed', 'clean', 'refused', 'error']),
  answers: z.array(z.string()),
  meaning: z.string().nullable(),
  ms: Ms,
});

export const EgressCheckSchema = z.object({
  ip: z.string(),
  source: z.enum(['ehlo-greeting', '--egress-ip']),
  public: z.boolean().describe('false: private, loopback, link-local or shared address space; the DNSBLs are not asked'),
  dnsbl: z.array(DnsblResultSchema),
});

export const SenderAuditSchema = z.object({
  domain: z.string(),
  resolver: z.string().describe('the DNS server(s) asked: --resolver or the system ones'),
  ms: Ms,
  mx: z.array(z.string()).describe('"<preference> <exchange>", best first'),
  spf: z.object({ records: z.array(z.string()), lookups: z.number().int(), void_lookups: z.number().int(), chain: z.array(z.string()).describe('the include/redirect path walked') }).nullable(),
  dmarc: z.string().nullable().describe('the v=DMARC1 record'),
  dkim_selector: z.string().nullable(),
  mta_sts: MtaStsSchema.nullable(),
  tls_rpt: TlsRptSchema.nullable(),
  dane: z.object({
    lookups: z.array(TlsaLookupSchema),
    validated: z.boolean().nullable().describe('true: every TLSA answer carried AD; false: some did not; null: no TLSA published'),
  }),
  egress: z.array(EgressCheckSchema),
  error: z.string().nullable().describe('why the audit stopped early (its time limit), when it did'),
  findings: z.array(SenderFindingSchema),
});
export type SenderAudit = z.infer<typeof SenderAuditSchema>;

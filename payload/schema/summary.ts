// The on-disk formats of a probe run. Each schema is the single source of its TypeScript
// type; bump the schema_version literal when a change is not backwards compatible.
import { z } from 'zod';

// One-shot CLI: each schema parses a handful of times, so zod's compiled (JIT) parsers cost more than they save.
z.config({ jitless: true });
import { CLASSES } from '../classify/classes.js';
import { PcapSchema, TlsMatrixSchema } from './tls-matrix.js';
import { SenderAuditSchema } from './sender.js';

// v2 (proxy support): attempts may go through a proxy (attempt.path, attempt.proxy), a
// target may be a name the proxy resolves (family null, dns.source "proxy"), and the summary
// and env snapshot carry proxy discovery and the direct-vs-proxy comparison. v1 files (older
// runners in a fleet) still parse: the new fields default to what v1 meant (direct, none).
import { FINDING_IDS, SUMMARY_SCHEMA_VERSION, TIMING_STAGES } from './constants.js';
export { FINDING_IDS, SUMMARY_SCHEMA_VERSION, TIMING_STAGES };
// Readers keep taking older files: a store holds ZIPs from runners not yet updated.
const VersionSchema = z.union([z.literal(1), z.literal(2), z.literal(SUMMARY_SCHEMA_VERSION)]).describe('1: before proxy support; 2: proxies; 3: current (provider preset, ESMTP matrix and timing findings, TLS matrix, pcap)');

const Iso = z.string().describe('ISO 8601 timestamp, UTC');
const Ms = z.number().nonnegative().describe('milliseconds, rounded to 0.01 when written');
/** How many of something: the fleet controller counts and divides with these, so no negatives. */
const Count = z.number().int().nonnegative();

export const FailureClassSchema = z.enum(CLASSES);
export const StageSchema = z.enum(['dns', 'connect', 'tls', 'smtp', 'auth']);
export const ModeSchema = z.enum(['starttls', 'implicit', 'plain']);
export type Mode = z.infer<typeof ModeSchema>;

export const ErrorInfoSchema = z.object({
  kind: z.string().describe('what went wrong, e.g. refused, reset, timeout, unreachable, nxdomain, handshake, protocol'),
  code: z.string().nullable().describe('errno or OpenSSL code as Node reports it'),
  message: z.string(),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

// ---- DNS ----
export const DnsQuerySchema = z.object({
  rrtype: z.enum(['A', 'AAAA']),
  ms: Ms,
  answers: z.array(z.object({ address: z.string(), ttl: z.number().int().nullable() })),
  error: ErrorInfoSchema.nullable(),
});
export const ResolverResultSchema = z.object({
  role: z.enum(['system', 'resolver', 'compare']).describe('system: the resolvers of the OS; resolver: --resolver (used for the targets); compare: --dns'),
  server: z.string(),
  queries: z.array(DnsQuerySchema),
  addresses: z.array(z.string()),
});
export const GetaddrinfoSchema = z.object({
  ms: Ms,
  addresses: z.array(z.object({ address: z.string(), family: z.union([z.literal(4), z.literal(6)]) })).describe('in getaddrinfo order'),
  error: ErrorInfoSchema.nullable(),
});
const FamilySchema = z.union([z.literal(4), z.literal(6), z.null()]).describe('null: a host name handed to the proxy, which resolves it');
export const TargetSchema = z.object({ address: z.string(), family: FamilySchema });
export type Target = z.infer<typeof TargetSchema>;

export const DnsResolutionSchema = z.object({
  schema: z.literal('smtp-probe/dns-resolution'),
  schema_version: VersionSchema,
  host: z.string(),
  family: z.enum(['4', '6', 'any']),
  source: z.enum(['system', 'resolver', 'literal', 'hosts-file', 'proxy']).describe('where the connect targets came from; proxy: the name was handed to the proxy (socks5h, HTTP CONNECT), which resolved it'),
  system_servers: z.array(z.string()).describe('resolvers configured on this machine'),
  getaddrinfo: GetaddrinfoSchema.nullable(),
  resolvers: z.array(ResolverResultSchema),
  hosts_file: z
    .object({
      path: z.string(),
      entries: z.array(z.object({ line: z.number().int(), address: z.string(), family: z.union([z.literal(4), z.literal(6)]) })),
      error: z.string().nullable(),
    })
    .nullable()
    .describe('entries of the hosts file for the target host'),
  targets: z.array(TargetSchema),
  differences: z.array(z.string()).describe('human-readable notes where resolvers disagree'),
  ms: Ms,
  error: ErrorInfoSchema.nullable(),
});
export type DnsResolution = z.infer<typeof DnsResolutionSchema>;

// ---- TLS ----
export const CertificateSchema = z.object({
  subject: z.string(),
  issuer: z.string(),
  subject_alt_names: z.array(z.string()),
  valid_from: z.string(),
  valid_to: z.string(),
  serial: z.string(),
  fingerprint_sha256: z.string(),
  spki_sha256: z.string().optional().describe('SHA-256 of the SubjectPublicKeyInfo (hex): what TLSA 3 1 1 / 2 1 1 records pin'),
  self_signed: z.boolean(),
});
export type Certificate = z.infer<typeof CertificateSchema>;

export const TlsResultSchema = z.object({
  sni: z.string().nullable(),
  after: z.enum(['connect', 'starttls']),
  handshake_ms: Ms.nullable(),
  protocol: z.string().nullable(),
  cipher: z.string().nullable(),
  cipher_standard_name: z.string().nullable(),
  alpn: z.string().nullable(),
  authorized: z.boolean(),
  verify_error: z.string().nullable().describe('Node/OpenSSL verification code, e.g. CERT_HAS_EXPIRED'),
  verify_reason: z.string().nullable(),
  chain: z.array(CertificateSchema).describe('leaf first, as served, captured even when verification fails'),
  os_trusted: z.boolean().nullable().describe('the served chain verifies against the operating system roots (null: store not available)'),
  os_store: z.string().nullable().describe('which OS store was used'),
  error: ErrorInfoSchema.nullable(),
});
export type TlsResult = z.infer<typeof TlsResultSchema>;

// ---- SMTP ----
export const SmtpReplySchema = z.object({
  code: z.number().int().nullable(),
  enhanced: z.string().nullable().describe('RFC 3463 enhanced status code, when present'),
  lines: z.array(z.string()),
  ms: Ms,
});
export type SmtpReply = z.infer<typeof SmtpReplySchema>;

export const SmtpFeaturesSchema = z.object({
  size_bytes: z.number().int().nullable(),
  size_mb: z.number().nullable(),
  auth_mechanisms: z.array(z.string()),
  starttls: z.boolean(),
  pipelining: z.boolean(),
  eightbitmime: z.boolean(),
  smtputf8: z.boolean(),
  chunking: z.boolean(),
  enhancedstatuscodes: z.boolean(),
  dsn: z.boolean(),
});

export const SmtpResultSchema = z.object({
  banner: SmtpReplySchema.nullable(),
  ehlo: SmtpReplySchema.nullable(),
  starttls: SmtpReplySchema.nullable(),
  ehlo_tls: SmtpReplySchema.nullable(),
  noop: SmtpReplySchema.nullable(),
  quit: SmtpReplySchema.nullable(),
  extensions: z.array(z.string()).describe('keywords of the last EHLO reply (over TLS when TLS was used)'),
  features: SmtpFeaturesSchema,
  egress_ip: z.string().nullable().describe('the client address the server saw, from its EHLO greeting'),
  auth: SmtpReplySchema.nullable().describe('the final reply to AUTH (--auth-test); credentials and challenges are never kept'),
  auth_mechanism: z.string().nullable(),
  auth_challenge: z.boolean().describe('the server answered the credentials with a 334 challenge (XOAUTH2 error details)'),
  auth_skipped: z.string().nullable().describe('why AUTH was not tried on this attempt'),
  mail: SmtpReplySchema.nullable(),
  rcpt: SmtpReplySchema.nullable(),
  data: SmtpReplySchema.nullable().describe('the reply to DATA (354 expected)'),
  data_end: SmtpReplySchema.nullable().describe('the reply after the message was sent (--send-test)'),
  rset: SmtpReplySchema.nullable(),
  message: z.object({ bytes: z.number().int(), attachment: z.string().nullable() }).nullable().describe('what --send-test sent (never its content)'),
  port_speaks_tls: z.boolean().nullable().describe('when no banner came: whether the port answered a TLS ClientHello on a second connection'),
  error: ErrorInfoSchema.nullable(),
  last_line: z.string().nullable().describe('the last line the server sent'),
  mail_plain: SmtpReplySchema.nullable().optional().describe('STARTTLS-required check: the reply to MAIL FROM sent on the plain channel before STARTTLS (a submission port must refuse it)'),
  rset_plain: SmtpReplySchema.nullable().optional().describe('the RSET that followed the STARTTLS-required check'),
  greylist: z
    .object({ step: z.string(), code: z.number().int(), enhanced: z.string().nullable(), delay_s: z.number().int().nullable().describe('the delay the server named; null: none named'), line: z.string() })
    .nullable()
    .optional()
    .describe('a 450/451 greylisting answer on this attempt'),
});
export type SmtpResult = z.infer<typeof SmtpResultSchema>;

export const ClassificationSchema = z.object({
  class: FailureClassSchema,
  hint_id: z.string(),
  summary: z.string(),
  evidence: z.string().describe('the line the classification rests on'),
  next_step: z.string(),
});
export type Classification = z.infer<typeof ClassificationSchema>;

// ---- proxy ----
export const ProxyKindSchema = z.enum(['http', 'socks5', 'socks5h']);
export const ProxyAttemptSchema = z.object({
  proxy: z.string().describe('kind://[user@]host:port; never a password'),
  kind: ProxyKindSchema,
  source: z.string().describe('where the proxy came from: --proxy, HTTPS_PROXY, WinHTTP...'),
  destination: z.string().describe('host:port the proxy was asked to reach'),
  resolved_by: z.enum(['local', 'proxy']).describe('who turned the SMTP host name into an address'),
  connect_ms: Ms.nullable().describe('TCP connection to the proxy'),
  tunnel_ms: Ms.nullable().describe('CONNECT or SOCKS negotiation until the tunnel was open'),
  reply: z.string().nullable().describe("the proxy's answer: HTTP status line, or SOCKS5 reply code and meaning"),
  reply_code: z.number().int().nullable().describe('HTTP status or SOCKS5 reply code'),
  failed_step: z.enum(['proxy-connect', 'proxy-auth', 'tunnel']).nullable(),
  error: ErrorInfoSchema.nullable(),
});
export type ProxyAttempt = z.infer<typeof ProxyAttemptSchema>;

export const ProxyDiscoverySchema = z.object({
  env: z.record(z.string(), z.string()).describe('proxy variables, credentials masked'),
  no_proxy: z.string().nullable(),
  no_proxy_covers_host: z.boolean(),
  winhttp: z.object({ direct: z.boolean(), proxy_server: z.string().nullable(), bypass_list: z.string().nullable() }).nullable().describe('netsh winhttp show proxy (Windows)'),
  wininet: z
    .object({ proxy_enable: z.boolean().nullable(), proxy_server: z.string().nullable(), proxy_override: z.string().nullable(), pac_url: z.string().nullable(), auto_detect: z.boolean().nullable() })
    .nullable()
    .describe('HKCU Internet Settings (Windows)'),
  candidates: z.array(z.object({ source: z.string(), proxy: z.string() })),
  chosen: z.object({ source: z.string(), proxy: z.string() }).nullable().describe('what --proxy auto uses'),
  notes: z.array(z.string()),
});
export type ProxyDiscovery = z.infer<typeof ProxyDiscoverySchema>;

export const PathSummarySchema = z.object({
  path: z.enum(['direct', 'proxy']),
  via: z.string().nullable(),
  attempts: Count,
  ok: Count,
  classes: z.record(z.string(), Count),
  class: FailureClassSchema,
  hint_id: z.string(),
  evidence: z.string(),
  connect_ms_median: Ms.nullable(),
  total_ms_median: Ms.nullable(),
  text: z.string().describe('one line, e.g. "direct: connect timeout on every address"'),
});
export type PathSummary = z.infer<typeof PathSummarySchema>;

export const ComparisonSchema = z.object({
  direct: PathSummarySchema,
  proxy: PathSummarySchema,
  differs: z.boolean(),
  text: z.string(),
});
export type Comparison = z.infer<typeof ComparisonSchema>;

export const AttemptSchema = z.object({
  id: z.string(),
  round: z.number().int().positive(),
  ip: z.string().describe('the address connected to; a host name when the proxy resolved it'),
  family: FamilySchema,
  path: z.enum(['direct', 'proxy']).default('direct'),
  proxy: ProxyAttemptSchema.nullable().default(null).describe('how the proxy was used (path proxy); the tcp block then times proxy connect + tunnel'),
  port: z.number().int(),
  mode: ModeSchema,
  started_at: Iso,
  connected_time: Iso.nullable().describe('when the TCP connection was established'),
  duration_ms: Ms,
  tcp: z.object({
    ok: z.boolean(),
    // Through a proxy: the time until the tunnel was open, and the local end of the connection to the proxy.
    connect_ms: Ms.nullable(),
    local_address: z.string().nullable(),
    local_port: z.number().int().nullable(),
    error: ErrorInfoSchema.nullable(),
  }),
  tls: TlsResultSchema.nullable(),
  smtp: SmtpResultSchema,
  failed_stage: StageSchema.nullable(),
  classification: ClassificationSchema,
  transcript_file: z.string(),
  greylist_retry: z
    .object({ after_attempt: z.string(), asked_s: z.number().int().nullable(), waited_ms: Ms })
    .nullable()
    .optional()
    .describe('this attempt waited for the greylisting delay the previous round on the same address and port was given'),
});
export type Attempt = z.infer<typeof AttemptSchema>;

export const EsmtpFindingSchema = z.object({
  id: z.enum(FINDING_IDS),
  severity: z.enum(['info', 'warning', 'problem']),
  port: z.number().int(),
  step: z.string().nullable().describe('banner, ehlo, mail, rcpt...'),
  ms: Ms.nullable(),
  text: z.string(),
});
export type EsmtpFinding = z.infer<typeof EsmtpFindingSchema>;
export const EsmtpPortSchema = z.object({
  port: z.number().int(),
  mode: ModeSchema,
  size_bytes: z.number().int().nullable(),
  size_mb: z.number().nullable(),
  eightbitmime: z.boolean(),
  smtputf8: z.boolean(),
  pipelining: z.boolean(),
  chunking: z.boolean(),
  dsn: z.boolean(),
  enhancedstatuscodes: z.boolean(),
  starttls_offered: z.boolean(),
  auth_before_tls: z.array(z.string()).nullable().describe('AUTH mechanisms on the plain channel (STARTTLS ports); null: no plain EHLO'),
  auth_after_tls: z.array(z.string()).nullable().describe('AUTH mechanisms over TLS; null: no EHLO over TLS'),
  mail_before_tls: z.enum(['refused', 'accepted', 'deferred', 'not-checked']).describe('the STARTTLS-required check: MAIL FROM on the plain channel'),
  mail_before_tls_reply: z.string().nullable(),
  banner_ms_max: Ms.nullable(),
  command_ms_max: Ms.nullable(),
});
export const EsmtpSchema = z.object({ ports: z.array(EsmtpPortSchema), findings: z.array(EsmtpFindingSchema) });
export type Esmtp = z.infer<typeof EsmtpSchema>;

const DistributionSchema = z.object({ n: Count, min: Ms, median: Ms, p90: Ms, max: Ms }).nullable();

/** `--provider`: the preset's endpoints and what the provider is known to do, for comparing with what was seen. */
export const ProviderPresetSchema = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string().nullable(),
  region_defaulted: z.boolean().describe('the region is the preset\'s default, not one given with --region'),
  endpoints: z.array(z.object({ host: z.string(), port: z.number().int(), mode: ModeSchema, optional: z.boolean() })),
  username: z.string().nullable().describe('how the provider wants the SMTP user name written'),
  auth_mechanisms: z.array(z.string()),
  always_offers_starttls: z.boolean(),
  certificate_issuer: z.string().nullable(),
  source: z.string(),
});
export type ProviderPreset = z.infer<typeof ProviderPresetSchema>;

export const ProbeSummarySchema = z.object({
  schema: z.literal('smtp-probe/probe-summary'),
  schema_version: VersionSchema,
  tool: z.object({ name: z.literal('smtp-probe'), version: z.string() }),
  run: z.object({ id: z.string(), command: z.string(), started_at: Iso, finished_at: Iso, duration_ms: Ms }),
  settings: z.object({
    host: z.string(),
    ports: z.array(z.object({ port: z.number().int(), mode: ModeSchema })),
    family: z.enum(['4', '6', 'any']),
    attempts: z.number().int().positive(),
    concurrency: z.number().int().positive(),
    timeouts_ms: z.object({ dns: Ms, connect: Ms, tls: Ms, smtp: Ms }),
    sni: z.string().nullable(),
    ehlo_name: z.string(),
    resolver: z.string().nullable(),
    hosts_file: z.string(),
    compare_dns: z.array(z.string()),
    ca_files: z.array(z.string()),
    auth_test: z
      .object({ user: z.string(), mechanism: z.string(), max_attempts: z.number().int(), secret_from: z.string().describe('where the secret was read from; never the secret') })
      .nullable(),
    send_test: z.object({ from: z.string(), to: z.string(), attachment: z.string().nullable() }).nullable(),
    proxy: z
      .object({
        mode: z.enum(['explicit', 'auto']),
        proxy: z.string().nullable().describe('kind://[user@]host:port; never a password'),
        kind: ProxyKindSchema.nullable(),
        source: z.string().nullable(),
        password_from: z.string().nullable().describe('where the proxy password was read from; never the password'),
        resolved_by: z.enum(['local', 'proxy']).nullable(),
      })
      .nullable()
      .default(null),
    provider: ProviderPresetSchema.optional().describe('--provider: the preset the host and ports came from'),
  }),
  dns: z.object({
    source: DnsResolutionSchema.shape.source,
    ms: Ms,
    targets: z.array(TargetSchema),
    differences: z.array(z.string()),
    error: ErrorInfoSchema.nullable(),
  }),
  attempts: z.array(AttemptSchema),
  sweep: z
    .object({
      total: Count,
      ok: Count,
      success_rate: z.number().min(0).max(1),
      per_target: z.array(
        z
          .object({
            ip: z.string(),
            port: z.number().int(),
            mode: ModeSchema,
            path: z.enum(['direct', 'proxy']).default('direct'),
            attempts: Count,
            ok: Count,
            success_rate: z.number().min(0).max(1),
            classes: z.record(z.string(), Count),
          })
          .refine((t) => t.ok <= t.attempts, { message: 'more ok attempts than attempts', path: ['ok'] }),
      ),
      timings_ms: z.object(Object.fromEntries(TIMING_STAGES.map((s) => [s, DistributionSchema])) as Record<(typeof TIMING_STAGES)[number], typeof DistributionSchema>),
    })
    // The fleet summary divides ok by total: a rate above 1 would fail it far from here.
    .refine((s) => s.ok <= s.total, { message: 'more ok attempts than attempts', path: ['ok'] }),
  egress_ips: z.array(z.string()),
  verdict: z.object({
    class: FailureClassSchema,
    exit_code: z.number().int().min(0).max(255),
    partial: z.boolean().describe('true when some attempts succeeded and others did not'),
    counts: z.record(z.string(), Count),
    hint_id: z.string(),
    summary: z.string(),
    evidence: z.string(),
    next_step: z.string(),
  }),
  proxy_discovery: ProxyDiscoverySchema.nullable().default(null),
  comparison: ComparisonSchema.nullable().default(null).describe('--proxy auto: the direct path and the proxy side by side'),
  tls_matrix: TlsMatrixSchema.optional().describe('--tls-matrix: TLS versions and suites per port, and what this runtime offers'),
  pcap: PcapSchema.optional().describe('--pcap: the capture of the probe\'s own traffic, or why there is none'),
  esmtp: EsmtpSchema.optional().describe('the ESMTP feature matrix per port and the timing/greylisting findings'),
  sender: SenderAuditSchema.optional().describe('--sender-domain: MX, SPF, DMARC, DKIM, MTA-STS, TLS-RPT and DANE of the domain, and the egress IP against the DNSBLs'),
  files: z.array(z.string()),
});
export type ProbeSummary = z.infer<typeof ProbeSummarySchema>;

export const EnvSnapshotSchema = z.object({
  schema: z.literal('smtp-probe/env-snapshot'),
  schema_version: VersionSchema,
  collected_at: Iso,
  os: z.object({ platform: z.string(), release: z.string(), version: z.string(), arch: z.string(), hostname: z.string() }),
  runtime: z.object({ node: z.string(), openssl: z.string(), tool_version: z.string() }),
  clock: z.object({ utc: Iso, local: z.string(), timezone: z.string(), utc_offset_minutes: z.number().int() }),
  proxy_env: z.record(z.string(), z.string()).describe('proxy variables, credentials masked'),
  proxy_discovery: ProxyDiscoverySchema.nullable().default(null),
  interfaces: z.array(z.object({ name: z.string(), address: z.string(), family: z.string(), internal: z.boolean() })),
});
export type EnvSnapshot = z.infer<typeof EnvSnapshotSchema>;

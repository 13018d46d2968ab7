// The on-disk formats `smtp-probe diagnose` adds to a run folder. Every collector writes
// one JSON file in the same envelope (who made it, whether it ran, why not), with its own
// data schema inside. Bump DIAGNOSE_SCHEMA_VERSION when a change is not backwards compatible.
import { z } from 'zod';
import { CLASSES } from '../classify/classes.js';

export const DIAGNOSE_SCHEMA_VERSION = 2 as const;
// Files written by an older smtp-probe still parse: what version 2 added has a default.
const VersionSchema = z.union([z.literal(1), z.literal(DIAGNOSE_SCHEMA_VERSION)]).describe('1: before the bot\'s own error (aa_context bot_error); 2: current');

const Iso = z.string().describe('ISO 8601 timestamp, UTC');
const Ms = z.number().nonnegative().describe('milliseconds, rounded to 0.01 when written');

export const COLLECTORS = ['dns', 'network', 'clock', 'proxy', 'os-tls', 'aa'] as const;
export const CollectorNameSchema = z.enum(COLLECTORS);
export type CollectorName = z.infer<typeof CollectorNameSchema>;

export const CollectorStatusSchema = z
  .enum(['ok', 'partial', 'skipped', 'failed', 'timeout'])
  .describe('ok: everything collected; partial: some sources could not be read (see notes); skipped: not applicable or turned off; failed: an error; timeout: the collector ran out of time');

/** One source a collector tried to read: a file, a command, a registry key, a query. */
export const SourceSchema = z.object({
  source: z.string().describe('e.g. "file /etc/resolv.conf", "command netsh winhttp show proxy"'),
  ok: z.boolean(),
  reason: z.string().nullable().describe('why it could not be read: not this OS, command missing, permission denied, timed out...'),
  file: z.string().nullable().describe('the raw evidence file in the run folder, when one was kept'),
});
export type Source = z.infer<typeof SourceSchema>;

function envelope<T extends z.ZodType>(name: CollectorName, data: T) {
  return z.object({
    schema: z.literal(`smtp-probe/diagnose-${name}`),
    schema_version: VersionSchema,
    collector: z.literal(name),
    status: CollectorStatusSchema,
    reason: z.string().nullable().describe('why the collector did not run or did not finish'),
    started_at: Iso,
    duration_ms: Ms,
    platform: z.string(),
    sources: z.array(SourceSchema),
    notes: z.array(z.string()).describe('findings a person should read, in plain words'),
    data: data.nullable(),
  });
}

// ---- DNS snapshot ----
export const DnsSnapshotDataSchema = z.object({
  resolvers: z.array(z.object({ address: z.string(), origin: z.string().describe('where it was read: resolv.conf, systemd-resolved, adapter name') })),
  search_domains: z.array(z.string()),
  options: z.array(z.string()).describe('resolv.conf options (timeout, attempts, ndots, rotate...)'),
  nsswitch_hosts: z.string().nullable().describe('the hosts line of /etc/nsswitch.conf: the order of files, dns, mdns...'),
  stub_resolver: z.boolean().describe('the resolver in use is a local stub (127.0.0.53, systemd-resolved) whose upstreams are listed too'),
  hosts_file: z.object({
    path: z.string(),
    entries: z.array(z.object({ line: z.number().int(), address: z.string(), names: z.array(z.string()) })).describe('entries naming the target host or the NTP host'),
    error: z.string().nullable(),
  }),
});
export const DnsSnapshotSchema = envelope('dns', DnsSnapshotDataSchema);
export type DnsSnapshot = z.infer<typeof DnsSnapshotSchema>;

// ---- Network snapshot ----
export const NetworkSnapshotDataSchema = z.object({
  online: z.boolean().describe('false: no interface but loopback has an address, or there is no default route at all'),
  default_routes: z.array(z.object({ family: z.union([z.literal(4), z.literal(6)]), gateway: z.string().nullable(), interface: z.string(), metric: z.number().nullable() })),
  active_interface: z.string().nullable().describe('the interface of the preferred IPv4 (else IPv6) default route'),
  interfaces: z.array(
    z.object({
      name: z.string(),
      addresses: z.array(z.object({ address: z.string(), family: z.union([z.literal(4), z.literal(6)]), cidr: z.string().nullable(), scope: z.enum(['loopback', 'link-local', 'private', 'global']) })),
      mac: z.string().nullable(),
      dns_servers: z.array(z.string()).describe('Windows: the adapter\'s DNS servers (ipconfig /all)'),
    }),
  ),
  ipv6: z.object({ global_address: z.boolean(), default_route: z.boolean(), usable: z.boolean().describe('both: a bot preferring AAAA can reach IPv6 hosts') }),
  egress_ips: z.array(z.string()).describe('the client address the SMTP server saw (from its greeting), when it revealed it'),
  local_addresses_used: z.array(z.string()).describe('the local addresses the probe\'s connections left from'),
});
export const NetworkSnapshotSchema = envelope('network', NetworkSnapshotDataSchema);
export type NetworkSnapshot = z.infer<typeof NetworkSnapshotSchema>;

// ---- Clock ----
export const ClockDataSchema = z.object({
  server: z.string(),
  server_address: z.string().nullable(),
  offset_ms: z.number().nullable().describe('true time minus this machine\'s clock: positive means this clock is behind'),
  round_trip_ms: Ms.nullable(),
  stratum: z.number().int().nullable(),
  risk: z.enum(['none', 'warn', 'breaks-validation', 'unknown']),
  explanation: z.string(),
});
export const ClockSchema = envelope('clock', ClockDataSchema);
export type Clock = z.infer<typeof ClockSchema>;

// ---- Proxy ----
export const ProxyDataSchema = z.object({
  env: z.record(z.string(), z.string()).describe('HTTP(S)_PROXY, NO_PROXY, ALL_PROXY in any case; credentials masked'),
  winhttp: z.object({ direct: z.boolean(), proxy_server: z.string().nullable(), bypass_list: z.string().nullable() }).nullable(),
  wininet: z
    .object({
      scope: z.string().describe('the registry hive read: the account running smtp-probe (HKCU), which is the bot\'s only when run as the bot\'s user'),
      proxy_enable: z.boolean().nullable(),
      proxy_server: z.string().nullable(),
      proxy_override: z.string().nullable(),
      auto_config_url: z.string().nullable().describe('PAC file'),
      auto_detect: z.boolean().nullable().describe('WPAD, from the DefaultConnectionSettings flags'),
    })
    .nullable(),
  tls_inspection: z.object({
    verdict: z.enum(['not-seen', 'expected-issuer', 'known-interceptor', 'unexpected-issuer', 'local-root', 'no-expectation', 'no-tls']),
    issuers: z.array(z.string()).describe('issuers of the served chains the probe saw'),
    expected: z.string().nullable().describe('who is expected to issue the target\'s certificate'),
    product: z.string().nullable(),
    explanation: z.string(),
  }),
});
export const ProxySchema = envelope('proxy', ProxyDataSchema);
export type Proxy = z.infer<typeof ProxySchema>;

// ---- OS TLS evidence ----
export const TlsEventSchema = z.object({ time: z.string().nullable(), id: z.number().int().nullable(), level: z.string().nullable(), source: z.string().nullable(), message: z.string() });
export type TlsEvent = z.infer<typeof TlsEventSchema>;
export const OsTlsDataSchema = z.object({
  node_openssl: z.string(),
  openssl_cli: z.string().nullable().describe('`openssl version -a`, first line'),
  openssl_dir: z.string().nullable(),
  openssl_conf: z.string().nullable().describe('the configuration file in use (OPENSSL_CONF or OPENSSLDIR/openssl.cnf)'),
  openssl_policy: z.array(z.string()).describe('MinProtocol, MaxProtocol, CipherString, Ciphersuites lines of that file'),
  schannel_protocols: z.array(z.object({ key: z.string(), name: z.string(), value: z.string() })).describe('Windows: SCHANNEL\\Protocols registry values (Enabled, DisabledByDefault)'),
  events: z.array(TlsEventSchema).describe('Windows Schannel events, or TLS-related journal lines, in the time window'),
  events_total: z.number().int().describe('before the cap'),
  dotnet_tls: z
    .array(z.object({ key: z.string(), name: z.string(), value: z.string().nullable().describe('null: not set (the default)') }))
    .optional()
    .describe('Windows: .NET Framework SchUseStrongCrypto / SystemDefaultTlsVersions registry values (dotnet-tls.ps1)'),
});
export const OsTlsSchema = envelope('os-tls', OsTlsDataSchema);
export type OsTls = z.infer<typeof OsTlsSchema>;

// ---- Automation Anywhere context ----
export const BotErrorSchema = z.object({
  at: z.string().nullable().describe('the log entry\'s timestamp as the log wrote it (YYYY-MM-DD hh:mm:ss, the log\'s own zone)'),
  activity: z.string().nullable().describe('the AA activity the run was told about (--aa-activity or the configuration)'),
  file: z.string().describe('the log copy in the run folder it was read from'),
  class: z.enum(CLASSES),
  rule: z.string().nullable().describe('the reply or client-error rule that matched (smtp-probe explain reads the same way)'),
  library: z.string().nullable().describe('the mail library whose error it is (javamail, dotnet-smtpclient, ...), null for a bare server reply'),
  summary: z.string(),
  next_step: z.string(),
  evidence_line: z.string().describe('the load-bearing line (a trace\'s innermost cause), redacted'),
  source: z.string().nullable(),
  probe_class: z.enum(CLASSES).describe('the probe\'s verdict from this machine in the same run'),
  reading: z.string().describe('what the two classes say together'),
});
export type BotError = z.infer<typeof BotErrorSchema>;

export const AaDataSchema = z.object({
  activity: z.string().nullable(),
  run_id: z.string().nullable(),
  aa_host: z.string().nullable().describe('the Control Room'),
  config_file: z.string().nullable(),
  configured: z.object({ server: z.string().nullable(), port: z.number().int().nullable(), ssl_mode: z.string().nullable(), user: z.string().nullable() }),
  log_globs: z.array(z.string()),
  since: Iso,
  logs: z.array(z.object({ path: z.string(), file: z.string().nullable().describe('copy in the run folder'), size: z.number().int(), mtime: Iso, kept_bytes: z.number().int(), skipped: z.string().nullable() })),
  cap_bytes: z.number().int(),
  bot_error: BotErrorSchema.nullable().default(null).describe('the bot\'s last mail-related error in the kept (redacted) logs; null: none found (version 1: never looked)'),
});
export const AaSchema = envelope('aa', AaDataSchema);
export type Aa = z.infer<typeof AaSchema>;

// ---- DiagnoseManifest ----
export const DiagnoseManifestSchema = z.object({
  schema: z.literal('smtp-probe/diagnose-manifest'),
  schema_version: VersionSchema,
  run_id: z.string(),
  created_at: Iso,
  redaction: z.string().describe('what was masked in every file before it was written'),
  files: z.array(z.object({ file: z.string(), size: z.number().int(), sha256: z.string(), collector: z.string().describe('probe, diagnose, or a collector name') })),
  collectors: z.array(z.object({ name: CollectorNameSchema, status: CollectorStatusSchema, reason: z.string().nullable(), duration_ms: Ms })),
});
export type DiagnoseManifest = z.infer<typeof DiagnoseManifestSchema>;

export const DIAGNOSE_SCHEMAS = {
  dns_snapshot: DnsSnapshotSchema,
  network_snapshot: NetworkSnapshotSchema,
  clock: ClockSchema,
  proxy: ProxySchema,
  os_tls: OsTlsSchema,
  aa_context: AaSchema,
  manifest: DiagnoseManifestSchema,
} as const;

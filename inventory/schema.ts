// The runner inventory: the file a user writes (InventoryFileSchema) and the host it becomes
// once defaults are merged in (ResolvedHostSchema). The resolved host travels in Redis job
// data as-is, so it names secrets (env var names, key paths) and never holds one.
import { z } from 'zod';
import { parseDnsServer, parseEgressIp, parseHost, parsePorts, parseSenderDomain, parseTimeouts } from '../payload/probe/options.js';
import { errorMessage } from '../payload/util/errors.js';
import { resolvePreset } from '../payload/probe/presets.js';

export const INVENTORY_VERSION = 1 as const;

// Host names become folder names in the store and parts of job ids: keep them boring.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;
export const HostNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be 1-63 characters of letters, digits, ".", "_" or "-", starting with a letter or digit')
  .refine((s) => !s.endsWith('.') && !WINDOWS_RESERVED.test(s), 'is not usable as a file name');
const LabelSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/, 'must be letters, digits, ".", "_", ":" or "-", starting with a letter or digit');
/** The fleet's own secrets: an inventory naming one would send it to a runner. */
const FLEET_SECRET_ENV = /^(SMTP_FLEET_JOB_KEY|SMTP_FLEET_JOB_KEY_FILE|REDIS_PASSWORD|REDIS_PASSWORD_FILE|REDIS_URL)$/i;
const EnvNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name like RUNNER_PASSWORD')
  .refine((n) => !FLEET_SECRET_ENV.test(n), { message: "names one of the fleet's own secrets (job key, Redis password): give the runner's secret a variable of its own" });
const PathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((s) => !s.includes('\0'), 'must not contain NUL')
  .refine((s) => !s.startsWith('-'), 'must not start with "-" (it would read as a flag)');

/** Wraps one of the payload's own flag parsers, so the inventory accepts exactly what the probe does. */
function accepts<T>(parse: (v: T) => unknown) {
  return (v: T, ctx: z.RefinementCtx) => {
    try {
      parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: errorMessage(err) });
    }
  };
}

export const OsSchema = z.enum(['windows', 'linux']);
export const TransportKindSchema = z.enum(['ssh', 'winrm']);

// Exactly one way to authenticate: `key: PATH` (+ passphraseEnv), `agent: true` or
// `passwordEnv: NAME`. One object with a check rather than a union, so a bad field is named.
const KeyPath = z
  .string()
  .refine((s) => !/PRIVATE KEY|\n/.test(s), { message: 'looks like key material: give the path of the key file, never the key itself', abort: true })
  .pipe(PathSchema);
export const AuthInputSchema = z
  .strictObject({
    key: KeyPath.optional().describe('path of the private key file on the worker (never the key itself)'),
    passphraseEnv: EnvNameSchema.optional().describe("with key: the variable holding the key's passphrase, read on the worker"),
    agent: z.literal(true, { error: 'must be true when given' }).optional().describe("true: the worker's SSH agent ($SSH_AUTH_SOCK)"),
    passwordEnv: EnvNameSchema.optional().describe('the variable holding the login password, read on the worker (WinRM needs one)'),
  })
  .describe('exactly one of { key, passphraseEnv? }, { agent: true }, { passwordEnv }')
  .superRefine((a, ctx) => {
    const ways = [a.key, a.agent, a.passwordEnv].filter((v) => v !== undefined).length;
    if (ways !== 1) ctx.addIssue({ code: 'custom', message: 'needs exactly one of `key: PATH` (with optional passphraseEnv), `agent: true` or `passwordEnv: NAME`' });
    else if (a.passphraseEnv !== undefined && a.key === undefined) ctx.addIssue({ code: 'custom', path: ['passphraseEnv'], message: 'goes with `key: PATH` only' });
  });

const PortNumber = z.number().int().min(1).max(65535);
const SshInput = z
  .strictObject({
    knownHosts: PathSchema.optional().describe("known_hosts file the host key is checked against (default: the worker's)"),
    port: PortNumber.optional().describe('SSH port (default 22)'),
  })
  .describe('SSH settings');
const WinrmInput = z.strictObject({
  port: PortNumber.optional().describe('WinRM port (default 5986 with HTTPS, else 5985)'),
  https: z.boolean().optional().describe('HTTPS (default true)'),
  auth: z.enum(['basic', 'ntlm']).optional().describe('login method (default ntlm)'),
  caFile: PathSchema.optional().describe("CA certificates (PEM) the host's certificate must chain to"),
  thumbprint: z
    .string()
    .transform((s) => s.replace(/[\s:]/g, '').toUpperCase())
    .pipe(z.string().regex(/^([0-9A-F]{40}|[0-9A-F]{64})$/, 'must be a SHA-1 or SHA-256 certificate fingerprint in hex'))
    .optional()
    .describe("the host certificate's SHA-1 (as Windows shows it) or SHA-256 fingerprint, instead of caFile"),
}).describe('WinRM settings (docs/winrm.md)');

/**
 * The probe flags a host may add beyond the named settings (anything else, --out, --password...,
 * is refused), keyed as the resolved host holds them (snake_case, like every JSON the project
 * writes). The inventory's names and the probe's flags are these keys with "-" for "_"
 * (probeFlagName): both schemas are built from this one table, so they cannot drift.
 */
const Count = (max: number) => z.number().int().min(1).max(max);
const PROBE_FLAG_FIELDS = {
  attempts: Count(100).optional().describe('--attempts: tries per address and port'),
  concurrency: Count(64).optional().describe('--concurrency: attempts at once'),
  family: z.enum(['4', '6', 'any']).optional().describe('--family: IPv4, IPv6 or both'),
  sni: z.string().superRefine(accepts((v: string) => parseHost(v, 'sni'))).optional().describe('--sni: TLS server name (default: server)'),
  ehlo_name: z.string().superRefine(accepts((v: string) => parseHost(v, 'ehlo-name'))).optional().describe('--ehlo-name: the name said in EHLO'),
  dns: z.array(z.string().superRefine(accepts((v: string) => parseDnsServer(v, 'dns')))).optional().describe('--dns (each): resolvers to compare with, e.g. 8.8.8.8'),
  hosts_file: PathSchema.optional().describe('--hosts-file: a hosts file on the runner'),
  ca: z.array(PathSchema).optional().describe('--ca (each): extra CA files on the runner'),
  auth_max: Count(10).optional().describe('--auth-max: AUTH attempts per run (with sweep --auth-test)'),
  auth_mech: z.enum(['auto', 'plain', 'login', 'xoauth2']).optional().describe('--auth-mech: SASL mechanism'),
  // The personality the fleet compares with (preset-* findings) and the TLS matrix (tls-* findings), both grouped in the fleet report.
  provider: z.string().superRefine(accepts((v: string) => resolvePreset(v))).optional().describe('--provider: a provider preset (gmail, microsoft365...): the fleet report groups runners by preset-* findings'),
  tls_matrix: z.boolean().optional().describe('--tls-matrix: also map TLS versions and ciphers per address (tls-* findings)'),
  // The sender-domain audit (probe --sender-domain); the fleet report groups runners by its findings.
  sender_domain: z.string().superRefine(accepts((v: string) => parseSenderDomain(v, 'sender-domain'))).optional().describe('--sender-domain: the domain the bot sends as, audited from the runner (SPF, DMARC, MTA-STS, TLS-RPT, DANE, DNSBL)'),
  dkim_selector: z.string().superRefine(accepts((v: string) => parseHost(v, 'dkim-selector'))).optional().describe('--dkim-selector: the DKIM selector to look up (with sender-domain)'),
  egress_ip: z.string().superRefine(accepts((v: string) => parseEgressIp(v))).optional().describe('--egress-ip: the runner\'s public address, checked against DNSBLs (default: from the EHLO greeting)'),
};
type FlagFields = typeof PROBE_FLAG_FIELDS;
/** A probe flag as the resolved host keys it: `ehlo_name`. */
export type ResolvedFlagKey = keyof FlagFields;
type Kebab<S extends string> = S extends `${infer A}_${infer B}` ? `${A}-${Kebab<B>}` : S;
/** A probe flag as the inventory writes it and the probe takes it (after `--`): `ehlo-name`. */
export type ProbeFlagName = Kebab<ResolvedFlagKey>;

/** The one mapping from a resolved key to the probe's flag name: ehlo_name -> ehlo-name (`--ehlo-name`). */
export const probeFlagName = <K extends ResolvedFlagKey>(key: K): Kebab<K> => key.replaceAll('_', '-') as Kebab<K>;
export const RESOLVED_FLAG_KEYS = Object.keys(PROBE_FLAG_FIELDS) as ResolvedFlagKey[];
export const PROBE_FLAG_NAMES: readonly ProbeFlagName[] = RESOLVED_FLAG_KEYS.map(probeFlagName);
/** The inventory's name of each flag -> its resolved key: ehlo-name -> ehlo_name. */
export const RESOLVED_FLAG_KEY = new Map<string, ResolvedFlagKey>(RESOLVED_FLAG_KEYS.map((k) => [probeFlagName(k), k]));

const InventoryFlagFields = Object.fromEntries(RESOLVED_FLAG_KEYS.map((k) => [probeFlagName(k), PROBE_FLAG_FIELDS[k]])) as { [K in ResolvedFlagKey as Kebab<K>]: FlagFields[K] };
/** The flags as the inventory writes them (`ehlo-name`). */
export const ProbeFlagsSchema = z.strictObject(InventoryFlagFields, {
  error: (iss) =>
    iss.code === 'unrecognized_keys' ? `probe flag ${iss.keys.map((k) => `--${k}`).join(', ')} is not allowed here (allowed: ${PROBE_FLAG_NAMES.join(', ')})` : undefined,
});
export type ProbeFlags = z.infer<typeof ProbeFlagsSchema>;
/** The flags as a resolved host holds them (`ehlo_name`): the same fields under their resolved keys. */
export const ResolvedProbeFlagsSchema = z.strictObject(PROBE_FLAG_FIELDS);
export type ResolvedProbeFlags = z.infer<typeof ResolvedProbeFlagsSchema>;

// YAML users write `587`; the payload takes strings like `465:implicit`.
const PortSpecInput = z.union([z.number().int(), z.string()]).transform(String).superRefine(accepts((v: string) => parsePorts([v], 'auto')));
const TimeoutInput = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v])).superRefine(accepts(parseTimeouts));

export const AaContextSchema = z
  .strictObject({
    activity: z.string().max(200).optional().describe('the bot activity that sends mail (--aa-activity)'),
    runId: z.string().max(200).optional().describe('the Control Room run id (--aa-run-id)'),
    host: z.string().max(253).optional().describe('the runner name the Control Room knows (--aa-host)'),
  })
  .describe('the Automation Anywhere context, for the report and sweep --diagnose');

/** The named probe settings; the probe flags may sit directly under `probe:` too (or under `probe.flags`). */
export const PROBE_SETTING_NAMES = ['server', 'ports', 'mode', 'resolver', 'timeout', 'flags', 'smtpAuth', 'aa', ...PROBE_FLAG_NAMES] as const;
const ProbeInput = z.strictObject({
  server: z.string().superRefine(accepts((v: string) => parseHost(v, 'server'))).optional().describe('--host: the mail server (default smtp.gmail.com)'),
  ports: z.array(PortSpecInput).min(1).optional().describe('--port (each): e.g. [587, "465:implicit"] (default 587 and 465)'),
  mode: z.enum(['auto', 'starttls', 'implicit', 'plain']).optional().describe('--mode: TLS mode of ports without one'),
  resolver: z.string().superRefine(accepts((v: string) => parseDnsServer(v, 'resolver'))).optional().describe('--resolver: the DNS server to resolve server with'),
  timeout: TimeoutInput.optional().describe('--timeout: one duration or stage=duration list, e.g. connect=3s'),
  flags: ProbeFlagsSchema.optional().describe('the probe flags below, in a map of their own (the same flags written directly under probe win)'),
  /** The mail account for --auth-test sweeps; the password is read on the runner from the named variable. */
  smtpAuth: z
    .strictObject({
      user: z.string().min(1).max(320).describe('--user: the mail account'),
      passwordEnv: EnvNameSchema.describe('the variable holding its password, read on the worker and given to the probe on stdin'),
    })
    .optional()
    .describe('the mail account sweep --auth-test logs in with'),
  aa: AaContextSchema.optional(),
  ...InventoryFlagFields,
}, {
  error: (iss) =>
    iss.code === 'unrecognized_keys' ? `probe setting ${iss.keys.join(', ')} is not allowed here (allowed: ${PROBE_SETTING_NAMES.join(', ')})` : undefined,
});

/** Every setting a host may carry; defaults take the same ones. */
const HostSettings = {
  port: PortNumber.optional().describe('transport port; the most specific wins: host port, host ssh.port / winrm.port, defaults.port, defaults.ssh.port / winrm.port, else 22, 5986 or 5985'),
  os: OsSchema.optional().describe('required here or in defaults'),
  transport: TransportKindSchema.optional().describe('required here or in defaults; winrm: Windows only, with passwordEnv'),
  user: z.string().min(1).max(256).optional().describe('the login user (required here or in defaults)'),
  auth: AuthInputSchema.optional(),
  ssh: SshInput.optional(),
  winrm: WinrmInput.optional(),
  tags: z.array(LabelSchema).optional().describe("labels for --tag and the report's breakdown; a host's tags add to the defaults'"),
  probe: ProbeInput.optional().describe("the probe's settings on this runner; a host's settings override the defaults' one by one"),
};

/**
 * What the Automation Anywhere Control Room last said about this host, written by
 * `smtp-fleet inventory import` (a hand-written host may carry it too). Optional, so every
 * older inventory still reads; the host's connection settings never come from here.
 */
export const CONTROL_ROOM_STATUSES = ['connected', 'disconnected', 'offline', 'unknown'] as const;
export const ControlRoomStatusSchema = z.enum(CONTROL_ROOM_STATUSES);
export type ControlRoomStatus = z.infer<typeof ControlRoomStatusSchema>;
export const ControlRoomRecordSchema = z
  .strictObject({
    deviceId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be the Control Room device id (1-64 letters, digits, ".", "_", ":" or "-")').optional().describe("the Control Room's device id"),
    hostName: z.string().min(1).max(253).optional().describe('the host name the Control Room shows'),
    status: ControlRoomStatusSchema.optional().describe("the device's last status"),
  })
  .describe('what the Control Room last said of this device: written by inventory import, used for nothing else');
export type ControlRoomRecord = z.infer<typeof ControlRoomRecordSchema>;

export const HostInputSchema = z.strictObject({
  name: HostNameSchema.describe('the runner (it becomes a folder name in the store)'),
  address: z.string().superRefine(accepts((v: string) => parseHost(v, 'address'))).describe('a name or an IP address'),
  ...HostSettings,
  controlRoom: ControlRoomRecordSchema.optional(),
});
export type HostInput = z.infer<typeof HostInputSchema>;
export const DefaultsInputSchema = z.strictObject(HostSettings);
export type DefaultsInput = z.infer<typeof DefaultsInputSchema>;

export const GroupInputSchema = z.strictObject({
  hosts: z.array(HostNameSchema).optional().describe('host names in the group'),
  tags: z.array(LabelSchema).optional().describe('every host carrying one of these tags is in the group too'),
});

export const InventoryFileSchema = z.strictObject({
  version: z.literal(INVENTORY_VERSION, { error: `must be ${INVENTORY_VERSION} (the inventory format this version reads)` }).describe('the inventory format'),
  defaults: DefaultsInputSchema.optional().describe('settings every host takes unless it has its own: any host field but name, address and controlRoom'),
  groups: z.record(LabelSchema, GroupInputSchema).optional().describe('named groups for --group: { NAME: { hosts, tags } }'),
  hosts: z.array(HostInputSchema).min(1, 'lists no host').describe('the runners'),
});
export type InventoryFile = z.infer<typeof InventoryFileSchema>;

// ---- what a worker receives ----

/**
 * The resolved host's own version, apart from the inventory file's (users write that one, in
 * its names). Version 2 moved its keys to snake_case like every JSON the project writes;
 * version 1 (the inventory's names: passphraseEnv, knownHosts, ehlo-name...) is frozen in
 * store/fleet-schema-v1.ts, for the sweep.json files that hold it.
 */
export const RESOLVED_HOST_VERSION = 2 as const;

export const ResolvedAuthSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('key'), path: z.string().describe('absolute path of the private key on the worker'), passphrase_env: z.string().nullable() }),
  z.object({ kind: z.literal('agent') }),
  z.object({ kind: z.literal('password'), env: z.string().describe('name of the variable holding the password on the worker') }),
]);
export type ResolvedAuth = z.infer<typeof ResolvedAuthSchema>;

export const ResolvedHostSchema = z.object({
  schema: z.literal('smtp-fleet/resolved-host'),
  schema_version: z.literal(RESOLVED_HOST_VERSION),
  name: HostNameSchema,
  address: z.string(),
  port: PortNumber.describe('effective transport port: host port, else ssh.port / winrm.port, else 22, 5986 (https) or 5985'),
  os: OsSchema,
  transport: TransportKindSchema,
  user: z.string(),
  auth: ResolvedAuthSchema,
  ssh: z.object({ known_hosts: z.string().nullable().describe('absolute path; null: the worker default') }).optional(),
  winrm: z
    .object({ https: z.boolean(), auth: z.enum(['basic', 'ntlm']), ca_file: z.string().nullable(), thumbprint: z.string().nullable() })
    .optional(),
  tags: z.array(z.string()),
  groups: z.array(z.string()),
  probe: z.object({
    server: z.string(),
    ports: z.array(z.string()),
    mode: z.enum(['auto', 'starttls', 'implicit', 'plain']),
    resolver: z.string().nullable(),
    timeout: z.array(z.string()),
    flags: ResolvedProbeFlagsSchema,
    smtp_auth: z.object({ user: z.string(), password_env: z.string() }).nullable(),
    aa: z.object({ activity: z.string().nullable(), run_id: z.string().nullable(), host: z.string().nullable() }),
  }),
});
export type ResolvedHost = z.infer<typeof ResolvedHostSchema>;

/** Keys that would hold a secret inline, and what to write instead. */
export const SECRET_KEYS: ReadonlyArray<[RegExp, string]> = [
  [/^passphrase$/i, 'put the key passphrase in an environment variable and name it with passphraseEnv'],
  [/^(password|passwd|pass|pwd|secret|token|access_?token|api_?key|credentials?|private_?key)$/i, 'put the secret in an environment variable and name it with passwordEnv'],
];

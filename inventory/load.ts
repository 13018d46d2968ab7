// Reads an inventory file (YAML; JSON is YAML too) into resolved hosts. Every rejection is
// one line that names the file, the line and column, and the field: `inv.yml:14:5: hosts[2].auth: ...`.
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { DEFAULT_HOST, DEFAULT_PORTS } from '../payload/probe/options.js';
import { errorCode } from '../payload/util/errors.js';
import {
  INVENTORY_VERSION,
  InventoryFileSchema,
  RESOLVED_FLAG_KEYS,
  RESOLVED_HOST_VERSION,
  ResolvedHostSchema,
  probeFlagName,
  SECRET_KEYS,
  type DefaultsInput,
  type HostInput,
  type InventoryFile,
  type ResolvedAuth,
  type ResolvedHost,
  type ResolvedProbeFlags,
} from './schema.js';
import { SmtpProbeError } from '../payload/util/errors.js';
import { unknownName } from './names.js';

export type { ResolvedHost } from './schema.js';
export { ResolvedHostSchema } from './schema.js';

const MAX_INVENTORY_BYTES = 8 * 1024 * 1024;

export class InventoryError extends SmtpProbeError {
  override name = 'InventoryError';
  constructor(message: string, options?: ErrorOptions) {
    super('inventory', message, 'usage', options);
  }
}

export interface Inventory {
  /** The file as the user named it (used in messages). */
  file: string;
  version: typeof INVENTORY_VERSION;
  /** In file order. */
  hosts: ResolvedHost[];
  /** Group name -> member host names (listed hosts plus hosts carrying one of its tags), in file order. */
  groups: Record<string, string[]>;
  /** Every tag some host carries, sorted. */
  tags: string[];
}

type Path = ReadonlyArray<PropertyKey>;
interface Issue {
  path: Path;
  message: string;
}

export async function loadInventory(path: string): Promise<Inventory> {
  return parseInventory(await readInventoryText(path), path);
}

/** The inventory file's text, within the size bound; a one-line InventoryError otherwise. */
export async function readInventoryText(path: string): Promise<string> {
  let text: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw Object.assign(new Error(), { code: 'not a file' });
    if (st.size > MAX_INVENTORY_BYTES) throw Object.assign(new Error(), { code: `larger than ${MAX_INVENTORY_BYTES} bytes` });
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InventoryError(`${path}: cannot read the inventory: ${errorCode(err) ?? 'unreadable'}`);
  }
  return text;
}

/** Parses inventory text; `file` names it in messages and anchors relative key/CA paths. */
export function parseInventory(text: string, file: string): Inventory {
  const { data: inv, failAt } = checkedInventory(text, file);
  const baseDir = dirname(resolve(file));
  const hosts: ResolvedHost[] = [];
  const seen = new Map<string, number>();
  inv.hosts.forEach((h, i) => {
    const prior = seen.get(h.name.toLowerCase());
    if (prior !== undefined) failAt({ path: ['hosts', i, 'name'], message: `duplicate host name "${h.name}" (hosts[${prior}] has it)` });
    seen.set(h.name.toLowerCase(), i);
    const r = resolveHost(inv, i, baseDir);
    if ('path' in r) failAt(r);
    hosts.push(r as ResolvedHost);
  });

  const groups = groupMembers(inv, hosts, failAt);
  for (const h of hosts) h.groups = Object.keys(groups).filter((g) => groups[g]!.includes(h.name));
  const tags = [...new Set(hosts.flatMap((h) => h.tags))].sort();
  return { file, version: INVENTORY_VERSION, hosts: hosts.map((h) => ResolvedHostSchema.parse(h)), groups, tags };
}

/**
 * The inventory file as written, checked (YAML, secrets, schema) but not resolved: a host may
 * still lack what defaults must give it. For tools that edit the file (`inventory import`):
 * `doc` keeps its comments and layout.
 */
export function checkInventoryText(text: string, file: string): { doc: Document; data: InventoryFile } {
  const { doc, data } = checkedInventory(text, file);
  return { doc, data };
}

function checkedInventory(text: string, file: string): { doc: Document; data: InventoryFile; failAt: (issue: Issue) => never } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const fail = (offset: number, path: Path, message: string): never => {
    const { line, col } = lineCounter.linePos(offset);
    const where = path.length ? `${formatPath(path)}: ` : '';
    throw new InventoryError(`${file}:${line}:${col}: ${where}${message}`);
  };
  const failAt = (issue: Issue): never => fail(offsetOf(doc, issue.path), issue.path, issue.message);

  const yamlError = doc.errors[0];
  if (yamlError) fail(yamlError.pos[0], [], yamlError.message.split('\n')[0]!);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An alias bomb ("billion laughs") stops here: the yaml library refuses the expansion.
    fail(0, [], `cannot read the YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(0, [], 'expected a mapping with version, defaults, groups and hosts');

  const secret = findSecret(raw, []);
  if (secret) failAt(secret);

  const parsed = InventoryFileSchema.safeParse(raw);
  if (!parsed.success) failAt(fromZod(parsed.error.issues[0]!));
  return { doc, data: parsed.data!, failAt };
}

/** The resolved hosts of an inventory (copies: callers may change them freely). */
export function resolveHosts(inv: Inventory): ResolvedHost[] {
  return inv.hosts.map((h) => structuredClone(h));
}

/**
 * The payload's argv after `probe` for this host: target, ports, mode, resolver, timeouts and
 * the whitelisted flags. The deploy step adds its own --out / --zip-to / --json. With
 * `authTest`, adds --auth-test --user and --password-env naming the variable the runner must
 * hold (the secret never appears here). The AA context is not passed (the payload has no
 * flags for it); it stays in the job data and the fleet report.
 */
export function probeArgsFor(host: ResolvedHost, opts: { authTest?: boolean } = {}): string[] {
  const p = host.probe;
  const args = ['--host', p.server];
  for (const port of p.ports) args.push('--port', port);
  if (p.mode !== 'auto') args.push('--mode', p.mode);
  if (p.resolver) args.push('--resolver', p.resolver);
  for (const t of p.timeout) args.push('--timeout', t);
  for (const key of RESOLVED_FLAG_KEYS) {
    const value = p.flags[key];
    if (value === undefined) continue;
    const flag = `--${probeFlagName(key)}`;
    // A switch (tls_matrix: true) is the bare flag; false leaves it out.
    if (typeof value === 'boolean') {
      if (value) args.push(flag);
      continue;
    }
    for (const v of Array.isArray(value) ? value : [value]) args.push(flag, String(v));
  }
  if (opts.authTest && p.smtp_auth) args.push('--auth-test', '--user', p.smtp_auth.user, '--password-env', p.smtp_auth.password_env);
  return args;
}

// ---- merging ----

/**
 * The probe flags of one probe block under their resolved keys: those under `flags:` and those
 * written directly under `probe:` (these win).
 */
function probeFlags(probe: HostInput['probe']): ResolvedProbeFlags {
  if (!probe) return {};
  const pick = (from: Partial<Record<string, unknown>>) => RESOLVED_FLAG_KEYS.filter((k) => from[probeFlagName(k)] !== undefined).map((k) => [k, from[probeFlagName(k)]]);
  return Object.fromEntries([...pick(probe.flags ?? {}), ...pick(probe)]) as ResolvedProbeFlags;
}

function resolveHost(inv: InventoryFile, i: number, baseDir: string): ResolvedHost | Issue {
  const h = inv.hosts[i]!;
  const d: DefaultsInput = inv.defaults ?? {};
  // Where a merged field came from, for the message: the host if it set it, else defaults.
  const at = (field: keyof HostInput): Path => (h[field] !== undefined || d[field as keyof DefaultsInput] === undefined ? ['hosts', i, field] : ['defaults', field]);
  const missing = (field: keyof HostInput): Issue => ({ path: ['hosts', i, field], message: 'is required (set it on the host or in defaults)' });

  const os = h.os ?? d.os;
  const transport = h.transport ?? d.transport;
  const user = h.user ?? d.user;
  const auth = h.auth ?? d.auth;
  if (!os) return missing('os');
  if (!transport) return missing('transport');
  if (!user) return missing('user');
  if (!auth) return missing('auth');
  if (transport === 'winrm' && os !== 'windows') return { path: at('transport'), message: `winrm reaches windows runners only, and this host has os: ${os}` };
  if (transport === 'winrm' && auth.passwordEnv === undefined) return { path: at('auth'), message: 'winrm logs in with a password: use `passwordEnv: NAME`' };

  const path = (p: string) => resolvePath(p, baseDir);
  let resolvedAuth: ResolvedAuth;
  if (auth.key !== undefined) resolvedAuth = { kind: 'key', path: path(auth.key), passphrase_env: auth.passphraseEnv ?? null };
  else if (auth.agent) resolvedAuth = { kind: 'agent' };
  else resolvedAuth = { kind: 'password', env: auth.passwordEnv! };

  const ssh = { ...d.ssh, ...h.ssh };
  const winrm = { ...d.winrm, ...h.winrm };
  const https = winrm.https ?? true;
  // The most specific wins: the host's port, its ssh/winrm port, then the same two from defaults.
  const own = (s: { ssh?: { port?: number }; winrm?: { port?: number } }) => (transport === 'ssh' ? s.ssh?.port : s.winrm?.port);
  const port = h.port ?? own(h) ?? d.port ?? own(d) ?? (transport === 'ssh' ? 22 : https ? 5986 : 5985);
  const probe = { ...d.probe, ...h.probe };
  const aa = { ...d.probe?.aa, ...h.probe?.aa };

  return {
    schema: 'smtp-fleet/resolved-host',
    schema_version: RESOLVED_HOST_VERSION,
    name: h.name,
    address: h.address,
    port,
    os,
    transport,
    user,
    auth: resolvedAuth,
    ...(transport === 'ssh' ? { ssh: { known_hosts: ssh.knownHosts ? path(ssh.knownHosts) : null } } : {}),
    ...(transport === 'winrm'
      ? { winrm: { https, auth: winrm.auth ?? 'ntlm', ca_file: winrm.caFile ? path(winrm.caFile) : null, thumbprint: winrm.thumbprint ?? null } }
      : {}),
    tags: [...new Set([...(d.tags ?? []), ...(h.tags ?? [])])],
    groups: [],
    probe: {
      server: probe.server ?? DEFAULT_HOST,
      ports: probe.ports ?? [...DEFAULT_PORTS],
      mode: probe.mode ?? 'auto',
      resolver: probe.resolver ?? null,
      timeout: probe.timeout ?? [],
      flags: { ...probeFlags(d.probe), ...probeFlags(h.probe) },
      smtp_auth: probe.smtpAuth ? { user: probe.smtpAuth.user, password_env: probe.smtpAuth.passwordEnv } : null,
      aa: { activity: aa.activity ?? null, run_id: aa.runId ?? null, host: aa.host ?? null },
    },
  };
}

function resolvePath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function groupMembers(inv: InventoryFile, hosts: ResolvedHost[], failAt: (i: Issue) => never): Record<string, string[]> {
  const names = hosts.map((h) => h.name);
  const out: Record<string, string[]> = {};
  for (const [g, def] of Object.entries(inv.groups ?? {})) {
    (def.hosts ?? []).forEach((n, j) => {
      if (!names.includes(n)) failAt({ path: ['groups', g, 'hosts', j], message: unknownName('host', n, names) });
    });
    out[g] = hosts.filter((h) => def.hosts?.includes(h.name) || h.tags.some((t) => def.tags?.includes(t))).map((h) => h.name);
  }
  return out;
}

// ---- messages ----

function findSecret(value: unknown, path: PropertyKey[]): Issue | null {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findSecret(value[i], [...path, i]);
      if (hit) return hit;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const rule = SECRET_KEYS.find(([re]) => re.test(k));
      if (rule) return { path: [...path, k], message: `secrets are never written in the inventory: ${rule[1]}` };
      const hit = findSecret(v, [...path, k]);
      if (hit) return hit;
    }
  } else if (typeof value === 'string' && value.includes('\0')) {
    // A NUL cannot pass through any command line: refused here, rather than failing on a
    // runner as if the network had.
    return { path, message: 'holds a NUL character, which no setting may contain' };
  }
  return null;
}

function fromZod(issue: z.core.$ZodIssue): Issue {
  if (issue.code === 'unrecognized_keys') {
    const custom = issue.message.startsWith('probe flag') || issue.message.startsWith('probe setting');
    return { path: [...issue.path, issue.keys[0]!], message: custom ? issue.message : `unknown field "${issue.keys[0]}"` };
  }
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return { path: issue.path, message: 'is required' };
  return { path: issue.path, message: issue.message };
}

export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(String(seg))) out += `${out ? '.' : ''}${String(seg)}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/** Source offset of the deepest node the path reaches: the key for a mapping field, the item for a list entry. */
function offsetOf(doc: Document, path: Path): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) break;
      offset = rangeStart(pair.key) || offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      offset = rangeStart(item) || offset;
      node = item;
    } else break;
  }
  return offset;
}

function rangeStart(node: unknown): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : 0;
}

// Merges the Control Room's device list into an inventory file. The file is edited through the
// yaml library's Document, not rewritten from data: hosts, settings, comments and order the
// operator wrote stay as they are. Only three things are ever written: new hosts (appended),
// each matched host's `controlRoom:` record, and the `aa-disconnected` tag. A host the
// Control Room no longer lists is reported, never removed.
import { Document, isMap, isScalar, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import type { AaDevice } from './aa-devices.js';
import { checkInventoryText } from './load.js';
import {
  HostNameSchema,
  INVENTORY_VERSION,
  type ControlRoomRecord,
  type ControlRoomStatus,
  type DefaultsInput,
  type HostInput,
} from './schema.js';

/** The tag a host carries while the Control Room reports its device disconnected or offline. */
export const DISCONNECTED_TAG = 'aa-disconnected';

export interface ImportPlan {
  added: Array<{ name: string; address: string; os: 'windows' | 'linux' | null; os_assumed: boolean; transport: 'ssh' | 'winrm' | null; status: ControlRoomStatus }>;
  updated: Array<{ name: string; changes: string[] }>;
  disconnected: Array<{ name: string; status: ControlRoomStatus }>;
  /** Inventory hosts the export does not list: kept in the file. */
  missing: string[];
  unchanged: string[];
  /** Devices that matched a host the import cannot edit (an alias in the YAML). */
  skipped: string[];
  /** Bot Creator devices (developers' machines) not added: `includeCreators` adds them. */
  creators: string[];
}

export interface ImportResult {
  plan: ImportPlan;
  /** The new inventory text; equal to the input when nothing changed. */
  text: string;
  changed: boolean;
}

const isOff = (s: ControlRoomStatus) => s === 'disconnected' || s === 'offline';

/** `existing` is the inventory's current text, or null for a new file. */
export function mergeDevices(existing: { text: string; file: string } | null, devices: readonly AaDevice[], opts: { includeCreators?: boolean } = {}): ImportResult {
  const checked = existing ? checkInventoryText(existing.text, existing.file) : null;
  const doc: Document = checked?.doc ?? newInventory();
  const defaults: DefaultsInput = checked?.data.defaults ?? {};
  const hostsNode = doc.get('hosts', true) as YAMLSeq;
  const hosts: HostInput[] = checked?.data.hosts ?? [];
  const plan: ImportPlan = { added: [], updated: [], disconnected: [], missing: [], unchanged: [], skipped: [], creators: [] };

  const claimed = new Set<number>();
  const touched = new Set<YAMLMap>();
  const added: YAMLMap[] = [];
  const index = (key: (h: HostInput) => string | undefined) => {
    const m = new Map<string, number>();
    hosts.forEach((h, i) => {
      const k = key(h)?.toLowerCase();
      if (k && !m.has(k)) m.set(k, i);
    });
    return m;
  };
  const byId = index((h) => h.controlRoom?.deviceId);
  const byName = index((h) => h.name);
  const byCrName = index((h) => h.controlRoom?.hostName);
  const byAddress = index((h) => h.address);
  const names = new Set(hosts.map((h) => h.name.toLowerCase()));

  for (const d of uniqueDevices(devices)) {
    const host = d.hostName.toLowerCase();
    const short = host.split('.')[0]!;
    const candidates = [
      d.id ? byId.get(d.id.toLowerCase()) : undefined,
      byCrName.get(host),
      byName.get(host),
      byName.get(short),
      byAddress.get(host),
      byAddress.get(d.address.toLowerCase()),
    ];
    const i = candidates.find((c) => c !== undefined && !claimed.has(c));
    if (i !== undefined) {
      claimed.add(i);
      const node = hostsNode.items[i];
      if (!isMap(node)) {
        plan.skipped.push(hosts[i]!.name);
        continue;
      }
      const changes = updateHost(doc, node, hosts[i]!, d);
      if (changes.length) {
        plan.updated.push({ name: hosts[i]!.name, changes });
        touched.add(node);
      }
      else plan.unchanged.push(hosts[i]!.name);
      if (isOff(d.status)) plan.disconnected.push({ name: hosts[i]!.name, status: d.status });
    } else if (!opts.includeCreators && d.type !== null && /creator/i.test(d.type)) {
      // "Note the ids for devices with type of BOT_RUNNER": a Bot Creator is a developer's
      // machine, not a runner to sweep; one already in the inventory is still updated above.
      plan.creators.push(d.hostName);
    } else {
      const name = uniqueName(nameFor(d.hostName), names);
      names.add(name.toLowerCase());
      const { entry, node } = newHost(doc, hostsNode, name, d, defaults);
      plan.added.push(entry);
      added.push(node);
      if (isOff(d.status)) plan.disconnected.push({ name, status: d.status });
    }
  }
  hosts.forEach((h, i) => {
    if (!claimed.has(i)) plan.missing.push(h.name);
  });

  const changed = plan.added.length > 0 || plan.updated.length > 0;
  let text: string;
  if (!existing) text = doc.toString({ lineWidth: 0 });
  else if (!changed) text = existing.text;
  else text = spliced(existing.text, doc, hostsNode, touched, added) ?? doc.toString({ lineWidth: 0 });
  return { plan, text, changed };
}

/**
 * The old text with only the edited hosts re-written and the new ones appended after the last
 * host: the rest of the file stays byte for byte (the Document's own toString would re-space
 * every comment and flow collection). Null when the file's shape does not allow it (a flow
 * list of hosts) or the result would not read back as the Document: then the caller
 * stringifies the whole Document, which keeps the settings and comments all the same.
 */
function spliced(text: string, doc: Document, hostsNode: YAMLSeq, touched: ReadonlySet<YAMLMap>, added: readonly YAMLMap[]): string | null {
  // The new hosts are in the Document already: the file's own are those before them.
  const items = hostsNode.items.slice(0, hostsNode.items.length - added.length);
  const last = items[items.length - 1] as { range?: [number, number, number] } | undefined;
  if (hostsNode.flow || !last?.range) return null;
  const edits: Array<{ at: number; end: number; text: string }> = [];
  for (const node of touched) {
    if (!node.range) return null;
    // A block map's range runs on to the next item: its trailing newlines stay.
    const [start, end] = node.range;
    const own = start + text.slice(start, end).trimEnd().length;
    edits.push({ at: start, end: own, text: render(node, start - text.lastIndexOf('\n', start - 1) - 1) });
  }
  if (added.length) {
    const first = (items[0] as { range?: [number, number, number] }).range![0];
    const dash = text.lastIndexOf('-', first);
    const dashCol = dash - text.lastIndexOf('\n', dash - 1) - 1;
    const lastEnd = last.range[0] + text.slice(last.range[0], last.range[1]).trimEnd().length;
    const nl = text.indexOf('\n', lastEnd);
    const at = nl < 0 ? text.length : nl;
    const pad = ' '.repeat(dashCol);
    edits.push({ at, end: at, text: added.map((n) => `\n${pad}- ${render(n, dashCol + 2)}`).join('') });
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  if (!out.endsWith('\n')) out += '\n';
  const back = parseDocument(out, { uniqueKeys: true });
  if (back.errors.length || JSON.stringify(back.toJS()) !== JSON.stringify(doc.toJS())) return null;
  // A comment inside an edited host is re-written by render(); one lost would fail this.
  const comments = (t: string) => t.match(/(^|\s)#/g)?.length ?? 0;
  if (comments(out) < comments(text)) return null;
  return out;
}

/** One host's YAML, to stand at column `col`; its comments before and after stay where they are in the file. */
function render(node: YAMLMap, col: number): string {
  const { commentBefore, comment, spaceBefore } = node;
  node.commentBefore = null;
  node.comment = null;
  node.spaceBefore = false;
  try {
    const s = new Document(node).toString({ lineWidth: 0 }).replace(/\n$/, '');
    return s.split('\n').map((line, i) => (i === 0 || line === '' ? line : ' '.repeat(col) + line)).join('\n');
  } finally {
    Object.assign(node, { commentBefore, comment, spaceBefore });
  }
}

function newInventory(): Document {
  const doc = new Document({ version: INVENTORY_VERSION, hosts: [] });
  doc.commentBefore =
    ' Runner inventory written by `smtp-fleet inventory import` from the Automation Anywhere Control Room.\n' +
    ' Before a sweep, add `defaults:` with the login user and auth (and os/transport if most runners share them).';
  return doc;
}

/** Devices listed twice under one host name (one per user on a shared machine) count once, connected if any is. */
function uniqueDevices(devices: readonly AaDevice[]): AaDevice[] {
  const out = new Map<string, AaDevice>();
  for (const d of devices) {
    const k = d.hostName.toLowerCase();
    const prior = out.get(k);
    if (!prior || (prior.status !== 'connected' && d.status === 'connected')) out.set(k, d);
  }
  return [...out.values()];
}

function recordOf(name: string, d: AaDevice): ControlRoomRecord {
  return {
    ...(d.id !== null ? { deviceId: d.id } : {}),
    ...(d.hostName.toLowerCase() !== name.toLowerCase() ? { hostName: d.hostName } : {}),
    status: d.status,
  };
}

function updateHost(doc: Document, node: YAMLMap, host: HostInput, d: AaDevice): string[] {
  const changes: string[] = [];
  const before = host.controlRoom ?? {};
  const after = recordOf(host.name, d);
  if (before.status !== after.status) changes.push(before.status ? `status ${before.status} -> ${after.status}` : `status ${after.status}`);
  if (after.deviceId !== undefined && before.deviceId !== after.deviceId) changes.push(before.deviceId ? `device id ${before.deviceId} -> ${after.deviceId}` : `device id ${after.deviceId}`);
  if (after.hostName !== undefined && before.hostName !== after.hostName) changes.push(`Control Room host name ${after.hostName}`);
  if (changes.length) {
    const cr = node.get('controlRoom', true);
    if (isMap(cr)) {
      // Key by key, so a comment on the record or its layout stays.
      for (const [k, v] of Object.entries(after)) if (cr.get(k) !== v) cr.set(k, v);
    } else {
      const fresh = doc.createNode(after) as YAMLMap;
      fresh.flow = true;
      node.set('controlRoom', fresh);
    }
  }

  const tagged = (host.tags ?? []).includes(DISCONNECTED_TAG);
  if (isOff(d.status) && !tagged) {
    const tags = node.get('tags', true);
    if (isSeq(tags)) tags.add(doc.createNode(DISCONNECTED_TAG));
    else {
      const fresh = doc.createNode([DISCONNECTED_TAG]) as YAMLSeq;
      fresh.flow = true;
      node.set('tags', fresh);
    }
    changes.push(`tagged ${DISCONNECTED_TAG}`);
  } else if (d.status === 'connected' && tagged) {
    const tags = node.get('tags', true);
    if (isSeq(tags)) {
      const at = tags.items.findIndex((t) => (isScalar(t) ? t.value : t) === DISCONNECTED_TAG);
      tags.delete(at);
      if (tags.items.length === 0) node.delete('tags');
      changes.push(`${DISCONNECTED_TAG} tag removed`);
    }
  }
  return changes;
}

/**
 * The OS the Control Room gives, else the inventory's default, else Windows (the platform
 * the AA Bot Agent runs on by far the most). The transport follows the OS (WinRM for
 * Windows, SSH for Linux) unless the defaults name one that can reach it.
 */
function newHost(doc: Document, hostsNode: YAMLSeq, name: string, d: AaDevice, defaults: DefaultsInput): { entry: ImportPlan['added'][number]; node: YAMLMap } {
  let os = d.os;
  let osAssumed = false;
  if (!os && !defaults.os) {
    os = 'windows';
    osAssumed = true;
  }
  const effectiveOs = os ?? defaults.os!;
  let transport: 'ssh' | 'winrm' | null = null;
  if (!defaults.transport) transport = effectiveOs === 'windows' ? 'winrm' : 'ssh';
  else if (defaults.transport === 'winrm' && effectiveOs === 'linux') transport = 'ssh';

  const entry: Record<string, unknown> = { name, address: d.address };
  if (os && os !== defaults.os) entry.os = os;
  if (transport) entry.transport = transport;
  if (isOff(d.status)) entry.tags = [DISCONNECTED_TAG];
  entry.controlRoom = recordOf(name, d);
  const node = doc.createNode(entry) as YAMLMap;
  node.flow = true;
  hostsNode.add(node);
  return { entry: { name, address: d.address, os: os ?? defaults.os ?? null, os_assumed: osAssumed, transport: transport ?? defaults.transport ?? null, status: d.status }, node };
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/** An inventory name for a Control Room host name: as given (lower case) where the schema takes it. */
export function nameFor(hostName: string): string {
  const lower = hostName.toLowerCase();
  const ok = (s: string) => HostNameSchema.safeParse(s).success;
  if (ok(lower)) return lower;
  const short = lower.split('.')[0]!;
  if (ok(short) && !/^\d+$/.test(short)) return short;
  let s = lower.replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 63).replace(/[.-]+$/, '');
  if (!s) s = 'device';
  if (WINDOWS_RESERVED.test(s)) s = `${s.replace(/\..*$/, '')}-host`;
  return s;
}

function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name.toLowerCase())) return name;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const c = `${name.slice(0, 63 - suffix.length)}${suffix}`;
    if (!taken.has(c.toLowerCase())) return c;
  }
}

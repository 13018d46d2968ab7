// The Automation Anywhere Control Room's device list, as `smtp-fleet inventory import` reads
// it: the JSON of the devices list API or the CSV the Devices page exports. Both are untrusted
// input; each becomes the same list of AaDevice records (AaDeviceListSchema, versioned here).
//
// What Automation Anywhere documents (docs.automationanywhere.com, "Request device details",
// Automation 360 and Enterprise 11.3 editions; "Devices" and "Manage devices" pages):
// - `POST <control room>/v2/devices/list` returns the devices registered to the Control Room;
//   its filterable fields are `id` (integer), `hostName` (string, "the name of the registered
//   device"), `userId` (long) and `status` (string, e.g. `CONNECTED`); the page tells to pick
//   devices "with type of BOT_RUNNER and status of CONNECTED". The request takes a `page`
//   object (`offset`, `length`), like the other v2 list APIs.
// - The Devices page lists each device's Status (Connected, Disconnected, Offline: "unregistered
//   or disabled by the Control Room admin"), Device name ("fully qualified server name"),
//   Username, Device pool and Type, identifies devices "by IP and hostname", and exports the
//   table to a CSV file.
// The pages we could read show no complete response body and no CSV header row, and say
// nothing of an OS field. So the reader takes the plausible variants: a `list` array (or a
// bare array) of device objects with `hostName` or `hostname`, `userName` or `username`, `id`
// as number or string, any of `osName`/`os`/`operatingSystem`/`platform`/`osType` for the OS,
// any of `ipAddress`/`ip`/`address` for an address; CSV headers matched loosely (case, spaces,
// punctuation), in any order. Fields it does not use are ignored, never trusted.
import { parse as parseCsv, CsvError } from 'csv-parse/sync';
import { z } from 'zod';
import { parseHost } from '../payload/probe/options.js';
import { SmtpProbeError } from '../payload/util/errors.js';
import { ControlRoomStatusSchema, OsSchema, type ControlRoomStatus } from './schema.js';

export const AA_DEVICES_VERSION = 1 as const;
export const MAX_AA_DEVICES_BYTES = 16 * 1024 * 1024;
export const MAX_AA_DEVICES = 50_000;
const MAX_CSV_RECORD_BYTES = 64 * 1024;

export class AaDevicesError extends SmtpProbeError {
  override name = 'AaDevicesError';
  constructor(message: string) {
    super('aa-devices', message, 'usage');
  }
}

// ---- what the Control Room gives ----

const Text = (max: number) => z.string().max(max, `is longer than ${max} characters`);
const Id = z.union([z.number().int().nonnegative(), z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be a device id (letters, digits, ".", "_", ":" or "-")')]).transform(String);

/** One device object of the API's `list`. Loose: the Control Room adds fields we do not read. */
export const AaApiDeviceSchema = z.looseObject({
  id: Id.optional(),
  hostName: Text(253).optional(),
  hostname: Text(253).optional(),
  status: Text(64).optional(),
  type: Text(64).optional(),
  userName: Text(256).optional(),
  username: Text(256).optional(),
  userId: z.union([z.number(), Text(64)]).optional(),
  botAgentVersion: Text(64).optional(),
  nodeType: Text(64).optional(),
  osName: Text(256).optional(),
  os: Text(256).optional(),
  operatingSystem: Text(256).optional(),
  osType: Text(256).optional(),
  platform: Text(256).optional(),
  ipAddress: Text(253).optional(),
  ip: Text(253).optional(),
  address: Text(253).optional(),
});
export type AaApiDevice = z.infer<typeof AaApiDeviceSchema>;

/** The devices list response: `{ page: { offset, total, totalFilter }, list: [...] }`. */
export const AaApiResponseSchema = z.looseObject({
  page: z.looseObject({ offset: z.number().optional(), total: z.number().optional(), totalFilter: z.number().optional() }).optional(),
  list: z.array(z.unknown()).max(MAX_AA_DEVICES, `lists more than ${MAX_AA_DEVICES} devices`),
});

/** CSV columns we read, by the names the Devices page (or a hand-made sheet) may give them. */
const CSV_COLUMNS = {
  hostName: ['device name', 'host name', 'hostname', 'device', 'machine name', 'name'],
  status: ['status', 'device status', 'connection status'],
  type: ['device type', 'type'],
  os: ['operating system', 'os', 'os name', 'platform'],
  address: ['ip address', 'ip', 'address', 'device ip'],
  user: ['username', 'user name', 'user', 'device user', 'users'],
  id: ['device id', 'id'],
  botAgentVersion: ['bot agent version', 'agent version'],
  nodeType: ['node type'],
} as const;
type CsvField = keyof typeof CSV_COLUMNS;

// ---- what the import uses ----

export const AaDeviceSchema = z.object({
  /** Where the record is: `list[3]` for the API JSON, the line for the CSV. */
  where: z.string(),
  id: z.string().nullable(),
  hostName: z.string(),
  address: z.string(),
  status: ControlRoomStatusSchema,
  os: OsSchema.nullable(),
  type: z.string().nullable(),
  user: z.string().nullable(),
  botAgentVersion: z.string().nullable(),
});
export type AaDevice = z.infer<typeof AaDeviceSchema>;

export const AaDeviceListSchema = z.object({
  schema: z.literal('smtp-fleet/aa-devices'),
  schema_version: z.literal(AA_DEVICES_VERSION),
  format: z.enum(['api-json', 'csv']),
  devices: z.array(AaDeviceSchema),
});
export type AaDeviceList = z.infer<typeof AaDeviceListSchema>;

/** Reads either form; the text decides which (JSON starts with `{` or `[`). */
export function parseAaDevices(text: string, file: string): AaDeviceList {
  if (Buffer.byteLength(text) > MAX_AA_DEVICES_BYTES) throw new AaDevicesError(`${file}: larger than ${MAX_AA_DEVICES_BYTES} bytes`);
  const body = text.replace(/^\uFEFF/, '');
  const devices = /^\s*[[{]/.test(body) ? fromApiJson(body, file) : fromCsv(body, file);
  return AaDeviceListSchema.parse({ schema: 'smtp-fleet/aa-devices', schema_version: AA_DEVICES_VERSION, format: /^\s*[[{]/.test(body) ? 'api-json' : 'csv', devices });
}

function fromApiJson(text: string, file: string): AaDevice[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // The message of JSON.parse quotes the input; only its position is kept.
    const pos = /position (\d+)/.exec((err as Error).message);
    const where = pos ? lineCol(text, Number(pos[1])) : '';
    throw new AaDevicesError(`${file}:${where ? `${where}:` : ''} not valid JSON${pos ? '' : ' (cut short?)'}`);
  }
  let list: unknown[];
  if (Array.isArray(raw)) {
    if (raw.length > MAX_AA_DEVICES) throw new AaDevicesError(`${file}: lists more than ${MAX_AA_DEVICES} devices`);
    list = raw;
  } else {
    const r = AaApiResponseSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const msg = issue.path[0] === 'list' && issue.code === 'invalid_type' ? 'expected the devices list response: an object with a `list` array of devices' : `${pathOf(issue.path)}: ${issue.message}`;
      throw new AaDevicesError(`${file}: ${msg}`);
    }
    list = r.data.list;
  }
  return list.map((item, i) => {
    const where = `list[${i}]`;
    const r = AaApiDeviceSchema.safeParse(item);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new AaDevicesError(`${file}: ${where}${issue.path.length ? `.${pathOf(issue.path)}` : ''}: ${issue.path.length ? issue.message : 'expected a device object'}`);
    }
    const d = r.data;
    return device(file, where, {
      id: d.id ?? null,
      hostName: d.hostName ?? d.hostname,
      address: d.ipAddress ?? d.ip ?? d.address,
      status: d.status,
      os: d.osName ?? d.os ?? d.operatingSystem ?? d.osType ?? d.platform,
      type: d.type ?? d.nodeType,
      user: d.userName ?? d.username,
      botAgentVersion: d.botAgentVersion,
    });
  });
}

function fromCsv(text: string, file: string): AaDevice[] {
  const delimiter = sniffDelimiter(text);
  let rows: Array<{ record: string[]; raw: string; info: { lines: number } }>;
  try {
    // One line ending for the parser: with CRLF it counts lines wrong for the messages.
    rows = parseCsv(text.replace(/\r\n?/g, '\n'), {
      delimiter,
      record_delimiter: '\n',
      info: true,
      raw: true,
      skip_empty_lines: true,
      trim: true,
      max_record_size: MAX_CSV_RECORD_BYTES,
      to: MAX_AA_DEVICES + 2,
    }) as unknown as typeof rows;
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      throw new AaDevicesError(`${file}:${line ? `${line}:` : ''} not a readable CSV export: ${err.message.split('\n')[0]!.slice(0, 200)}`);
    }
    throw err;
  }
  if (rows.length === 0) throw new AaDevicesError(`${file}: empty: expected the Devices page's CSV export, or the devices list API's JSON`);
  if (rows.length > MAX_AA_DEVICES + 1) throw new AaDevicesError(`${file}: lists more than ${MAX_AA_DEVICES} devices`);
  const [header, ...data] = rows;
  const fields = header!.record.map((h) => columnOf(h));
  const headerLine = startLine(header!);
  if (!fields.includes('hostName')) {
    const found = header!.record.map((h) => JSON.stringify(h.slice(0, 40))).join(', ');
    throw new AaDevicesError(`${file}:${headerLine}: no host name column (one of ${CSV_COLUMNS.hostName.map((c) => `"${c}"`).join(', ')}); the header has ${found.slice(0, 300)}`);
  }
  const dup = fields.find((f, i) => f !== null && fields.indexOf(f) !== i);
  if (dup) throw new AaDevicesError(`${file}:${headerLine}: two columns give the ${dup} (${CSV_COLUMNS[dup].join(' / ')})`);
  return data.map((row) => {
    const where = `line ${startLine(row)}`;
    const get = (f: CsvField): string | undefined => {
      const i = fields.indexOf(f);
      const v = i < 0 ? undefined : row.record[i];
      return v === undefined || v === '' ? undefined : v;
    };
    return device(file, where, {
      id: get('id') ?? null,
      hostName: get('hostName'),
      address: get('address'),
      status: get('status'),
      os: get('os'),
      type: get('type') ?? get('nodeType'),
      user: get('user'),
      botAgentVersion: get('botAgentVersion'),
    });
  });
}

interface RawDevice {
  id: string | null;
  hostName: string | undefined;
  address: string | undefined;
  status: string | undefined;
  os: string | undefined;
  type: string | undefined;
  user: string | undefined;
  botAgentVersion: string | undefined;
}

function device(file: string, where: string, d: RawDevice): AaDevice {
  const fail = (msg: string): never => {
    throw new AaDevicesError(`${file}: ${where}: ${msg}`);
  };
  const hostName = d.hostName?.trim();
  if (!hostName) fail('has no host name');
  if (hostName!.length > 253) fail('host name is longer than 253 characters');
  const host = asHost(hostName!) ?? fail(`host name ${quote(hostName!)} is not a host name or an IP address`);
  const address = d.address?.trim() ? (asHost(d.address.trim()) ?? fail(`address ${quote(d.address)} is not a host name or an IP address`)) : host;
  if (d.id !== null && !/^[A-Za-z0-9._:-]{1,64}$/.test(d.id)) fail(`device id ${quote(d.id)} is not an id`);
  return {
    where,
    id: d.id,
    hostName: host!,
    address: address!,
    status: statusOf(d.status),
    os: osOf(d.os),
    type: d.type ? printable(d.type, 64) : null,
    user: d.user ? printable(d.user, 256) : null,
    botAgentVersion: d.botAgentVersion ? printable(d.botAgentVersion, 64) : null,
  };
}

/** CONNECTED, Disconnected, "Offline"...; anything else is kept as unknown rather than refused. */
export function statusOf(text: string | undefined): ControlRoomStatus {
  const s = (text ?? '').trim().toLowerCase().replace(/[\s_-]+/g, '');
  if (s === 'connected' || s === 'online') return 'connected';
  if (s === 'disconnected' || s === 'notconnected') return 'disconnected';
  if (s === 'offline' || s === 'disabled' || s === 'unregistered') return 'offline';
  return 'unknown';
}

export function osOf(text: string | undefined): 'windows' | 'linux' | null {
  if (!text) return null;
  if (/windows|win(32|64|\d\d)\b|^win$/i.test(text)) return 'windows';
  if (/linux|ubuntu|debian|red ?hat|rhel|centos|rocky|alma|suse|fedora|oracle linux|amazon linux/i.test(text)) return 'linux';
  return null;
}

function asHost(text: string): string | null {
  try {
    return parseHost(text, 'host');
  } catch {
    return null;
  }
}

function columnOf(header: string): CsvField | null {
  const h = header.replace(/^\uFEFF/, '').trim().toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
  for (const [field, names] of Object.entries(CSV_COLUMNS) as Array<[CsvField, readonly string[]]>) if (names.includes(h)) return field;
  return null;
}

/** Exports made in a comma-decimal locale use `;`: the header line says which. */
function sniffDelimiter(text: string): ',' | ';' | '\t' {
  const first = text.slice(0, text.search(/\r?\n|$/));
  const count = (c: string) => first.split(c).length - 1;
  const best = ([',', ';', '\t'] as const).reduce((a, b) => (count(b) > count(a) ? b : a));
  return best;
}

function startLine(row: { raw: string; info: { lines: number } }): number {
  // `raw` holds the empty lines skipped before the record too.
  return row.info.lines - (row.raw.replace(/^\n+/, '').replace(/\n$/, '').match(/\n/g)?.length ?? 0);
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** A value of the file, fit for a one-line message: quoted, cut, control characters escaped. */
function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);
}

function printable(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, max);
}

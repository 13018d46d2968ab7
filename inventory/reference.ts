// The inventory's reference, made from its zod schema: `smtp-fleet inventory schema` prints the
// JSON Schema, `--markdown` the field tables kept in docs/inventory.md (a test checks the file is
// current), so a field added to the schema cannot go undocumented.
import { z } from 'zod';
import { GroupInputSchema, HostInputSchema, INVENTORY_VERSION, InventoryFileSchema } from './schema.js';

type Json = Record<string, unknown>;

/** The JSON Schema of what a user writes (the input side: before defaults and transforms). */
export function inventoryJsonSchema(): unknown {
  return { $id: `https://smtp-probe.invalid/schema/inventory-v${INVENTORY_VERSION}.json`, ...z.toJSONSchema(InventoryFileSchema, { io: 'input', unrepresentable: 'any' }) };
}

const code = (s: string) => `\`${s}\``;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** One line for a value's type: enums, constants, bounds and patterns as the schema states them. */
function typeOf(s: Json): string {
  if (s.const !== undefined) return code(JSON.stringify(s.const));
  if (Array.isArray(s.enum)) return s.enum.map((v) => code(String(v))).join(', ');
  if (Array.isArray(s.anyOf)) return (s.anyOf as Json[]).map(typeOf).join(' or ');
  const t = String(s.type ?? 'any');
  if (t === 'array') return `list of ${typeOf((s.items ?? {}) as Json)}${s.minItems ? ` (at least ${String(s.minItems)})` : ''}`;
  if (t === 'object') return s.properties ? 'map' : `map of NAME to ${typeOf((s.additionalProperties ?? {}) as Json)}`;
  const bounds: string[] = [];
  // zod states "any integer" as the safe-integer range: no bound a reader needs.
  if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
  if (s.minimum !== undefined && s.maximum !== undefined) bounds.push(`${String(s.minimum)}-${String(s.maximum)}`);
  else if (s.maximum !== undefined) bounds.push(`at most ${String(s.maximum)}`);
  if (s.maxLength !== undefined) bounds.push(`up to ${String(s.maxLength)} characters`);
  if (typeof s.pattern === 'string') bounds.push(code(s.pattern));
  return bounds.length ? `${t} (${bounds.join(', ')})` : t;
}

/** Rows `path | type | required | description`, depth first; `stop` names fields documented in a section of their own. */
function rows(s: Json, prefix: string, stop: ReadonlySet<string>): string[] {
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(props).flatMap(([name, p]) => {
    const path = prefix ? `${prefix}.${name}` : name;
    const line = `| ${code(path)} | ${cell(typeOf(p))} | ${required.has(name) ? 'yes' : ''} | ${cell(String(p.description ?? ''))} |`;
    const inner = (p.type === 'array' ? (p.items as Json) : p) ?? {};
    const deeper = !stop.has(path) && inner.properties ? rows(inner, p.type === 'array' ? `${path}[]` : path, stop) : [];
    return [line, ...deeper];
  });
}

function table(title: string, intro: string, s: Json, stop: ReadonlySet<string> = new Set()): string {
  return [`## ${title}`, '', intro, '', '| field | type | required | what it is |', '|---|---|---|---|', ...rows(s, '', stop), ''].join('\n');
}

/** docs/inventory.md: every field of the inventory file, from the schema. */
export function inventoryReference(): string {
  const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return [
    `# Inventory reference (version ${INVENTORY_VERSION})`,
    '',
    '<!-- Generated from inventory/schema.ts by `smtp-fleet inventory schema --markdown`; test/unit/inventory-reference.test.ts checks it is current. -->',
    '',
    'The inventory (`--inventory`, YAML or JSON) lists the runners a sweep probes. Unknown fields are refused;',
    'relative paths are taken from the inventory\'s folder; secrets are never written in it, only the names of',
    'the variables that hold them. The README\'s [inventory section](../README.md#the-inventory) has an example.',
    'The JSON Schema: `smtp-fleet inventory schema`.',
    '',
    table('Top level', 'The file itself.', json(InventoryFileSchema), new Set(['defaults', 'groups', 'hosts'])),
    table(
      'A host (`hosts[]`), and `defaults`',
      '`defaults` takes every field of a host but `name`, `address` and `controlRoom`; a host\'s own value wins, field by field (`tags` add up). `os`, `transport`, `user` and `auth` are required on each host once the defaults are applied. The probe flags (`probe.attempts` to `probe.auth-mech`) may sit directly under `probe` or under `probe.flags` (`probe.flags.sni`, ...), the direct ones winning.',
      json(HostInputSchema),
      new Set(['probe.flags']),
    ),
    table('A group (`groups.NAME`)', 'A group is its listed hosts plus every host carrying one of its tags; `--group` selects it.', json(GroupInputSchema)),
  ].join('\n');
}

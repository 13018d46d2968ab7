// The inventory's documentation is made from its schema, and what the README shows loads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';
import { inventoryJsonSchema, inventoryReference } from '../../inventory/reference.js';
import { parseInventory, probeArgsFor, resolveHosts } from '../../inventory/load.js';
import { HostInputSchema, GroupInputSchema, InventoryFileSchema } from '../../inventory/schema.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('inventory reference', () => {
  it('docs/inventory.md is what `smtp-fleet inventory schema --markdown` makes now (regenerate it after a schema change)', () => {
    expect(readFileSync(join(ROOT, 'docs/inventory.md'), 'utf8')).toBe(inventoryReference());
  });

  it('documents every field of the schema, each with a description', () => {
    const ref = inventoryReference();
    const fields = (shape: Record<string, unknown>, prefix = ''): string[] => Object.keys(shape).map((k) => `${prefix}${k}`);
    for (const f of [...fields(InventoryFileSchema.shape), ...fields(HostInputSchema.shape), ...fields(GroupInputSchema.shape)]) {
      const row = ref.split('\n').find((l) => l.startsWith(`| \`${f}\` |`));
      expect(row, f).toBeDefined();
      expect(row!.split('|')[4]!.trim(), `${f} has no description`).not.toBe('');
    }
    for (const f of ['probe.sni', 'probe.ca', 'probe.flags', 'port', 'ssh.port', 'winrm.thumbprint', 'probe.smtpAuth.passwordEnv']) expect(ref).toContain(`| \`${f}\` |`);
  });

  it('the JSON Schema is the input side: the README example validates as a user writes it', () => {
    const schema = inventoryJsonSchema() as { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
    expect(Object.keys(schema.properties)).toEqual(['version', 'defaults', 'groups', 'hosts']);
    expect(schema.required).toEqual(['version', 'hosts']);
    expect(schema.additionalProperties).toBe(false);
  });

  it("the README's inventory example loads, with sni and ca written directly under probe", () => {
    const block = /### The inventory\n\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    expect(block).toMatch(/^ {4}sni: /m);
    const hosts = resolveHosts(parseInventory(block!, join(ROOT, 'inventory.yml')));
    expect(hosts.map((h) => [h.name, h.port])).toEqual([
      ['rpa-par-01', 22],
      ['rpa-win-07', 5986],
    ]);
    expect(probeArgsFor(hosts[0]!)).toEqual(expect.arrayContaining(['--sni', 'smtp.gmail.com', '--ca', '/etc/ssl/certs/corp-ca.pem']));
  });
});

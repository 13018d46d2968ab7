// Host selection: --host picks, --group widens, --tag narrows, --limit cuts; unknown names suggest.
import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../inventory/load.js';
import { SelectionError, selectHosts } from '../../inventory/select.js';

const inv = parseInventory(
  `version: 1
defaults: { os: linux, transport: ssh, user: bot, auth: { agent: true } }
groups:
  paris: { hosts: [p1, p2] }
  lyon: { tags: [lyon] }
hosts:
  - { name: p1, address: 10.0.0.1, tags: [prod] }
  - { name: p2, address: 10.0.0.2, tags: [test] }
  - { name: l1, address: 10.0.1.1, tags: [prod, lyon] }
  - { name: l2, address: 10.0.1.2, tags: [test, lyon] }
  - { name: x1, address: 10.0.2.1, tags: [prod] }
`,
  'fleet.yml',
);
const names = (sel: Parameters<typeof selectHosts>[1]) => selectHosts(inv, sel).map((h) => h.name);

describe('inventory: host selection', () => {
  it('selects every host with no selector, in inventory order', () => {
    expect(names({})).toEqual(['p1', 'p2', 'l1', 'l2', 'x1']);
  });

  it('picks named hosts only when only --host is given', () => {
    expect(names({ hosts: ['x1', 'p1'] })).toEqual(['p1', 'x1']);
  });

  it('widens with groups (listed hosts and tag members) and narrows with every tag', () => {
    expect(names({ groups: ['paris', 'lyon'] })).toEqual(['p1', 'p2', 'l1', 'l2']);
    expect(names({ tags: ['prod'] })).toEqual(['p1', 'l1', 'x1']);
    expect(names({ groups: ['lyon'], tags: ['prod'] })).toEqual(['l1']);
    expect(names({ tags: ['prod', 'lyon'] })).toEqual(['l1']);
  });

  it('always keeps named hosts next to a filtered set, then applies the limit', () => {
    expect(names({ hosts: ['p2'], tags: ['prod'] })).toEqual(['p1', 'p2', 'l1', 'x1']);
    expect(names({ hosts: ['p2'], tags: ['prod'], limit: 2 })).toEqual(['p1', 'p2']);
    expect(names({ limit: 1 })).toEqual(['p1']);
  });

  it('names the closest match for an unknown host, tag or group', () => {
    expect(() => names({ hosts: ['p3'] })).toThrow(new SelectionError('unknown host "p3" (did you mean "p1"?)'));
    expect(() => names({ tags: ['prd'] })).toThrow('unknown tag "prd" (did you mean "prod"?)');
    expect(() => names({ groups: ['londres'] })).toThrow('unknown group "londres" (known: paris, lyon)');
    expect(() => names({ limit: 0 })).toThrow(/invalid limit 0/);
  });

  it('hands out copies, so a caller cannot change the inventory', () => {
    const [h] = selectHosts(inv, { hosts: ['p1'] });
    h!.tags.push('changed');
    expect(inv.hosts[0]!.tags).toEqual(['prod']);
  });
});

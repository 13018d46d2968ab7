// probe --sender-domain in the fleet: a runner's failing/warning sender findings become
// id:domain in its host result, and the fleet report groups runners by them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aggregate } from '../../store/aggregate.js';
import { renderFleetReport } from '../../store/fleet-report.js';
import { probedResult, type SweepMeta } from '../../store/fleet-schema.js';
import { InventoryError, parseInventory, probeArgsFor } from '../../inventory/load.js';
import { ProbeSummarySchema } from '../../payload/schema/summary.js';
import type { SenderAudit } from '../../payload/schema/sender.js';
import { senderHtml, senderLine, senderMarkdown } from '../../payload/report/sender-report.js';

const base = JSON.parse(readFileSync(new URL('../fixtures/probe-summary-refused.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const finding = (id: string, severity: 'info' | 'warn' | 'fail') => ({ id, severity, summary: id, evidence: 'e', next_step: 'n' });
const audit = (ids: Array<[string, 'info' | 'warn' | 'fail']>): SenderAudit => ({
  domain: 'example.com', resolver: '127.0.0.53', ms: 12, mx: ['10 mx.example.com'], spf: null, dmarc: null, dkim_selector: null, mta_sts: null, tls_rpt: null,
  dane: { lookups: [], validated: null }, egress: [], error: null, findings: ids.map(([id, s]) => finding(id, s)),
});
const inv = parseInventory('version: 1\ndefaults: { os: linux, transport: ssh, user: bot, auth: { agent: true } }\nhosts:\n  - { name: r1, address: 10.0.0.1 }\n  - { name: r2, address: 10.0.0.2 }\n', 'fleet.yml');
const meta: SweepMeta = { schema: 'smtp-fleet/sweep', schema_version: 3, id: 'S1', created: '2026-12-03T02:00:00.000Z', kind: 'sweep', selection: { hosts: [], tags: [], groups: [], limit: null }, hosts: ['r1', 'r2'], targets: inv.hosts, options: { auth_test: false, auth_max_per_account: null, inventory: 'fleet.yml', concurrency: null, payload_version: null, deadline: null } };

function result(host: string, sender?: SenderAudit) {
  const summary = ProbeSummarySchema.parse({ ...base, ...(sender ? { sender } : {}) });
  const common = { sweep_id: 'S1', host, transport: 'ssh' as const, job_id: `S1:${host}`, job_attempts: 1, started_at: '2026-12-03T02:00:00.000Z', finished_at: '2026-12-03T02:00:05.000Z', duration_ms: 5000 };
  return probedResult(common, { summary, entries: [], folders: [], sha256: 'a'.repeat(64), bytes: 100 }, `sweeps/S1/hosts/${host}/result.zip`, { uploaded_bytes: 0, cache_hit: true });
}

describe('sender-domain findings in the fleet', () => {
  it('carries warn and fail findings as id:domain, leaves the info ones out, and reads older summaries without a sender field', () => {
    const r1 = result('r1', audit([['mx-ok', 'info'], ['spf-too-many-lookups', 'fail'], ['dnsbl-listed', 'fail'], ['dmarc-p-none', 'warn']]));
    expect(r1.findings).toEqual(['spf-too-many-lookups:example.com', 'dnsbl-listed:example.com', 'dmarc-p-none:example.com']);
    expect(result('r2').findings).toEqual([]);
  });
  it('groups runners by those findings in fleet_report.md', () => {
    const s = aggregate(meta, [result('r1', audit([['spf-too-many-lookups', 'fail'], ['dnsbl-listed', 'fail']])), result('r2', audit([['spf-too-many-lookups', 'fail']]))], inv.hosts);
    expect(s.finding_groups).toEqual([
      { finding: 'spf-too-many-lookups:example.com', hosts: ['r1', 'r2'], label: expect.stringContaining('10 DNS lookups'), next_step: expect.stringContaining('Flatten') },
      { finding: 'dnsbl-listed:example.com', hosts: ['r1'], label: expect.stringContaining('blocklist'), next_step: expect.stringContaining('delisting') },
    ]);
    const md = renderFleetReport(s);
    expect(md).toContain('## Runners by finding');
    expect(md).toMatch(/- `spf-too-many-lookups:example\.com` SPF needs more than 10 DNS lookups[^\n]*: 2 runners: `?r1`?, `?r2`?/);
  });
});

describe('--sender-domain from the inventory', () => {
  const text = (probe: string) => `version: 1\ndefaults: { os: linux, transport: ssh, user: u, auth: { agent: true } }\nhosts:\n  - name: a\n    address: 10.0.0.1\n    probe: ${probe}\n`;
  it('passes sender-domain, dkim-selector and egress-ip to the payload', () => {
    const a = parseInventory(text('{ sender-domain: example.com, dkim-selector: google, egress-ip: "203.0.113.7" }'), 'inventory.yml').hosts[0]!;
    expect(probeArgsFor(a)).toEqual(expect.arrayContaining(['--sender-domain', 'example.com', '--dkim-selector', 'google', '--egress-ip', '203.0.113.7']));
  });
  it('refuses what the payload would refuse, with the payload\'s message', () => {
    const error = (probe: string) => {
      try {
        parseInventory(text(probe), 'inventory.yml');
        return '';
      } catch (err) {
        return err instanceof InventoryError ? err.message : String(err);
      }
    };
    expect(error('{ egress-ip: nowhere }')).toMatch(/hosts\[0\]\.probe\.egress-ip: invalid --egress-ip "nowhere": expected an IP address/);
    expect(error('{ sender-domain: "192.0.2.1" }')).toMatch(/invalid sender-domain "192\.0\.2\.1": expected a domain name/);
  });
});

describe('the sender section of report.md and report.html', () => {
  it('escapes what DNS supplied and puts failures first', () => {
    const a = audit([['mx-ok', 'info'], ['dmarc-p-none', 'warn'], ['spf-multiple', 'fail']]);
    a.findings[2]!.evidence = 'v=spf1 <script>alert(1)</script> | `x`';
    a.dmarc = 'v=DMARC1; p=none; rua=mailto:"><img src=x>';
    const s = ProbeSummarySchema.parse({ ...base, sender: a });
    const html = senderHtml(s);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;');
    const md = senderMarkdown(s).join('\n');
    expect(md.indexOf('spf-multiple')).toBeLessThan(md.indexOf('dmarc-p-none'));
    expect(md.indexOf('dmarc-p-none')).toBeLessThan(md.indexOf('mx-ok'));
    expect(md).toContain("evidence: `v=spf1 <script>alert(1)</script> | 'x'`");
    expect(md).toContain('- DMARC: v=DMARC1; p=none; rua=mailto:"\\>\\<img src=x\\>');
    expect(senderLine(a)).toBe('example.com: 1 fail, 1 warn (spf-multiple, dmarc-p-none)');
    expect(senderLine(audit([['mx-ok', 'info']]))).toBe('example.com: no problem found (1 checks)');
  });
});

// The provider presets as data: the file parses, every --provider name resolves to real
// endpoints with a source, the help list matches the file, and the verdict rules hold.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProvidersFileSchema } from '../../payload/classify/knowledge-schema.js';
import { classifyAttempt } from '../../payload/classify/classify.js';
import { explainReply } from '../../payload/classify/replies.js';
import { healthVerdict, providerFinding, providerLine } from '../../payload/health/verdict.js';
import { PRESET_NAMES } from '../../payload/probe/preset-names.js';
import { applyPreset, presetIds, resolvePreset } from '../../payload/probe/presets.js';
import type { HealthEndpoint, HealthProvider } from '../../payload/schema/health.js';
import { HealthSummarySchema } from '../../payload/schema/health.js';

const file = JSON.parse(readFileSync(new URL('../../payload/classify/data/providers.json', import.meta.url), 'utf8'));

describe('provider presets', () => {
  it('the providers file parses with its schema and holds the twelve presets the help lists', () => {
    expect(() => ProvidersFileSchema.parse(file)).not.toThrow();
    expect(presetIds()).toEqual([...PRESET_NAMES]);
  });

  it.each([...PRESET_NAMES])('%s resolves to host names, ports and a documented source', (id) => {
    const p = resolvePreset(id);
    expect(p.endpoints.length).toBeGreaterThan(0);
    for (const e of p.endpoints) expect(e.host).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
    expect(p.record.source).toMatch(/^https:\/\//);
    expect(p.record.always_offers_starttls).toBe(true);
  });

  it('knows the conventions the field trips over', () => {
    expect(resolvePreset('sendgrid').record.username).toContain('"apikey"');
    expect(resolvePreset('sendgrid').endpoints.map((e) => e.port)).toEqual([587, 465, 2525, 25]);
    expect(resolvePreset('postmark').endpoints.map((e) => e.port)).toEqual([587, 2525, 25]);
    expect(resolvePreset('microsoft365').endpoints[0]).toMatchObject({ host: 'smtp.office365.com', port: 587, mode: 'starttls' });
    expect(resolvePreset('workspace').endpoints.map((e) => e.host)).toContain('smtp-relay.gmail.com');
    expect(resolvePreset('icloud').endpoints[0]!.host).toBe('smtp.mail.me.com');
  });

  it('fills the SES region, its default when none is given, and refuses a region elsewhere', () => {
    expect(resolvePreset('ses').endpoints[0]!.host).toBe('email-smtp.us-east-1.amazonaws.com');
    expect(resolvePreset('ses').record.region_defaulted).toBe(true);
    expect(resolvePreset('ses', 'eu-west-1').endpoints[0]!.host).toBe('email-smtp.eu-west-1.amazonaws.com');
    expect(() => resolvePreset('ses', 'mars')).toThrow(/invalid --region/);
    expect(() => resolvePreset('gmail', 'eu-west-1')).toThrow(/--region only applies/);
    expect(() => resolvePreset('hotmail')).toThrow(/invalid --provider "hotmail"/);
  });

  it('sets host and ports unless given, leaving out the optional port 25', () => {
    const f: { host: string; port?: string[]; provider?: string } = { host: 'smtp.gmail.com', provider: 'sendgrid' };
    applyPreset(f, () => false);
    expect(f).toMatchObject({ host: 'smtp.sendgrid.net', port: ['587:starttls', '465:implicit', '2525:starttls'] });
    const g = { host: 'relay.example.com', port: ['2525'], provider: 'sendgrid' };
    applyPreset(g, () => true);
    expect(g).toMatchObject({ host: 'relay.example.com', port: ['2525'] });
  });
});

describe('provider hints come out of the classifier as data', () => {
  it('SendGrid 535 says the user is literally apikey', () => {
    const x = explainReply('535 Authentication failed: Bad username / password', { host: 'smtp.sendgrid.net', stage: 'auth' });
    expect(x.rule?.id).toBe('sendgrid-535-apikey-user');
    expect(x.rule?.next_step).toContain('apikey');
  });

  it('a blocked 587 to SendGrid suggests 2525, and 2525 itself does not', () => {
    const facts = (port: number) => ({ where: `127.0.0.1:${port}`, host: 'smtp.sendgrid.net', port, mode: 'starttls' as const, family: 4 as const, failedStage: 'connect' as const, tcpError: { kind: 'timeout', code: 'ETIMEDOUT', message: 'timed out' }, tls: null, smtp: {} as never, verifyName: 'smtp.sendgrid.net', proxyConfigured: false });
    expect(classifyAttempt(facts(587)).next_step).toContain('--port 2525');
    expect(classifyAttempt(facts(2525)).next_step).not.toContain('--port 2525');
    expect(classifyAttempt({ ...facts(587), host: 'smtp.gmail.com' }).next_step).not.toContain('2525');
  });
});

const ep = (port: number, cls: string, stage: HealthEndpoint['failed_stage'], outcome = cls === 'ok' ? 'ok' : 'connect refused'): HealthEndpoint => ({ host: 'h.example', port, mode: 'starttls', class: cls, hint_id: cls, failed_stage: stage, outcome, evidence: '', next_step: '', addresses: [], duration_ms: 1 });
const prov = (name: string, endpoints: HealthEndpoint[], others = false): HealthProvider => ({ id: name.toLowerCase(), name, status: 'ok', finding: providerFinding(endpoints, () => others), line: providerLine(name, endpoints), endpoints });

describe('health verdict', () => {
  it('one port blocked where another works is a network block of that port', () => {
    const sg = prov('SendGrid', [ep(587, 'connect', 'connect'), ep(2525, 'ok', null)]);
    expect(sg.line).toBe('SendGrid connect refused on 587, ok on 2525');
    expect(sg.finding).toBe('port-block');
    const v = healthVerdict([prov('Gmail', [ep(587, 'ok', null)]), sg]);
    expect(v).toMatchObject({ kind: 'port-block', exit_code: 20, blocked_ports: [587] });
  });

  it('nothing reachable anywhere is an egress block; a provider failing alone is a provider problem', () => {
    expect(healthVerdict([prov('Gmail', [ep(587, 'connect', 'connect')]), prov('SendGrid', [ep(587, 'connect', 'connect')])]).kind).toBe('egress-block');
    const ms = prov('Microsoft 365', [ep(587, 'tls', 'tls', 'tls untrusted')]);
    expect(ms.finding).toBe('provider');
    expect(healthVerdict([prov('Gmail', [ep(587, 'ok', null)]), ms])).toMatchObject({ kind: 'provider-problem', exit_code: 22 });
    expect(prov('Zoho', [ep(587, 'connect', 'connect')], true).finding).toBe('provider');
  });

  it('tells a dropped port (SYN timeout) from a refused one (RST) in the verdict\'s words and next step', () => {
    const gmail = prov('Gmail', [ep(587, 'ok', null), { ...ep(465, 'connect', 'connect', 'connect timeout'), connect_failure: 'dropped' }]);
    const sg = prov('SendGrid', [{ ...ep(587, 'connect', 'connect'), connect_failure: 'refused' }, ep(2525, 'ok', null)]);
    const v = healthVerdict([gmail, sg]);
    expect(v).toMatchObject({ kind: 'port-block', blocked_ports: [465, 587], blocked_how: [{ port: 465, how: 'dropped' }, { port: 587, how: 'refused' }] });
    expect(v.summary).toMatch(/fail at connect \(465 dropped: no answer to the SYN.*; 587 refused: a TCP reset came back/);
    expect(v.next_step).toMatch(/silently drops outbound TCP 465/);
    expect(v.next_step).toMatch(/answers TCP 587 with a reset/);
    const dropped = healthVerdict([prov('Gmail', [{ ...ep(587, 'connect', 'connect', 'connect timeout'), connect_failure: 'dropped' }]), prov('SendGrid', [{ ...ep(587, 'connect', 'connect', 'connect timeout'), connect_failure: 'dropped' }])]);
    expect(dropped.kind).toBe('egress-block');
    expect(dropped.next_step).toMatch(/^A firewall on the way silently drops outbound TCP 587/);
    expect(dropped.next_step).not.toMatch(/reset/);
  });

  it('has its own versioned schema', () => {
    expect(HealthSummarySchema.shape.schema_version.value).toBe(1);
  });
});

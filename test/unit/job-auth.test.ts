// The job MAC alone; the worker's refusals on a real Redis are in test/queue-security.lab.test.ts.
import { describe, expect, it } from 'vitest';
import { canonicalJson, loadJobKey, schedulerBinding, signJob, verifyJob } from '../../queue/job-auth.js';

const key = Buffer.from('k'.repeat(64));
const data = { v: 2, sweep_id: 's1', host: { name: 'a', address: '10.0.0.1', auth: { kind: 'password', env: 'RUNNER_A' } } };

describe('job signatures', () => {
  it('accepts what the controller signed, whatever the key order', () => {
    const signed = signJob(key, 'fleet-probes', 's1.a', data, 1000);
    const reordered = JSON.parse(canonicalJson(signed)) as unknown;
    expect(verifyJob(key, 'fleet-probes', 's1.a', reordered, 2000)).toEqual(data);
  });
  it('refuses unsigned, wrong key, altered, moved and expired jobs', () => {
    const signed = signJob(key, 'fleet-probes', 's1.a', data, 1000, 10_000);
    expect(() => verifyJob(key, 'fleet-probes', 's1.a', data, 2000)).toThrow(/not signed/);
    expect(() => verifyJob(Buffer.from('x'.repeat(64)), 'fleet-probes', 's1.a', signed, 2000)).toThrow(/does not match/);
    const altered = structuredClone(signed);
    altered.host.auth.env = 'AWS_SECRET_ACCESS_KEY';
    expect(() => verifyJob(key, 'fleet-probes', 's1.a', altered, 2000)).toThrow(/does not match/);
    expect(() => verifyJob(key, 'fleet-probes', 's1.b', signed, 2000)).toThrow(/does not match/);
    expect(() => verifyJob(key, 'fleet-probes', 's1.a', signed, 20_000)).toThrow(/expired/);
  });
  it('refuses to run without a key of useful length', () => {
    expect(() => loadJobKey(undefined, {})).toThrow(/no job key/);
    expect(() => loadJobKey(undefined, { SMTP_FLEET_JOB_KEY: 'short' })).toThrow(/shorter/);
  });
  it('binds a schedule template to its name, without expiry', () => {
    const tpl = signJob(key, 'fleet-control', schedulerBinding('nightly'), { v: 2, inventory: '/x.yml' }, 1000, null);
    expect(tpl.sig.expires_at).toBeNull();
    expect(verifyJob(key, 'fleet-control', schedulerBinding('nightly'), tpl, 10 * 365 * 86_400_000)).toEqual({ v: 2, inventory: '/x.yml' });
    expect(() => verifyJob(key, 'fleet-control', schedulerBinding('hourly'), tpl, 2000)).toThrow(/does not match/);
    expect(() => verifyJob(key, 'fleet-probes', schedulerBinding('nightly'), tpl, 2000)).toThrow(/does not match/);
  });
});

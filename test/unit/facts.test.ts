import { describe, expect, it } from 'vitest';
import { egressIp, parseExtensions } from '../../payload/probe/extensions.js';
import { maskProxyValue } from '../../payload/collect/env.js';
import { distribution } from '../../payload/util/stats.js';
import { mapPool } from '../../payload/util/pool.js';

describe('facts read off the wire', () => {
  it('reads Gmail\'s extensions, SIZE in MB and AUTH mechanisms', () => {
    const f = parseExtensions(['SIZE 35882577', '8BITMIME', 'AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH', 'ENHANCEDSTATUSCODES', 'PIPELINING', 'CHUNKING', 'SMTPUTF8']);
    expect(f).toMatchObject({ size_bytes: 35882577, size_mb: 34.2, starttls: false, pipelining: true, chunking: true, smtputf8: true, eightbitmime: true });
    expect(f.auth_mechanisms).toEqual(['LOGIN', 'PLAIN', 'XOAUTH2', 'PLAIN-CLIENTTOKEN', 'OAUTHBEARER', 'XOAUTH']);
  });

  it('takes the egress address from the EHLO greeting', () => {
    expect(egressIp('250-smtp.gmail.com at your service, [203.0.113.7]')).toBe('203.0.113.7');
    expect(egressIp('250-mx.example Hello [IPv6:2001:db8::5]')).toBe('2001:db8::5');
    expect(egressIp('250-lab.smtp-probe.test')).toBeNull();
  });

  it('masks credentials in proxy URLs', () => {
    expect(maskProxyValue('http://svc-bot:S3cret!@proxy.corp:8080')).toBe('http://***:***@proxy.corp:8080');
    expect(maskProxyValue('http://token@proxy.corp:8080')).toBe('http://***@proxy.corp:8080');
    expect(maskProxyValue('proxy.corp:3128')).toBe('proxy.corp:3128');
  });

  it('computes nearest-rank percentiles', () => {
    expect(distribution([])).toBeNull();
    expect(distribution([5, 1, 3, 2, 4, 10, 6, 7, 8, 9])).toEqual({ n: 10, min: 1, median: 5, p90: 9, max: 10 });
  });

  it('never runs more than the limit at once and keeps order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapPool([5, 1, 4, 2, 3], 2, async (x) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, x));
      inFlight--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});

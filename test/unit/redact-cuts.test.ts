// A cut at the size cap never splits a secret past the redactor: Recorder.keep redacts the
// whole text before it cuts, and the AA collector reads a margin before the kept tail, so the
// line the cap falls in is redacted whole. Secrets unknown to the run, cut at every offset of
// their line. Also: proxy values with or without a scheme, with `@` or `%` in the password.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maskProxyValue, proxyCredentials } from '../../payload/collect/env.js';
import { Recorder, runCollector, type CollectorContext } from '../../payload/diagnose/collector.js';
import { aaCollector } from '../../payload/diagnose/collectors/aa.js';
import { Redactor, secretEnvValues } from '../../payload/diagnose/redact.js';

const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-redact-cuts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'Straddle-Pw-77Qx';
const LINE = `2026-03-12 10:00:00 INFO Email: connecting password=${SECRET} port=587\n`;
const pieces = (s: string) => Array.from({ length: s.length - 3 }, (_, k) => s.slice(k, k + 4));
const leaked = (out: string) => pieces(SECRET).filter((p) => out.includes(p));

describe('redact before the cap cuts', () => {
  const r = new Redactor();
  const before = '2026-03-12 09:59:59 INFO filler\n'.repeat(20);
  const after = '2026-03-12 10:00:01 INFO sent\n'.repeat(5);
  const log = before + LINE + after;
  const start = before.length;

  it('Recorder.keep, for every cut inside the secret line, keeps no 4-character piece of it', () => {
    const bad: number[] = [];
    for (let cut = start; cut < start + LINE.length; cut++) {
      const rec = new Recorder(log.length - cut, new AbortController().signal, 1000, r.file);
      rec.keep('aa_logs/x.log', Buffer.from(log), true);
      // As the run folder does next.
      if (leaked(r.file('aa_logs/x.log', rec.files[0]!.data).toString()).length) bad.push(cut);
    }
    expect(bad).toEqual([]);
  });

  it('the AA collector, with --aa-logs-max cutting inside the secret line, keeps no piece of it', async () => {
    const file = join(dir, 'Bot_Launcher.log');
    writeFileSync(file, log);
    const bad: Array<[number, string]> = [];
    for (const off of [0, 10, 45, 50, 55, 60, LINE.length - 12]) {
      const cap = log.length - (start + off);
      const ctx = {
        platform: process.platform,
        diag: { aa: { activity: null, runId: null, host: null, config: null, logGlobs: [file], logGlobsGiven: true, capBytes: cap }, since: new Date(0), sinceText: '0' },
      } as unknown as CollectorContext;
      const res = await runCollector(aaCollector, ctx, { timeoutMs: 5000, maxBytes: 1 << 20, skip: [], redact: r.file });
      expect(res.status).toBe('ok');
      const out = r.file(res.files[0]!.name, res.files[0]!.data).toString();
      expect(out).toContain('INFO sent');
      if (leaked(out).length) bad.push([off, out.slice(0, 120)]);
    }
    expect(bad).toEqual([]);
  });
});

describe('proxy values', () => {
  it.each([
    ['http://u:pw-secret@proxy:3128', 'http://***:***@proxy:3128'],
    ['u:pw-secret@proxy.corp:3128', '***:***@proxy.corp:3128'],
    ['http://u:p@ss-secret@proxy:3128', 'http://***:***@proxy:3128'],
    ['http=u:pw-secret@proxy:80;https=proxy:443', 'http=***:***@proxy:80;https=proxy:443'],
    ['http://u:p%zz-secret@proxy:3128', 'http://***:***@proxy:3128'],
    ['proxy.corp:3128', 'proxy.corp:3128'],
  ])('masks %s', (value, masked) => {
    expect(maskProxyValue(value)).toBe(masked);
    expect(new Redactor().text(`HTTPS_PROXY=${value}`)).toBe(`HTTPS_PROXY=${masked}`);
  });

  it('finds the password with or without a scheme, and a % never throws', () => {
    expect(proxyCredentials('bot:p%zz@proxy:3128')).toEqual({ user: 'bot', password: 'p%zz' });
    expect(proxyCredentials('http://bot:p@ss@proxy:3128')).toEqual({ user: 'bot', password: 'p@ss' });
    expect(proxyCredentials('proxy:3128')).toBeNull();
    expect(() => secretEnvValues({ HTTPS_PROXY: 'bot:100%-sure@proxy:3128' })).not.toThrow();
    expect(secretEnvValues({ HTTPS_PROXY: 'bot:100%-sure@proxy:3128' })).toContain('100%-sure');
    expect(secretEnvValues({ https_proxy: 'bot:p%40ss-x@proxy:3128' })).toEqual(expect.arrayContaining(['p%40ss-x', 'p@ss-x']));
  });
});

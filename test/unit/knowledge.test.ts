// The knowledge files (payload/classify/data/): they load against their schemas, every
// reference between them resolves, and the corpus of real replies never depends on how
// two equally ranked rules happen to sort.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClientErrorsFileSchema, EsmtpTimingFileSchema, FindingsFileSchema, InterceptorsFileSchema, ProvidersFileSchema, ReplyRulesFileSchema } from '../../payload/classify/knowledge-schema.js';
import { loadClientErrors, loadInterceptors, loadProviders, loadReplyRules } from '../../payload/classify/knowledge.js';
import { readError } from '../../payload/classify/client-errors.js';
import { CLIENT_ERROR_FIXTURES } from '../../lab/client-errors.js';
import { detectProvider, matchingRules, providerIds } from '../../payload/classify/replies.js';
import { expectedIssuer, interceptorOf } from '../../payload/classify/interceptors.js';
import { SAMPLES } from '../../lab/reply-samples.js';

const DATA = new URL('../../payload/classify/data/', import.meta.url);
const read = (name: string): unknown => JSON.parse(readFileSync(new URL(name, DATA), 'utf8'));

describe('knowledge files', () => {
  it('holds exactly the files the loader knows, each valid against its schema', () => {
    expect(readdirSync(DATA).filter((f) => f.endsWith('.json')).sort()).toEqual(['client-errors.json', 'esmtp-timing.json', 'findings.json', 'interceptors.json', 'providers.json', 'reply-rules.json']);
    expect(() => EsmtpTimingFileSchema.parse(read('esmtp-timing.json'))).not.toThrow();
    expect(() => FindingsFileSchema.parse(read('findings.json'))).not.toThrow();
    expect(() => ReplyRulesFileSchema.parse(read('reply-rules.json'))).not.toThrow();
    expect(() => ProvidersFileSchema.parse(read('providers.json'))).not.toThrow();
    expect(() => InterceptorsFileSchema.parse(read('interceptors.json'))).not.toThrow();
    expect(() => ClientErrorsFileSchema.parse(read('client-errors.json'))).not.toThrow();
    expect(loadClientErrors().rules.length).toBeGreaterThan(50);
    expect(loadReplyRules().length).toBeGreaterThan(100);
    expect(loadProviders().map((p) => p.id)).toEqual(expect.arrayContaining(['gmail', 'microsoft']));
    expect(loadInterceptors().length).toBeGreaterThan(10);
  });

  it('refuses a rule file with a duplicate id, an unknown source, a bad pattern or a code list', () => {
    const file = read('reply-rules.json') as { rules: Array<Record<string, unknown>>; sources: object };
    const first = file.rules[0]!;
    const bad = (rule: Record<string, unknown>) => ReplyRulesFileSchema.safeParse({ ...file, rules: [...file.rules, rule] }).success;
    expect(bad({ ...first })).toBe(false); // duplicate id
    expect(bad({ ...first, id: 'x-new', source: 'nowhere' })).toBe(false);
    expect(bad({ ...first, id: 'x-new', match: { text: '(unclosed' } })).toBe(false);
    expect(bad({ ...first, id: 'x-new', match: { codes: [535] } })).toBe(false); // codes are patterns, as strings
    expect(bad({ ...first, id: 'x-new', match: { enhanced: ['5.7.x'] } })).toBe(false);
    expect(bad({ ...first, id: 'x-new', match: { enhanced: ['5.7.*', '5.7.606-649'], codes: ['5xx'] } })).toBe(true);
  });

  it('every rule names a provider that exists and a source with a title', () => {
    const ids = new Set(providerIds());
    for (const r of loadReplyRules()) {
      if (r.provider) expect(ids.has(r.provider), r.id).toBe(true);
      expect(r.source.length, r.id).toBeGreaterThan(3);
    }
  });

  it('code and enhanced patterns match ranges, not only listed values', () => {
    const fallback = loadReplyRules().find((r) => r.id === 'rfc-5-7-x')!;
    expect(fallback.enhanced!(['5.7.999'])).toBe(true);
    expect(fallback.enhanced!(['5.6.1'])).toBe(false);
    const range = loadReplyRules().find((r) => r.enhanced?.(['5.7.620']) && !r.enhanced?.(['5.7.1']));
    expect(range).toBeDefined();
  });
});

describe('providers file', () => {
  it('tells providers from host names and from what their servers write', () => {
    expect(detectProvider({ host: 'smtp.gmail.com' })).toBe('gmail');
    expect(detectProvider({ host: 'smtp.office365.com' })).toBe('microsoft');
    expect(detectProvider({ host: 'email-smtp.eu-west-1.amazonaws.com' })).toBe('ses');
    // Any EC2 host is not SES: a Postfix there is a generic server.
    expect(detectProvider({ host: 'ec2-203-0-113-7.compute-1.amazonaws.com' })).toBe('generic');
    expect(detectProvider({ host: 'mail.example.com', text: '220 smtp.gmail.com ESMTP a1-2002 - gsmtp' })).toBe('gmail');
    expect(detectProvider({ host: 'mail.example.com', text: '220 mail.example.com ESMTP Postfix' })).toBe('generic');
  });

  it('gives the expected certificate issuer of a provider host, and none for others', () => {
    expect(expectedIssuer('smtp.gmail.com')?.name).toBe('Google Trust Services');
    expect(expectedIssuer('smtp.gmail.com')?.issuer.test('C=US, O=Google Trust Services, CN=WR2')).toBe(true);
    expect(expectedIssuer('mail.example.com')).toBeNull();
  });

  it('names interception products from issuer names', () => {
    expect(interceptorOf(['CN=Zscaler Intermediate Root CA (zscaler.net)'])).toBe('Zscaler');
    expect(interceptorOf(['CN=ESET SSL Filter CA'])).toBe('ESET SSL Filter');
    expect(interceptorOf(['C=US, O=Google Trust Services, CN=WR2'])).toBeNull();
  });
});

describe('reply rules: priorities decide, never the order of the file', () => {
  // The rule that wins each sample must outrank every other rule that also matches it;
  // an equal priority would leave the verdict to the sort's tie-break.
  for (const s of SAMPLES) {
    it(s.name, () => {
      const [best, ...rest] = matchingRules(s.reply, { stage: s.stage, provider: s.provider, host: s.host, protocol: s.protocol });
      expect(best?.id).toBe(s.id);
      const tied = rest.filter((r) => r.priority === best!.priority).map((r) => r.id);
      expect(tied).toEqual([]);
    });
  }
});

describe('client-error rules: priorities decide, never the order of the file', () => {
  const harvested = (JSON.parse(readFileSync(new URL('../fixtures/client-texts.json', import.meta.url), 'utf8')) as { texts: Array<{ client: string; scenario: string; text: string }> }).texts;
  const cases = [...CLIENT_ERROR_FIXTURES.map((f) => ({ name: f.name, text: f.text })), ...harvested.map((t) => ({ name: `${t.client} ${t.scenario}`, text: t.text }))];
  it('every client rule names a known library and a hint, and a real source', () => {
    const { rules, libraries } = loadClientErrors();
    for (const r of rules) {
      expect(libraries, r.id).toContain(r.library);
      expect(r.source, r.id).toMatch(/^(https:\/\/|observed text: )/);
    }
  });
  it('no fixture line is matched by two rules of the same priority', () => {
    const { rules } = loadClientErrors();
    const tied: string[] = [];
    for (const c of cases) {
      const r = readError(c.text);
      const line = r.evidence_line;
      if (!line || !r.rule || !rules.some((x) => x.id === r.rule)) continue;
      const [best, ...rest] = rules.filter((x) => x.pattern.test(line));
      if (best && rest.some((x) => x.priority === best.priority)) tied.push(`${c.name}: ${best.id} = ${rest.filter((x) => x.priority === best.priority).map((x) => x.id).join(', ')}`);
    }
    expect(tied).toEqual([]);
  });
});

// The texts real clients printed against the lab (test/fixtures/client-texts.json, written by
// `HARVEST_WRITE=1 npx vitest run --project lab test/client-texts.lab.test.ts`), read again
// without running a client: `explain` must still give each its class and the same evidence.
import { describe, expect, it } from 'vitest';
import { explainText } from '../../payload/explain.js';
import { readClientTexts } from '../client-text-fixtures.js';
import { CLIENT_TEXT_SCENARIOS } from '../client-text-scenarios.js';

const file = readClientTexts();

describe('harvested client texts', () => {
  it('the file covers every client the lab test drives, and only known scenarios', () => {
    const clients = new Set(file.texts.map((t) => t.client));
    expect([...clients].sort()).toEqual(['curl', 'dotnet-smtpclient', 'jakarta-mail', 'javamail', 'mailkit', 'nodemailer', 'openssl-s_client', 'python-smtplib', 'swaks']);
    const ids = new Set(CLIENT_TEXT_SCENARIOS.map((s) => s.id));
    expect(file.texts.filter((t) => !ids.has(t.scenario))).toEqual([]);
    expect(new Set(file.texts.map((t) => `${t.client} ${t.scenario}`)).size).toBe(file.texts.length);
  });

  for (const t of file.texts) {
    it(`${t.client} (${t.client_version}): ${t.scenario}`, () => {
      const out = explainText(t.text);
      expect({ class: out.class, evidence: out.evidence_line }).toEqual({ class: t.class, evidence: t.evidence });
      expect(t.text).toContain(t.evidence);
    });
  }
});

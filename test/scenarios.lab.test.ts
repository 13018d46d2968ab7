// The fault lab, scenario by scenario: class, hint and the evidence line.
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { ProbeSummarySchema } from '../payload/schema/summary.js';
import { ROOT, runCli, tempDir } from './helpers.js';
import { SCENARIOS } from './scenarios.js';
import { HINTS } from '../payload/classify/hints.js';
import { loadReplyRules } from '../payload/classify/knowledge.js';

const lab = inject('lab');

describe('fault lab scenarios', () => {
  for (const s of SCENARIOS) {
    it(`${s.group}: ${s.name}`, async () => {
      const out = tempDir();
      const r = await runCli(['probe', '--json', '--out', out, '--ehlo-name', 'probe.lab.test', ...s.args(lab)], s.env?.(lab) ?? {}, s.stdin);
      expect(r.stderr).toBe('');
      const summary = ProbeSummarySchema.parse(JSON.parse(r.stdout));
      const v = summary.verdict;
      expect({ class: v.class, hint: v.hint_id }).toEqual({ class: s.expect.class, hint: s.expect.hint });
      expect(v.evidence).toMatch(s.expect.evidence);
      // The next step is the one written for the hint (or reply rule) the verdict names.
      const written = HINTS.find((h) => h.id === v.hint_id)?.next_step ?? loadReplyRules().find((r) => r.id === v.hint_id)?.next_step ?? '';
      // `{port}` is filled with the port probed.
      expect(v.next_step).toMatch(new RegExp(`^${written.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{port\}/g, '\\d+')}$`));
      expect(r.code).toBe(v.exit_code);
    });
  }

  it('docs/testing.md lists every scenario with its class and hint', () => {
    const readme = readFileSync(`${ROOT}/docs/testing.md`, 'utf8');
    for (const s of SCENARIOS) expect(readme).toContain(`| ${s.group} | ${s.name} | \`${s.expect.class}\` | \`${s.expect.hint}\` |`);
  });
});

// Every reply rule's regex must run in linear time: a hostile server chooses the reply
// text, and one quadratic rule pins the probe's CPU (issue 12). Each rule is timed
// in-process on adversarial texts built from its own words, at the largest size the
// classifier is handed (MAX_CLASSIFIED_CHARS), with a budget generous enough for a slow
// shared runner but far below what backtracking costs (seconds).
import { describe, expect, it } from 'vitest';
import { loadReplyRules } from '../../payload/classify/knowledge.js';
import { loadClientErrors } from '../../payload/classify/knowledge.js';

const CLIENT_RULES = loadClientErrors().rules;
import { readError } from '../../payload/classify/client-errors.js';
import { MAX_CLASSIFIED_CHARS, explainReply } from '../../payload/classify/replies.js';
import { enhancedCode } from '../../payload/classify/enhanced-codes.js';
import { adversarialInputs, fill } from '../redos-inputs.js';

const BUDGET_MS = 50;

/** Worst time of a few runs would hide a slow outlier; the best of three hides GC pauses. */
function bestOfThree(f: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

describe('reply rules: no regex backtracks on hostile text', () => {
  for (const rule of loadReplyRules().filter((r) => r.text)) {
    it(rule.id, () => {
      const re = rule.text!;
      const slow = adversarialInputs(re, MAX_CLASSIFIED_CHARS)
        .map((inp) => ({ name: inp.name, ms: bestOfThree(() => re.test(inp.text)) }))
        .filter((r) => r.ms > BUDGET_MS);
      expect(slow).toEqual([]);
    });
  }

  // The client-error table (stack traces, library errors) is matched line by line against
  // pasted text and the bot's own logs: the same budget, each pattern on its own words.
  for (const rule of CLIENT_RULES) {
    it(`client rule ${rule.id}`, () => {
      const re = rule.pattern;
      const slow = adversarialInputs(re, MAX_CLASSIFIED_CHARS)
        .map((inp) => ({ name: inp.name, ms: bestOfThree(() => re.test(inp.text)) }))
        .filter((r) => r.ms > BUDGET_MS);
      expect(slow).toEqual([]);
    });
  }

  it('reading a hostile multi-line paste (many short lines, frames, "--->", quoted replies) stays fast', () => {
    const shapes = [
      fill('a\n', MAX_CLASSIFIED_CHARS),
      fill('Caused by: x\n', MAX_CLASSIFIED_CHARS),
      fill(' ---> ', MAX_CLASSIFIED_CHARS),
      fill("(535, b'", MAX_CLASSIFIED_CHARS),
      fill('535-5.7.8 ', MAX_CLASSIFIED_CHARS),
      fill('AuthenticationFailedException: 535 ', MAX_CLASSIFIED_CHARS),
      fill('x 535-\n', MAX_CLASSIFIED_CHARS),
      fill('\tat a.b(C.java:1)\n', MAX_CLASSIFIED_CHARS),
      fill('Traceback (most recent call last):\n', MAX_CLASSIFIED_CHARS),
      fill('The server response was: ', MAX_CLASSIFIED_CHARS),
    ];
    for (const t of shapes) expect(bestOfThree(() => readError(t)), t.slice(0, 20)).toBeLessThan(BUDGET_MS * 4);
  });

  it('the whole classifier stays fast on an 8-line "550 EHLO EHLO ..." reply', () => {
    const reply = Array.from({ length: 8 }, (_, i) => `550${i < 7 ? '-' : ' '}${'EHLO '.repeat(1600)}`).join('\r\n');
    expect(bestOfThree(() => explainReply(reply, { stage: 'ehlo' }))).toBeLessThan(BUDGET_MS * 4);
  });

  it('text past MAX_CLASSIFIED_CHARS is not looked at', () => {
    const reply = `550 ${'x'.repeat(MAX_CLASSIFIED_CHARS)} send mail as`;
    expect(explainReply(reply).rule?.id).not.toMatch(/send-mail-as/);
  });

  it('the enhanced-code scan of the wire reader is linear too', () => {
    for (const inp of adversarialInputs(/5.7.1 \(#/, MAX_CLASSIFIED_CHARS)) {
      expect(bestOfThree(() => enhancedCode(inp.text))).toBeLessThan(BUDGET_MS);
    }
  });
});

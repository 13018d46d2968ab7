// Every redaction pattern must run in linear time: a bot log can hold one multi-megabyte line,
// and a quadratic pattern would stall diagnose on it. Each pattern is run over the whole of
// adversarial 256 KB single-line inputs (the shared ReDoS inputs built from its own words, plus
// shapes that tempt the key/value, XML, URL and connection-string forms: `a=a=a=...`, unclosed
// quotes and tags, `u:u:u@...`), timed in-process, with a budget far below what backtracking
// costs (quadratic on 256 KB is a minute or more) and ten times what a linear scan takes here, so a busy
// CI machine does not trip it. The worst time per pattern is printed. Then the whole redactor
// on the same shapes and on a realistic 5 MB log line.
import { describe, expect, it } from 'vitest';
import { REDACTION_PATTERNS, Redactor } from '../../payload/diagnose/redact.js';
import { adversarialInputs, fill } from '../redos-inputs.js';

const SIZE = 256 * 1024;
// A linear scan of 256 KB costs a few ms, up to ~25 where a shape matches tens of thousands
// of times (`a=a=a=...` for the pair head, `aA1+/...` for base64 runs).
const BUDGET_MS = 1000;

const SHAPES = [
  'a=', 'password=', 'password ', 'password: "', "pass='", '"password":', '<password>', '<password ', '</password>', '<a <a ', 'key="password" ',
  'name="pw" value="', '<setting name="pw">', 'a:a@', 'u:', '@', '://', 'http://a', ';Password=', 'Password=a;', ';', '--password ', '-u a:',
  '"', "'", '\\', '\\"', 'AUTH PLAIN ', 'Authorization: ', 'Bearer ', 'ConvertTo-SecureString "', '<![CDATA[', 'eyJ', 'ya29.', '%', 'aA1+/',
];
const shapes = SHAPES.map((s) => ({ name: `shape:${s}`, text: fill(s, SIZE) }));
// A realistic line: a long log line with a secret pair at its very end.
shapes.push({ name: 'long-line-with-pair', text: `${fill('2026-03-12 INFO lorem ipsum dolor ', 5 * 1024 * 1024)} password=tail-secret-1` });

function timed(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

describe('redaction patterns: linear on a 256 KB line', () => {
  const worst: Record<string, number> = {};
  const worstInput: Record<string, string> = {};
  for (const [name, re] of Object.entries(REDACTION_PATTERNS)) {
    it(name, () => {
      const inputs = [...adversarialInputs(re, SIZE), ...shapes];
      const slow: Array<[string, number]> = [];
      for (const inp of inputs) {
        const ms = timed(() => {
          if (re.sticky) {
            re.lastIndex = 0;
            re.exec(inp.text);
          } else inp.text.replace(re, '');
        });
        if (ms > (worst[name] ?? -1)) [worst[name], worstInput[name]] = [ms, inp.name];
        if (ms > BUDGET_MS) slow.push([inp.name, Math.round(ms)]);
      }
      expect(slow).toEqual([]);
    });
  }

  it('the whole redactor on the same shapes', () => {
    const r = new Redactor();
    r.addSecret('Kn0wn-Secret-Value');
    const slow: Array<[string, number]> = [];
    let max = 0;
    for (const inp of shapes) {
      let out = '';
      const ms = timed(() => (out = r.text(inp.text)));
      max = Math.max(max, ms);
      if (ms > BUDGET_MS * 4) slow.push([inp.name, Math.round(ms)]);
      if (inp.name === 'long-line-with-pair') expect(out.endsWith('password=[redacted]')).toBe(true);
    }
    console.log(`redaction timing on 256 KB lines (one realistic 5 MB line), worst ms per pattern: ${JSON.stringify(Object.fromEntries(Object.entries(worst).map(([k, v]) => [k, `${Math.round(v)} (${worstInput[k]})`])))}; whole redactor worst ${Math.round(max)} ms`);
    expect(slow).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { jsonText, roundDurations } from '../../payload/report/json-text.js';

describe('jsonText: durations rounded where JSON is written', () => {
  it('rounds ms, *_ms, *_s and days to 2 decimals, and every number inside such a key', () => {
    const out = roundDurations({
      duration_ms: 18.264755999999977,
      ms: 0.123456,
      delay_s: 1.23456,
      days: 3.14159,
      timings_ms: { connect: { n: 3, p90: 12.3456 } },
      totals_ms: [1.005, 2.999],
      count: 1.23456,
      success_rate: 0.333333,
    });
    expect(out).toEqual({ duration_ms: 18.26, ms: 0.12, delay_s: 1.23, days: 3.14, timings_ms: { connect: { n: 3, p90: 12.35 } }, totals_ms: [1, 3], count: 1.23456, success_rate: 0.333333 });
  });
  it('prints 18.26, not 18.264755999999977, and leaves strings, nulls and booleans alone', () => {
    const text = jsonText({ run: { duration_ms: 18.264755999999977, id: '1.23456', ok: true, connect_ms: null } });
    expect(text).toContain('"duration_ms": 18.26,');
    expect(text).toContain('"id": "1.23456"');
    expect(JSON.parse(text)).toEqual({ run: { duration_ms: 18.26, id: '1.23456', ok: true, connect_ms: null } });
    expect(text.endsWith('}\n')).toBe(true);
  });
});

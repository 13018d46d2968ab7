import { describe, expect, it } from 'vitest';
import { jsonText, jsonTextPieces, roundDurations } from '../../payload/report/json-text.js';

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
  it('jsonTextPieces gives the text of jsonText, the array under its key a piece per element, each made as it is read', () => {
    const rows = [{ name: 'a', median_ms: 1.23456, tags: ['x', 'y'], aa: null }, { name: 'b "q"\n', median_ms: null, tags: [], aa: { run_id: 'r' } }];
    const value = { schema: 's', hosts: rows, timings_ms: { p50: 2.34567 }, after: [1, 2] };
    expect([...jsonTextPieces(value, 'hosts', rows)].join('')).toBe(jsonText(value));
    expect([...jsonTextPieces({ ...value, hosts: [] }, 'hosts', [])].join('')).toBe(jsonText({ ...value, hosts: [] }));
    // Durations under a duration key are rounded in the pieces too.
    expect([...jsonTextPieces({ totals_ms: [] }, 'totals_ms', [1.23456])].join('')).toBe(jsonText({ totals_ms: [1.23456] }));
    const seen: string[] = [];
    const pieces = jsonTextPieces(value, 'hosts', rows, (r) => (seen.push(r.name), r));
    expect(seen).toEqual([]);
    pieces.next();
    pieces.next();
    pieces.next();
    expect(seen).toEqual(['a']);
    expect(() => [...jsonTextPieces(value, 'nope', rows)]).toThrow(/"nope" is not a key/);
  });
});

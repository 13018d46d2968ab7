// Colour and cursor control: decided from (isTTY, env) alone, as gh and kubectl do.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { outcomeLines } from '../../controller/outcome.js';
import { Progress } from '../../payload/probe/progress.js';
import { paint, terminalStyle, verdictTone } from '../../payload/util/terminal.js';
import type { FleetSummary } from '../../store/fleet-schema.js';

describe('terminalStyle', () => {
  it.each([
    [true, {}, { color: true, cursor: true }],
    [true, { TERM: 'xterm-256color' }, { color: true, cursor: true }],
    [true, { TERM: 'dumb' }, { color: false, cursor: false }],
    [true, { NO_COLOR: '1' }, { color: false, cursor: true }],
    [true, { NO_COLOR: '' }, { color: true, cursor: true }],
    [true, { TERM: 'dumb', NO_COLOR: '1' }, { color: false, cursor: false }],
    [false, {}, { color: false, cursor: false }],
    [undefined, { TERM: 'xterm' }, { color: false, cursor: false }],
  ])('isTTY %s, env %j -> %j', (isTTY, env, want) => {
    expect(terminalStyle(isTTY, env)).toEqual(want);
  });

  it('paints verdicts green, red and yellow only when colour is on', () => {
    expect(paint({ color: true }, verdictTone('ok', false), 'ok')).toBe('\x1b[32mok\x1b[0m');
    expect(paint({ color: true }, verdictTone('tls', false), 'tls')).toBe('\x1b[31mtls\x1b[0m');
    expect(paint({ color: true }, verdictTone('tls', true), 'tls (partial)')).toBe('\x1b[33mtls (partial)\x1b[0m');
    expect(paint({ color: false }, 'bad', 'tls')).toBe('tls');
  });
});

describe('progress without cursor control', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes no escape sequence and no rewriting line; notes still show', () => {
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    const p = new Progress(true, false);
    p.tick(1, 2, 'ok');
    p.note('a note');
    p.clear();
    expect(out.join('')).toBe('a note\n');
    const q = new Progress(true, true);
    q.tick(1, 2, 'ok');
    expect(out.join('')).toContain('\x1b[2K');
  });
});

describe('smtp-fleet sweep summary lines', () => {
  const summary = {
    sweep: { id: '20261202-010203-abcd', kind: 'sweep' },
    counts: { selected: 4, ok: 1, smtp_failing: 1, unreachable: 1, failed: 0, rejected: 0, pending: 1 },
    success_rate: 0.5,
  } as unknown as FleetSummary;

  it('colour the non-zero counts on a colour terminal, nothing else', () => {
    const plain = outcomeLines(summary, 'r.md', { color: false });
    expect(plain).not.toContain('\x1b');
    expect(plain).toContain('hosts:       4 selected, 1 ok, 1 with SMTP failures, 1 unreachable, 0 other runner problems, 1 pending');
    const coloured = outcomeLines(summary, 'r.md', { color: true });
    expect(coloured).toContain('\x1b[32m1 ok\x1b[0m');
    expect(coloured).toContain('\x1b[31m1 with SMTP failures\x1b[0m');
    expect(coloured).toContain('\x1b[33m1 pending\x1b[0m');
    expect(coloured).toContain(', 0 other runner problems,');
  });
});

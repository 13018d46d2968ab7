import { describe, expect, it } from 'vitest';
import { autoMode, parseDnsServer, parseHost, parsePorts, parseTimeouts, DEFAULT_TIMEOUTS } from '../../payload/probe/options.js';
import { parseDuration, spanText } from '../../payload/util/duration.js';
import { UsageError } from '../../payload/util/errors.js';

describe('probe options', () => {
  it('reads durations with units; a bare number is seconds', () => {
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(() => parseDuration('0s')).toThrow(UsageError);
    expect(() => parseDuration('-1s')).toThrow(UsageError);
  });

  it('reads hours, days and spelled-out units (the ms library), within the bounds, in one-line errors', () => {
    const day = 86_400_000;
    expect(parseDuration('6h', 'every', 366 * day)).toBe(21_600_000);
    expect(parseDuration('1d', 'every', 366 * day)).toBe(day);
    expect(parseDuration('2 days', 'every', 366 * day)).toBe(2 * day);
    expect(parseDuration('1.5 hours', 'every', 366 * day)).toBe(5_400_000);
    expect(parseDuration(' 30m ')).toBe(1_800_000);
    expect(() => parseDuration('6h')).toThrow(/^invalid duration "6h": must be above 0 and at most 1h$/);
    expect(() => parseDuration('soon', '--timeout')).toThrow(/^invalid --timeout "soon": use a number with a unit, e.g. 5s, 500ms or 6h$/);
    expect(() => parseDuration('1e3s')).toThrow(UsageError);
    expect(() => parseDuration(`${'9'.repeat(200)}s`)).toThrow(/^invalid duration "9+s": use a number/);
  });

  it('writes a span back as it was most likely typed', () => {
    expect([86_400_000, 21_600_000, 1_800_000, 90_000, 1500].map(spanText)).toEqual(['1d', '6h', '30m', '90s', '1.5s']);
  });

  it('sets all stage timeouts or one', () => {
    expect(parseTimeouts([])).toEqual(DEFAULT_TIMEOUTS);
    expect(parseTimeouts(['2s', 'smtp=30s'])).toEqual({ dns: 2000, connect: 2000, tls: 2000, smtp: 30_000 });
  });

  it('picks the bot\'s mode per port and honours per-port modes', () => {
    expect(autoMode(465)).toBe('implicit');
    expect(autoMode(587)).toBe('starttls');
    expect(parsePorts(['587', '465', '2525:plain', '587'], 'auto')).toEqual([
      { port: 587, mode: 'starttls' },
      { port: 465, mode: 'implicit' },
      { port: 2525, mode: 'plain' },
    ]);
    expect(parsePorts(['465'], 'starttls')).toEqual([{ port: 465, mode: 'starttls' }]);
  });

  it('reads resolver addresses with and without ports', () => {
    expect(parseDnsServer('8.8.8.8', '--dns')).toEqual({ address: '8.8.8.8', port: 53 });
    expect(parseDnsServer('127.0.0.1:5353', '--dns')).toEqual({ address: '127.0.0.1', port: 5353 });
    expect(parseDnsServer('::1', '--dns')).toEqual({ address: '::1', port: 53 });
    expect(parseDnsServer('[::1]:5353', '--dns')).toEqual({ address: '::1', port: 5353 });
    expect(() => parseDnsServer('dns.google', '--dns')).toThrow(UsageError);
  });

  it('accepts host names and addresses, not junk', () => {
    expect(parseHost('smtp.gmail.com')).toBe('smtp.gmail.com');
    expect(parseHost('[2001:db8::1]')).toBe('2001:db8::1');
    expect(() => parseHost('smtp gmail.com')).toThrow(UsageError);
    expect(() => parseHost('-bad.example')).toThrow(UsageError);
  });
});

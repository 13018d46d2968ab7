import ms from 'ms';
import { UsageError } from './errors.js';

// `ms` reads the units (`500ms`, `1.5s`, `2m`, `6h`, `1d`, `2 days`); what it does not decide
// is kept here: a bare number is seconds (as --timeout always took it, where `ms` would read
// milliseconds), and the bounds. Its own 100-character cap bounds the work on hostile text.
const BARE_SECONDS = /^\d{1,9}(?:\.\d{1,6})?$/;

/** Parses `5s`, `500ms`, `1.5s`, `2m`, `6h`, `1d`; a bare number is seconds. Returns milliseconds, at most `maxMs` (1h). */
export function parseDuration(text: string, what = 'duration', maxMs = 3_600_000): number {
  const t = text.trim();
  const value = BARE_SECONDS.test(t) ? Number(t) * 1000 : t.length <= 100 ? ms(t as ms.StringValue) : undefined;
  if (value === undefined || !Number.isFinite(value)) throw new UsageError(`invalid ${what} "${text}": use a number with a unit, e.g. 5s, 500ms or 6h`);
  if (!(value > 0) || value > maxMs) throw new UsageError(`invalid ${what} "${text}": must be above 0 and at most ${spanText(maxMs)}`);
  return Math.round(value);
}

/** A span as it was most likely typed: 3_600_000 as `1h`, 1_800_000 as `30m`, 86_400_000 as `1d`, else seconds. */
export function spanText(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

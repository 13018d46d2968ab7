import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `5s`, `500ms`, `1.5s`, `2m`, `6h`, `1d`; a bare number is seconds. Returns milliseconds, at most `maxMs` (1h). */
export function parseDuration(text: string, what = 'duration', maxMs = 3_600_000): number {
  const m = /^(\d{1,9}(?:\.\d{1,6})?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid ${what} "${text}": use a number with a unit, e.g. 5s, 500ms or 6h`);
  const ms = Number(m[1]) * UNITS[m[2] ?? 's']!;
  if (!(ms > 0) || ms > maxMs) throw new UsageError(`invalid ${what} "${text}": must be above 0 and at most ${spanText(maxMs)}`);
  return Math.round(ms);
}

/** 3_600_000 as `1h`, 86_400_000 as `1d`. */
function spanText(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  return `${ms / 1000}s`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

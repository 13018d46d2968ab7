// Every JSON the project writes (files, --json, --jsonl, the fleet store) goes through here, so
// durations read as what they mean: `18.26` ms, not `18.264755999999977`. Which numbers are
// durations is said by the key, the naming convention every format follows (snake_case, unit
// suffix): `ms`, `*_ms`, `*_s`, `days`, `*_days`, and every number inside such a key's value
// (`timings_ms.connect.p90`, `timeouts_ms.dns`, `totals_ms[3]`).

/** Decimals kept: 0.01 ms is below any clock a runner has; 0.01 s or day is what a person reads. */
export const DURATION_DECIMALS = 2;
const DURATION_KEY = /(^|_)(ms|s|days)$/;
const factor = 10 ** DURATION_DECIMALS;

export const roundDuration = (n: number): number => (Number.isFinite(n) ? Math.round(n * factor) / factor : n);

/** A copy of `value` with every duration rounded (see above); everything else as it was. */
export function roundDurations<T>(value: T, inDuration = false): T {
  if (typeof value === 'number') return (inDuration ? roundDuration(value) : value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => roundDurations(v, inDuration)) as T;
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = roundDurations(v, inDuration || DURATION_KEY.test(k));
  return out as T;
}

/** A JSON file's text: durations rounded, two-space indent, final newline. */
export const jsonText = (value: unknown): string => `${JSON.stringify(roundDurations(value), null, 2)}\n`;

/** One line of JSON (the queue's `--json` answers and the like): durations rounded, no newline. */
export const jsonLine = (value: unknown): string => JSON.stringify(roundDurations(value));

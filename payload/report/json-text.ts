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

/**
 * jsonText(value), the same text, in pieces: the array under the top-level `key` comes one
 * element per piece, each made (by `each`, if given, then rounded and written) only when the
 * pieces are read, so a file of 10,000 runner rows is never one string, nor one copy of its rows.
 */
export function* jsonTextPieces<T>(value: Record<string, unknown>, key: string, list: readonly T[], each: (el: T) => unknown = (el) => el): Generator<string> {
  if (!Object.hasOwn(value, key)) throw new Error(`jsonTextPieces: "${key}" is not a key of the value`);
  // The key's place in the text: a string no value holds (were one to, the split would say so).
  const mark = `@@pieces-${Math.random().toString(36).slice(2)}@@`;
  const [head, tail, ...more] = jsonText({ ...value, [key]: mark }).split(JSON.stringify(mark));
  if (tail === undefined || more.length) throw new Error(`jsonTextPieces: the value holds the marker of "${key}"`);
  yield head!;
  if (list.length === 0) yield '[]';
  else {
    const inDuration = DURATION_KEY.test(key);
    yield '[\n';
    for (let i = 0; i < list.length; i++) {
      // An element of a top-level array sits 4 spaces in; JSON strings hold no raw newline.
      const text = JSON.stringify(roundDurations(each(list[i]!), inDuration), null, 2).replace(/\n/g, '\n    ');
      yield `    ${text}${i < list.length - 1 ? ',' : ''}\n`;
    }
    yield '  ]';
  }
  yield tail;
}

/** One line of JSON (the queue's `--json` answers and the like): durations rounded, no newline. */
export const jsonLine = (value: unknown): string => JSON.stringify(roundDurations(value));

// The naming convention of every JSON the project writes, as a test sees it: keys snake_case
// (lower-case letters, digits, "_"), durations with at most two decimals (json-text.ts).
/** Object keys whose children are data (a class name, a header, a file name), not field names. */
export const DATA_KEYED = new Set(['verdicts', 'classes', 'env', 'proxy_env', 'headers', 'counts_by_class', 'by_class', 'properties', '$defs']);
const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const DURATION_KEY = /(^|_)(ms|s|days)$/;

/** Every key path in `value` that is not snake_case ("hosts[2].hintId"), data-keyed maps skipped. */
export function nonSnakeKeys(value: unknown, path = '', dataKeyed: ReadonlySet<string> = DATA_KEYED): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => nonSnakeKeys(v, `${path}[${i}]`, dataKeyed));
  if (value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  const last = path.replace(/\[\d+\]$/, '').split('.').pop() ?? '';
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${k}` : k;
    if (!dataKeyed.has(last) && !SNAKE.test(k)) out.push(p);
    out.push(...nonSnakeKeys(v, p, dataKeyed));
  }
  return out;
}

/** Every duration (by its key, as json-text.ts rounds them) with more than two decimals. */
export function longDurations(value: unknown, path = '', inDuration = false): string[] {
  if (typeof value === 'number') return inDuration && Math.round(value * 100) / 100 !== value ? [`${path}=${value}`] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => longDurations(v, `${path}[${i}]`, inDuration));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => longDurations(v, path ? `${path}.${k}` : k, inDuration || DURATION_KEY.test(k)));
}

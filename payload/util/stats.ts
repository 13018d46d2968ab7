export interface Distribution {
  n: number;
  min: number;
  median: number;
  p90: number;
  max: number;
}

export interface Percentiles {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Nearest-rank percentiles, rounded to 0.01: with few samples they stay real observed values.
 * The one implementation behind a probe's timings and a fleet's.
 */
export function percentiles(values: readonly number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  const round = (v: number) => Math.round(v * 100) / 100;
  return { n: sorted.length, min: round(sorted[0]!), p50: round(rank(0.5)), p90: round(rank(0.9)), p99: round(rank(0.99)), max: round(sorted[sorted.length - 1]!) };
}

/** A probe's timing distribution (median, p90): the same percentiles, in its schema's names. */
export function distribution(values: readonly number[]): Distribution | null {
  const p = percentiles(values);
  return p && { n: p.n, min: p.min, median: p.p50, p90: p.p90, max: p.max };
}

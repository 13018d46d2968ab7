export interface Distribution {
  n: number;
  min: number;
  median: number;
  p90: number;
  max: number;
}

/** Nearest-rank percentiles: with few samples they stay real observed values. */
export function distribution(values: readonly number[]): Distribution | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  const round = (v: number) => Math.round(v * 100) / 100;
  return { n: sorted.length, min: round(sorted[0]!), median: round(rank(0.5)), p90: round(rank(0.9)), max: round(sorted[sorted.length - 1]!) };
}

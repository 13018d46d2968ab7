// The one thing the payload uses of node:perf_hooks, a monotonic clock in milliseconds, without
// loading perf_hooks: its nine internal modules are outside Node's start-up snapshot and cost
// ~1 ms and ~75 page faults of every probe's start on a slow machine (issue 16).
const origin = process.hrtime.bigint();

export const performance = {
  /** Milliseconds since this module loaded, with sub-millisecond precision; only differences mean anything. */
  now: (): number => Number(process.hrtime.bigint() - origin) / 1e6,
};

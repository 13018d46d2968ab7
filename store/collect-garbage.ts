// A full garbage collection, asked for between the phases of a big report. Reading 10,000 host
// results makes far more garbage than it keeps, and V8 collects the old generation only when
// it reaches a limit it raises as the heap grows, so the peak followed what was read, not what
// was kept (10,000 results: 160-180 MB against about 150 MB collected every 2,000 results).
// The collector is reached the way Jest's --logHeapUsage reaches it: the flag set at run time
// and `gc` taken from a new context. Where that is refused, this does nothing.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const found: unknown = runInNewContext('typeof gc === "function" ? gc : null');
      gc = typeof found === 'function' ? (found as () => void) : null;
    } catch {
      gc = null;
    }
  }
  gc?.();
}

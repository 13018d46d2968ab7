// Stopping a lab daemon that is our child: SIGTERM, then SIGKILL if it has not exited within
// the grace time. A daemon that once ignored SIGTERM in a loaded CI run (Postgrey, 60 s and
// more) used up vitest's hook limit with every test passed; a bounded stop cannot.
import type { ChildProcess } from 'node:child_process';

export function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  // A child killed by a signal has exitCode null and signalCode set: both say it is gone.
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

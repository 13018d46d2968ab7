import { defineConfig } from 'vitest/config';

// Two projects. `unit`: no lab, no service, no port, what a developer runs on every save
// (`npx vitest --project unit`). `lab`: real Postfix, sshd, Redis, PowerShell, WinRM endpoint,
// started once by test/lab-setup.ts. `npm test` runs both.
// Every probe a test runs (in-process or a spawned CLI, which inherits the environment)
// parses what it writes with its schema: see payload/schema/self-check.ts.
const SELF_CHECK = { SMTP_PROBE_SELF_CHECK: '1' };

export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          pool: 'threads',
          // One module graph per worker: the unit files import the same schemas; none of them
          // changes global state another relies on.
          isolate: false,
          include: ['test/unit/**/*.test.ts'],
          globalSetup: ['test/unit-setup.ts'],
          env: SELF_CHECK,
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'lab',
          include: ['test/**/*.lab.test.ts'],
          globalSetup: ['test/lab-setup.ts'],
          env: SELF_CHECK,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});

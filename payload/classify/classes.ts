import { EXIT_INTERNAL, EXIT_USAGE } from '../util/errors.js';

/** The brief's failure taxonomy and the exit code each verdict maps to (documented in README.md). */
export const CLASSES = ['ok', 'dns', 'connect', 'tls', 'auth', 'smtp-policy', 'rate-limit', 'proxy', 'unknown'] as const;
export type FailureClass = (typeof CLASSES)[number];

// 1 and 2 are taken by internal error and bad usage, so the classes start at 10.
export const EXIT_CODES: Record<FailureClass, number> = {
  ok: 0,
  dns: 10,
  connect: 11,
  tls: 12,
  auth: 13,
  'smtp-policy': 14,
  'rate-limit': 15,
  proxy: 16,
  unknown: 17,
};

/** The exit codes for --help, made from the constants themselves. */
export function exitCodesHelp(): string {
  const verdicts = CLASSES.map((c) => `${EXIT_CODES[c]} ${c}`);
  return `Exit codes: ${[verdicts[0], `${EXIT_USAGE} bad usage`, ...verdicts.slice(1), `${EXIT_INTERNAL} internal error`].join(', ')}.`;
}

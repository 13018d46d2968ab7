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

/** Every exit code of probe/diagnose with what it means, in the order --help and the man page list them. */
export function exitCodeRows(): Array<[number, string]> {
  const verdicts = CLASSES.map((c): [number, string] => [EXIT_CODES[c], c]);
  return [verdicts[0]!, [EXIT_USAGE, 'bad usage'], ...verdicts.slice(1), [EXIT_INTERNAL, 'internal error']];
}

/** The exit codes for --help, made from the constants themselves. */
export function exitCodesHelp(): string {
  return `Exit codes: ${exitCodeRows().map(([code, what]) => `${code} ${what}`).join(', ')}.`;
}

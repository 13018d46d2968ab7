/** Exit codes that scripts can rely on; the verdict classes have their own (see classify/classes.ts). */
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;

/**
 * What ends a command when an error of ours reaches the top: `usage` (the user's input or
 * set-up: one line, exit 2), `unavailable` (a service the command needs is not there: the
 * fleet's exit 5), `internal` (a bug or an unexpected state: exit 1).
 */
export type ErrorExit = 'usage' | 'unavailable' | 'internal';

/**
 * The one base of every error the project throws on purpose: a kebab-case code a caller can
 * test, and how a command line ends on it. Subclasses exist only where a caller must tell
 * them apart; the CLIs choose exit codes from `exit`, never from class names.
 */
export class SmtpProbeError extends Error {
  override name = 'SmtpProbeError';
  constructor(
    readonly code: string,
    message: string,
    readonly exit: ErrorExit = 'internal',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Bad input from the user: printed as one line, exit code 2, never a stack trace. */
export class UsageError extends SmtpProbeError {
  override name = 'UsageError';
  constructor(message: string, options?: ErrorOptions) {
    super('usage', message, 'usage', options);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The errno-style code Node attaches to system and TLS errors, if any. */
export function errorCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

// The fleet's one-line errors, kept apart from the Redis client so the CLI can report them
// without loading it. All are SmtpProbeErrors: the CLI ends on `exit`, not on class names.
import { SmtpProbeError } from '../payload/util/errors.js';

export type FleetErrorCode = 'redis-unreachable' | 'usage' | 'not-found' | 'payload' | 'store';

export class FleetError extends SmtpProbeError {
  override name = 'FleetError';
  declare readonly code: FleetErrorCode;
  constructor(code: FleetErrorCode, message: string) {
    super(code, message, code === 'redis-unreachable' ? 'unavailable' : 'usage');
  }
}

/**
 * The worker's own set-up is wrong for a job (a secret the inventory names is not in its
 * environment): not the runner's doing, so never retried and never reported as a refused login.
 */
export class ConfigError extends SmtpProbeError {
  override name = 'ConfigError';
  constructor(message: string) {
    super('config', message, 'usage');
  }
}

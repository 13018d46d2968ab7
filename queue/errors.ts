// The fleet's one-line errors, kept apart from the Redis client so the CLI can report them
// without loading it.
export class FleetError extends Error {
  override readonly name = 'FleetError';
  constructor(
    readonly code: 'redis-unreachable' | 'usage' | 'not-found' | 'payload' | 'store',
    message: string,
  ) {
    super(message);
  }
}

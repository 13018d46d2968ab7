// Where the fleet's Redis is unless told otherwise, and the key prefix its BullMQ keys live under.
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** Every BullMQ key of the fleet lives under this prefix (tests use one per run). */
export const DEFAULT_PREFIX = 'smtp-fleet';

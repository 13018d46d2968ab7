// The values the schemas are built from that the probe also needs at run time. They live
// apart from the zod schemas so that a plain probe can use them without loading zod:
// building zod and every schema costs about 45 ms of a ~190 ms probe start (issue 16), and
// the probe's own output is checked against the schemas under test (schema/self-check.ts).
export const SUMMARY_SCHEMA_VERSION = 3 as const;
export const ATTEMPT_LINE_SCHEMA_VERSION = 1 as const;
export const FINDING_IDS = ['starttls-not-required', 'starttls-required', 'slow-reply', 'tarpit', 'greylisted', 'greylist-passed', 'greylist-not-retried'] as const;
export const TIMING_STAGES = ['connect', 'tls', 'banner', 'ehlo', 'starttls', 'ehlo_tls', 'auth', 'mail', 'noop', 'quit', 'total'] as const;
export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;

/** smtp-fleet's exit codes; README.md documents them. */
export const FLEET_EXIT = { ok: 0, internal: 1, usage: 2, smtpFailures: 3, runnerProblems: 4, redis: 5 } as const;

/** smtp-fleet's exit codes; README.md documents them. */
export const FLEET_EXIT = { ok: 0, internal: 1, usage: 2, smtpFailures: 3, runnerProblems: 4, redis: 5, deadline: 6 } as const;

const MEANING: Record<keyof typeof FLEET_EXIT, string> = {
  ok: 'every selected runner probed and ok',
  smtpFailures: 'every runner probed, some with SMTP failures',
  runnerProblems: 'some runners not reached or without a usable result',
  usage: 'bad usage, inventory, store or Control Room device list',
  redis: 'Redis unreachable',
  deadline: 'the deadline passed before every runner finished',
  internal: 'internal error',
};

/** Every exit code with what it means, lowest first (for --help and the man page). */
export function fleetExitCodeRows(): Array<[number, string]> {
  const keys = Object.keys(FLEET_EXIT) as Array<keyof typeof FLEET_EXIT>;
  return keys.sort((a, b) => FLEET_EXIT[a] - FLEET_EXIT[b]).map((k) => [FLEET_EXIT[k], MEANING[k]]);
}

/** The exit codes for --help, made from FLEET_EXIT itself. */
export function fleetExitCodesHelp(): string {
  return `Exit codes:\n${fleetExitCodeRows().map(([code, what]) => `  ${code}  ${what}`).join('\n')}`;
}

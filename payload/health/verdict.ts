// What a health run's endpoints say together: a port that fails at connect while another
// port of the same provider works is blocked on the way (the network, not the provider);
// nothing reaching any provider is an egress block; a provider that answers and fails, or
// is unreachable where the others answer on the same ports, is that provider's problem.
// How the connects failed matters for the next step: a drop (the SYN timed out) is a firewall
// that drops silently; a refusal (a TCP reset) means something answered on the way.
import type { ConnectFailure, HealthEndpoint, HealthProvider, HealthSummary } from '../schema/health.js';

// 1 and 2 are internal error and bad usage, 10-17 the probe's classes.
export const HEALTH_EXIT = { ok: 0, 'port-block': 20, 'egress-block': 21, 'provider-problem': 22, 'dns-failure': 23 } as const;

const atConnect = (e: HealthEndpoint) => e.failed_stage === 'connect' && (e.class === 'connect' || e.class === 'proxy');
const ok = (e: HealthEndpoint) => e.class === 'ok';

/** "connect refused on 587, 465, ok on 2525": outcomes in the order the endpoints were listed. */
export function providerLine(name: string, endpoints: readonly HealthEndpoint[]): string {
  if (endpoints.every(ok)) return `${name} ok (${endpoints.map((e) => e.port).join(', ')})`;
  const first = endpoints[0]!.host;
  const groups = new Map<string, string[]>();
  for (const e of endpoints) groups.set(e.outcome, [...(groups.get(e.outcome) ?? []), e.host === first ? String(e.port) : `${e.host}:${e.port}`]);
  return `${name} ${[...groups].map(([outcome, ports]) => `${outcome} on ${ports.join(', ')}`).join(', ')}`;
}

export function providerFinding(endpoints: readonly HealthEndpoint[], othersReach: (port: number) => boolean): HealthProvider['finding'] {
  if (endpoints.every(ok)) return 'none';
  const failed = endpoints.filter((e) => !ok(e));
  if (failed.every(atConnect)) {
    if (endpoints.some(ok)) return 'port-block';
    // Unreachable on ports other providers answer on: this destination, not the runner's egress.
    return failed.some((e) => othersReach(e.port)) ? 'provider' : 'network';
  }
  return failed.every((e) => atConnect(e) || e.class === 'proxy') ? 'network' : 'provider';
}

const HOW: Record<ConnectFailure, { words: string; step: (ports: string) => string }> = {
  dropped: { words: 'dropped: no answer to the SYN within the connect timeout, a firewall that drops', step: (p) => `A firewall on the way silently drops outbound TCP ${p} (no answer at all, not even a refusal): ask the network team to allow it from this runner.` },
  refused: {
    words: 'refused: a TCP reset came back, something answered and said no',
    step: (p) => `Something answers TCP ${p} with a reset (a firewall rule that rejects, a local security product such as an antivirus mail shield, or nothing listening at that address): check this runner's own firewall and security software first, then ask the network team.`,
  },
  reset: { words: 'reset: the connection was torn down', step: (p) => `Something on the way tears down TCP ${p}: a proxy or filter; ask the network team which device does.` },
  unreachable: { words: 'unreachable: no route', step: (p) => `This runner has no route for TCP ${p} to the provider: check its routes and default gateway.` },
  blocked: { words: 'blocked by this machine', step: (p) => `This machine itself refuses outbound TCP ${p} (EACCES/EPERM): a local firewall or security product.` },
  other: { words: 'failed', step: (p) => `See the transcripts for TCP ${p}.` },
};

/** Each port and the ways its connects failed, in port order. */
function howBlocked(endpoints: readonly HealthEndpoint[], ports: readonly number[]): Array<{ port: number; how: ConnectFailure }> {
  const seen = new Map<string, { port: number; how: ConnectFailure }>();
  for (const e of endpoints) if (ports.includes(e.port) && atConnect(e)) seen.set(`${e.port} ${e.connect_failure ?? 'other'}`, { port: e.port, how: e.connect_failure ?? 'other' });
  return [...seen.values()].sort((a, b) => a.port - b.port);
}

/** "465 dropped: ...; 587 refused: ..." and the matching next steps, one sentence per way. */
function howText(list: ReadonlyArray<{ port: number; how: ConnectFailure }>): { words: string; steps: string } {
  const byHow = new Map<ConnectFailure, number[]>();
  for (const { port, how } of list) byHow.set(how, [...(byHow.get(how) ?? []), port]);
  const groups = [...byHow];
  return { words: groups.map(([how, ports]) => `${ports.join(', ')} ${HOW[how].words}`).join('; '), steps: groups.map(([how, ports]) => HOW[how].step(ports.join(', '))).join(' ') };
}

export function healthVerdict(providers: readonly HealthProvider[]): HealthSummary['verdict'] {
  const all = providers.flatMap((p) => p.endpoints);
  const blocked = [...new Set(providers.filter((p) => p.finding === 'port-block').flatMap((p) => p.endpoints.filter(atConnect).map((e) => e.port)))].sort((a, b) => a - b);
  const blockedHow = howBlocked(providers.filter((p) => p.finding === 'port-block').flatMap((p) => p.endpoints), blocked);
  const v = (kind: keyof typeof HEALTH_EXIT, summary: string, next_step: string) => ({ kind, exit_code: HEALTH_EXIT[kind], summary, next_step, blocked_ports: blocked, ...(blockedHow.length ? { blocked_how: blockedHow } : {}) });
  if (all.every(ok)) return v('ok', `every provider answered on every port (${providers.length} provider(s), ${all.length} endpoint(s))`, 'Nothing to do: this runner reaches the providers. A bot that still fails has its own settings or credentials wrong: probe its exact host and port with --auth-test.');
  if (all.every((e) => e.failed_stage === 'dns')) return v('dns-failure', 'no provider name resolves from this runner: its DNS fails, not the providers', 'Check the runner\'s DNS servers (dns_resolution in the probe, or smtp-probe probe --dns 1.1.1.1 to compare).');
  if (all.every(atConnect)) {
    const how = howText(howBlocked(all, [...new Set(all.map((e) => e.port))]));
    return v('egress-block', `network block: no provider is reachable on any port (${all.length} endpoint(s) fail at connect; ${how.words}): outbound SMTP from this runner is blocked (egress)`, `${how.steps} Outbound TCP 587 and 465 (and 2525 where the provider offers it) must be allowed from this runner, or the bots must send through the relay the network allows.`);
  }
  const bad = providers.filter((p) => p.finding === 'provider');
  const portNote = blocked.length ? `; network block of port(s) ${blocked.join(', ')} (they fail at connect where another port of the same provider works)` : '';
  if (bad.length) return v('provider-problem', `provider problem: ${bad.map((p) => p.name).join(', ')} fail(s) while the network reaches other providers${portNote}`, `See each failing provider's next step in report.md; the runner's network is not the cause for ${bad.map((p) => p.name).join(', ')}.`);
  const how = howText(blockedHow);
  return v('port-block', `network block: port(s) ${blocked.join(', ') || '(see report)'} fail at connect (${how.words}) while other ports of the same provider work; the providers are fine`, `Use a port that works here (report.md lists them per provider). ${how.steps}`);
}

// The fleet the history bench replays: a year of nightly sweeps of 1,000 runners as an
// operator would see it. Most runners are healthy all year (a rare one-night blip); a few per
// cent fail for good from some day on (a wrong password, TLS interception, a proxy refusing
// CONNECT, a broken resolver); a few flap (ok and failing in turns of a few nights) for weeks;
// some have episodes of a few nights; whole sites go dark on outage nights (a firewall change:
// connect timeouts; the jump host down: not reached); runners join and leave the fleet; and
// the last nights bring new failures (one with a signature the fleet never saw) and
// recoveries. Deterministic: the same seed, the same store. Bump GENERATOR_VERSION whenever
// what it makes changes, so the bench's kept store is made again.
import { EVIDENCE, type PlannedResult } from '../lab/history-store.js';

export const GENERATOR_VERSION = 4; // 4: store files at version 2 (snake_case)

/** mulberry32: small, fast, good enough to decide profiles. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A draw in [0, 1) for (runner, night, salt), independent of the order nights are made in. */
function draw(seed: number, i: number, night: number, salt: number): number {
  return rng(seed ^ Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(night + 1, 0x85ebca77) ^ Math.imul(salt + 1, 0xc2b2ae3d))();
}

type Failure = { outcome: string; evidence: (i: number, night: number) => string };

const FAILURES: Record<string, Failure> = {
  auth: { outcome: 'auth', evidence: (i, n) => EVIDENCE.auth(i * 7 + n) },
  tls: { outcome: 'tls', evidence: (i, n) => EVIDENCE.tls(i + n) },
  proxy: { outcome: 'proxy', evidence: (i) => EVIDENCE.proxy(`proxy-${i % 3}`) },
  dns: { outcome: 'dns', evidence: (i, n) => EVIDENCE.dns(i + n) },
  connect: { outcome: 'connect', evidence: (i, n) => EVIDENCE.connect(i + n) },
  'rate-limit': { outcome: 'rate-limit', evidence: (i, n) => EVIDENCE['rate-limit'](i * 31 + n) },
  unreachable: { outcome: 'unreachable', evidence: (i) => EVIDENCE.unreachable(i) },
  // Only in the last nights: a signature the fleet has never seen.
  policy: { outcome: 'smtp-policy', evidence: (i, n) => `S: 550 5.7.0 Mail relay denied for 10.20.${i % 250}.${n % 250} (policy rule 4.2, reply to MAIL FROM)` },
};

interface Profile {
  /** Nights the runner is in the fleet: [from, to). */
  from: number;
  to: number;
  /** Its failure on a night, or null when it answers ok (outages and blips come on top). */
  state: (night: number) => Failure | null;
  site: number;
}

export interface FleetPlan {
  runners: number;
  nights: number;
  seed: number;
}

export const SITES = 10;

/** Each runner's profile, drawn once from the seed. */
export function profiles(p: FleetPlan): Profile[] {
  const r = rng(p.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo));
  const last = p.nights - 1;
  const out: Profile[] = [];
  for (let i = 0; i < p.runners; i++) {
    const site = Math.floor(r() * SITES);
    const roll = r();
    // Runners joining during the year, and leaving it.
    const from = r() < 0.03 ? between(1, last - 10) : 0;
    const to = r() < 0.015 ? between(from + 5, last - 5) : p.nights;
    let state: Profile['state'] = () => null;
    if (roll < 0.03) {
      // For good from some day on: a third of them all year.
      const f = FAILURES[pick(['auth', 'tls', 'proxy', 'dns'] as const)]!;
      const since = r() < 0.33 ? 0 : between(0, last - 14);
      state = (n) => (n >= since ? f : null);
    } else if (roll < 0.05) {
      // Flapping: failing and ok in turns of a few nights, for weeks or to this day.
      const f = FAILURES[pick(['tls', 'rate-limit', 'connect'] as const)]!;
      const start = between(0, last - 40);
      const end = r() < 0.6 ? p.nights : between(start + 21, p.nights);
      const turn = between(2, 6);
      state = (n) => (n >= start && n < end && Math.floor((n - start) / turn) % 2 === 1 ? f : null);
    } else if (roll < 0.09) {
      // Episodes of 2 to 20 nights, once or twice a year.
      const f = FAILURES[pick(['tls', 'auth', 'proxy', 'connect', 'dns'] as const)]!;
      const episodes = Array.from({ length: between(1, 3) }, () => {
        const s = between(0, last - 3);
        return [s, s + between(2, 21)] as const;
      });
      state = (n) => (episodes.some(([s, e]) => n >= s && n < e) ? f : null);
    } else if (roll < 0.105) {
      // New failures of the last three nights, half of them last night; those of last night
      // have, half of them, a signature new to the fleet.
      const since = r() < 0.5 ? last : last - between(1, 3);
      const f = since === last && r() < 0.5 ? FAILURES.policy! : FAILURES[pick(['auth', 'tls', 'proxy'] as const)]!;
      state = (n) => (n >= since ? f : null);
    } else if (roll < 0.115) {
      // Failing for weeks, recovered in the last three nights.
      const f = FAILURES[pick(['auth', 'tls', 'dns'] as const)]!;
      const until = last - between(0, 3);
      const since = until - between(10, 120);
      state = (n) => (n >= since && n < until ? f : null);
    }
    out.push({ from, to, state, site });
  }
  return out;
}

/** Outage nights: a site dark for one or two nights; the night before last one too. */
function outages(p: FleetPlan): Array<{ site: number; from: number; to: number; failure: Failure }> {
  const r = rng(p.seed ^ 0x5eed);
  const list = Array.from({ length: 8 }, () => {
    const from = Math.floor(r() * (p.nights - 10));
    return { site: Math.floor(r() * SITES), from, to: from + 1 + Math.floor(r() * 2), failure: r() < 0.5 ? FAILURES.connect! : FAILURES.unreachable! };
  });
  // The night before the last: its runners recover in the last sweep (the morning report's recoveries).
  list.push({ site: Math.floor(r() * SITES), from: p.nights - 2, to: p.nights - 1, failure: FAILURES.connect! });
  return list;
}

/** One night of the fleet, runners in name order. */
export function fleetNight(p: FleetPlan, all: Profile[], night: number): PlannedResult[] {
  const dark = outages(p).filter((o) => night >= o.from && night < o.to);
  const out: PlannedResult[] = [];
  for (let i = 0; i < all.length; i++) {
    const pr = all[i]!;
    if (night < pr.from || night >= pr.to) continue;
    const host = `rpa-${String(i).padStart(4, '0')}`;
    const outage = dark.find((o) => o.site === pr.site);
    const blip = draw(p.seed, i, night, 1) < 0.002 ? (draw(p.seed, i, night, 2) < 0.5 ? FAILURES.unreachable! : FAILURES.connect!) : null;
    const f = outage?.failure ?? pr.state(night) ?? blip;
    out.push(f ? { host, outcome: f.outcome, evidence: f.evidence(i, night) } : { host, outcome: 'ok', evidence: EVIDENCE.ok(i + night) });
  }
  return out;
}

// History across sweeps, read from the index: one runner's outcomes over time, the fleet's
// flapping runners, failure signatures new in a window and long-standing failures, and the
// fleet report's history section (as of one sweep, so a report made again later says the same).
import { HISTORY_SCHEMA_VERSION, type FleetHistory, type HostHistory } from './history-schema.js';
import type { HistoryIndex, HistoryRow } from './history-index.js';

const DAY = 86_400_000;

/** What counts as flapping and as long-standing: judgement, kept in one place. */
export const HISTORY_RULES = {
  /** A runner flaps when its outcome changed at least this often in the window... */
  flapMinChanges: 3,
  /** ...and at least this many times per week of window. */
  flapMinPerWeek: 1,
  /** A failure is long-standing once a runner has been failing this many days without an ok sweep. */
  longStandingDays: 7,
  /** The report's window for flapping. */
  reportWindowDays: 30,
} as const;

const iso = (t: number) => new Date(t).toISOString();

/** The run of equal failing-state results at the end of a host's rows. */
export function streakOf(rows: HistoryRow[]): HostHistory['streak'] {
  const last = rows.at(-1);
  if (!last) return null;
  let i = rows.length - 1;
  while (i > 0 && rows[i - 1]!.failing === last.failing) i--;
  const run = rows.slice(i);
  const counts = new Map<string, number>();
  for (const r of run) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  const outcomes = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([o]) => o);
  return { state: last.failing ? 'failing' : 'ok', sweeps: run.length, since: run[0]!.created, sweep_id: run[0]!.sweepId, outcomes };
}

/** One host's history; null when the index has no result of it. */
export function hostHistory(ix: HistoryIndex, host: string, sinceT: number): HostHistory | null {
  const rows = ix.hostRows(host);
  if (!rows.length) return null;
  const sweeps = ix.sweeps();
  const untilT = Math.max(sweeps.at(-1)?.t ?? 0, rows.at(-1)!.t);
  const inWindow = rows.filter((r) => r.t >= sinceT);
  const spans = new Map<string, HostHistory['signatures'][number]>();
  for (const r of rows) {
    if (!r.failing) continue;
    const s = spans.get(r.signature);
    if (s) {
      s.last_seen = r.created;
      s.sweeps++;
    } else spans.set(r.signature, { signature: r.signature, outcome: r.outcome, first_seen: r.created, last_seen: r.created, sweeps: 1, hosts: 1 });
  }
  const seenInWindow = new Set(inWindow.filter((r) => r.failing).map((r) => r.signature));
  return {
    schema: 'smtp-fleet/history',
    schema_version: HISTORY_SCHEMA_VERSION,
    scope: 'host',
    host,
    since: iso(sinceT),
    until: iso(untilT),
    sweeps: sweeps.filter((s) => s.t >= sinceT).length,
    entries: inWindow.map((r) => ({ sweep_id: r.sweepId, created: r.created, outcome: r.outcome, failing: r.failing, evidence: r.detail, signature: r.signature })),
    signatures: [...spans.values()].filter((s) => seenInWindow.has(s.signature)).sort((a, b) => b.last_seen.localeCompare(a.last_seen) || a.signature.localeCompare(b.signature)),
    streak: streakOf(rows),
  };
}

/** Runners whose outcome changed often between their consecutive sweeps in [sinceT, untilT]. */
export function flapping(ix: HistoryIndex, sinceT: number, untilT: number): FleetHistory['flapping'] {
  const weeks = Math.max(untilT - sinceT, DAY) / (7 * DAY);
  const rows = ix.query<{ host: string; changes: number; sweeps: number; current: string; last: number }>(
    // chg is kept at index time (a change from the host's result before); one counts only when
    // that result is in the window too. `current` is the outcome of the row MAX(t) picked.
    `SELECT h.name AS host, SUM(CASE WHEN r.prev_t >= @sinceT THEN r.chg ELSE 0 END) AS changes, COUNT(*) AS sweeps, MAX(r.t) AS last, r.outcome AS current
     FROM results r JOIN hosts h ON h.id = r.host
     WHERE r.t >= @sinceT AND r.t <= @untilT
     GROUP BY r.host HAVING changes >= @min`,
    { sinceT, untilT, min: HISTORY_RULES.flapMinChanges },
  );
  return rows
    .map(({ last: _last, ...r }) => ({ ...r, per_week: Math.round((r.changes / weeks) * 10) / 10 }))
    .filter((r) => r.changes / weeks >= HISTORY_RULES.flapMinPerWeek)
    .sort((a, b) => b.changes - a.changes || a.host.localeCompare(b.host));
}

/** Failure signatures the fleet first saw in [sinceT, untilT], newest first. */
export function newSignatures(ix: HistoryIndex, sinceT: number, untilT: number): FleetHistory['new_signatures'] {
  return ix
    .query<{ signature: string; outcome: string; first: number; last: number; sweeps: number; hosts: number }>(
      // A signature's first time is one seek in results_sig; the earliest overall is the earliest
      // up to untilT whenever it is in the window. Only the signatures new in it are then counted.
      `WITH f AS MATERIALIZED (SELECT g.id AS sig, g.text AS signature, g.outcome AS outcome, (SELECT MIN(r.t) FROM results r WHERE r.sig = g.id) AS first FROM signatures g)
       SELECT f.signature AS signature, f.outcome AS outcome, f.first AS first, MAX(r.t) AS last, COUNT(DISTINCT r.sweep) AS sweeps, COUNT(DISTINCT r.host) AS hosts
       FROM f CROSS JOIN results r ON r.sig = f.sig AND r.t <= @untilT
       WHERE f.first >= @sinceT AND f.first <= @untilT AND r.failing = 1 GROUP BY f.sig`,
      { sinceT, untilT },
    )
    .sort((a, b) => b.first - a.first || b.hosts - a.hosts || a.signature.localeCompare(b.signature))
    .map((r) => ({ signature: r.signature, outcome: r.outcome, first_seen: iso(r.first), last_seen: iso(r.last), sweeps: r.sweeps, hosts: r.hosts }));
}

/** When the fleet first saw a signature (up to untilT). */
function firstSeen(ix: HistoryIndex, signature: string, untilT: number): number | null {
  const r = ix.queryOne<{ first: number | null }>('SELECT MIN(r.t) AS first FROM results r JOIN signatures g ON g.id = r.sig WHERE g.text = @signature AND r.t <= @untilT', { signature, untilT });
  return r?.first ?? null;
}

/**
 * Runners failing without an ok sweep for longStandingDays or more as of untilT, whose latest
 * result is at or after `lastAtLeastT` (a runner gone from the fleet a year ago is not news).
 */
export function longStanding(ix: HistoryIndex, untilT: number, lastAtLeastT: number): FleetHistory['long_standing'] {
  const streaks = ix.query<{ host: string; since: number; sweeps: number; last: number }>(
    `WITH lo AS MATERIALIZED (
       SELECT h.id AS host, h.name AS name,
         COALESCE((SELECT r.t FROM results r WHERE r.host = h.id AND r.t <= @untilT AND r.failing = 0 ORDER BY r.t DESC LIMIT 1), -1) AS ok_t
       FROM hosts h)
     SELECT lo.name AS host, MIN(r.t) AS since, COUNT(*) AS sweeps, MAX(r.t) AS last
     FROM lo CROSS JOIN results r ON r.host = lo.host AND r.t > lo.ok_t AND r.t <= @untilT
     GROUP BY lo.host`,
    { untilT },
  );
  const out: FleetHistory['long_standing'] = [];
  for (const s of streaks) {
    if (s.last < lastAtLeastT || s.last - s.since < HISTORY_RULES.longStandingDays * DAY) continue;
    const latest = ix.latestRow(s.host, untilT)!;
    out.push({
      host: s.host,
      since: iso(s.since),
      sweeps: s.sweeps,
      days: Math.floor((s.last - s.since) / DAY),
      outcome: latest.outcome,
      signature: latest.signature,
      signature_first_seen: iso(firstSeen(ix, latest.signature, untilT) ?? s.since),
    });
  }
  return out.sort((a, b) => a.since.localeCompare(b.since) || a.host.localeCompare(b.host));
}

/** The fleet's history over [sinceT, the latest sweep]. */
export function fleetHistory(ix: HistoryIndex, sinceT: number): FleetHistory {
  const sweeps = ix.sweeps();
  const untilT = Math.max(sweeps.at(-1)?.t ?? sinceT, sinceT);
  const runners = ix.queryOne<{ n: number }>('SELECT COUNT(DISTINCT host) AS n FROM results WHERE t >= @sinceT AND t <= @untilT', { sinceT, untilT })?.n ?? 0;
  return {
    schema: 'smtp-fleet/history',
    schema_version: HISTORY_SCHEMA_VERSION,
    scope: 'fleet',
    since: iso(sinceT),
    until: iso(untilT),
    sweeps: sweeps.filter((s) => s.t >= sinceT).length,
    runners,
    flapping: flapping(ix, sinceT, untilT),
    new_signatures: newSignatures(ix, sinceT, untilT),
    long_standing: longStanding(ix, untilT, sinceT),
  };
}

// ---- the fleet report's section ----

export interface ReportHistory {
  sweepId: string;
  previousSweepId: string | null;
  windowDays: number;
  windowSweeps: number;
  newFailures: Array<{ host: string; from: string; outcome: string; signature: string; signatureFirstSeen: string; newToFleet: boolean }>;
  recovered: Array<{ host: string; from: string; failingSince: string; sweeps: number }>;
  flapping: FleetHistory['flapping'];
  longStanding: FleetHistory['long_standing'];
  newSignatures: FleetHistory['new_signatures'];
}

/** The failing streak a host ended at t: its results after its last ok one before t (one backward seek, one range). */
function failingStreakBefore(ix: HistoryIndex, host: string, t: number): { since: number; sweeps: number } {
  const r = ix.queryOne<{ since: number; sweeps: number }>(
    `WITH h AS (SELECT id FROM hosts WHERE name = @host),
          ok AS (SELECT COALESCE((SELECT r.t FROM results r, h WHERE r.host = h.id AND r.t < @t AND r.failing = 0 ORDER BY r.t DESC LIMIT 1), -1) AS t)
     SELECT MIN(r.t) AS since, COUNT(*) AS sweeps FROM results r, h, ok WHERE r.host = h.id AND r.t < @t AND r.t > ok.t`,
    { host, t },
  );
  return { since: r?.since ?? t, sweeps: r?.sweeps ?? 0 };
}

/** The history section of a sweep's report, as of that sweep; null when the index does not hold the sweep. */
export function reportHistory(ix: HistoryIndex, sweepId: string, windowDays: number = HISTORY_RULES.reportWindowDays): ReportHistory | null {
  const sweeps = ix.sweeps();
  const at = sweeps.findIndex((s) => s.name === sweepId);
  if (at < 0) return null;
  const t = sweeps[at]!.t;
  const sinceT = t - windowDays * DAY;
  const current = ix.sweepRows(sweepId);
  const previous = new Map(
    ix
      .query<{ host: string; outcome: string; failing: number; t: number }>(
        // Materialised: one seek per host for its previous time, not one per row of the join.
        `WITH p AS MATERIALIZED (SELECT h.id AS host, h.name AS name, (SELECT MAX(r2.t) FROM results r2 WHERE r2.host = h.id AND r2.t < @t) AS pt FROM hosts h)
         SELECT p.name AS host, r.outcome AS outcome, r.failing AS failing, r.t AS t FROM p CROSS JOIN results r ON r.host = p.host AND r.t = p.pt`,
        { t },
      )
      .map((r) => [r.host, r]),
  );
  const firstSeenCache = new Map<string, number>();
  const seen = (sig: string) => {
    let f = firstSeenCache.get(sig);
    if (f === undefined) firstSeenCache.set(sig, (f = firstSeen(ix, sig, t) ?? t));
    return f;
  };
  const newFailures: ReportHistory['newFailures'] = [];
  const recovered: ReportHistory['recovered'] = [];
  for (const r of current) {
    const p = previous.get(r.host);
    if (!p) continue;
    if (r.failing && !p.failing) {
      const f = seen(r.signature);
      newFailures.push({ host: r.host, from: p.outcome, outcome: r.outcome, signature: r.signature, signatureFirstSeen: iso(f), newToFleet: f >= t });
    } else if (!r.failing && p.failing) {
      const streak = failingStreakBefore(ix, r.host, t);
      recovered.push({ host: r.host, from: p.outcome, failingSince: iso(streak.since), sweeps: streak.sweeps });
    }
  }
  const failingNow = new Set(current.filter((r) => r.failing).map((r) => r.host));
  return {
    sweepId,
    previousSweepId: at > 0 ? sweeps[at - 1]!.name : null,
    windowDays,
    windowSweeps: sweeps.filter((s) => s.t >= sinceT && s.t <= t).length,
    // New to the fleet first, then by host.
    newFailures: newFailures.sort((a, b) => Number(b.newToFleet) - Number(a.newToFleet) || a.host.localeCompare(b.host)),
    recovered: recovered.sort((a, b) => a.failingSince.localeCompare(b.failingSince) || a.host.localeCompare(b.host)),
    flapping: flapping(ix, sinceT, t),
    longStanding: longStanding(ix, t, t).filter((l) => failingNow.has(l.host)),
    newSignatures: newSignatures(ix, t, t),
  };
}

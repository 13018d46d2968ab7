// `smtp-fleet history` for a person: one line per sweep, the signatures with first and last
// seen, the streak; or the fleet's flapping runners, new signatures and long-standing
// failures. Evidence is the runners' text: control characters are taken out before it
// reaches the terminal.
import type { FleetHistory, HostHistory } from '../store/history-schema.js';

const MAX_LISTED = 20;

const clean = (s: string, max = 100) => {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
};
const day = (iso: string) => iso.slice(0, 10);
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

function bounded<T>(title: string, items: T[], line: (x: T) => string, none: string): string[] {
  if (!items.length) return [`${title}: ${none}`];
  const more = items.length - MAX_LISTED;
  return [`${title} (${items.length}):`, ...items.slice(0, MAX_LISTED).map((x) => `  ${line(x)}`), ...(more > 0 ? [`  ... and ${more} more (--json lists all)`] : [])];
}

export function streakText(s: HostHistory['streak']): string {
  if (!s) return 'no result';
  return s.state === 'failing' ? `failing for ${plural(s.sweeps, 'sweep')} since ${day(s.since)} (${s.outcomes.join(', ')})` : `ok for ${plural(s.sweeps, 'sweep')} since ${day(s.since)}`;
}

export function hostHistoryText(h: HostHistory): string {
  const width = Math.max(2, ...h.entries.map((e) => e.outcome.length));
  return [
    `history of ${h.host} since ${day(h.since)} (${plural(h.entries.length, 'result')} in ${plural(h.sweeps, 'sweep')})`,
    `now: ${streakText(h.streak)}`,
    '',
    ...(h.entries.length ? h.entries.map((e) => `${day(e.created)}  ${e.sweep_id}  ${e.outcome.padEnd(width)}  ${clean(e.evidence)}`) : ['no result in the window']),
    '',
    ...bounded('failure signatures', h.signatures, (s) => `${clean(s.signature, 120)}\n    first seen ${day(s.first_seen)}, last seen ${day(s.last_seen)}, ${plural(s.sweeps, 'sweep')}`, 'none in the window'),
    '',
  ].join('\n');
}

export function fleetHistoryText(f: FleetHistory): string {
  return [
    `fleet history since ${day(f.since)} (${plural(f.sweeps, 'sweep')}, ${plural(f.runners, 'runner')}, latest ${day(f.until)})`,
    '',
    ...bounded('flapping runners', f.flapping, (x) => `${x.host}  ${x.per_week} changes/week (${x.changes} in ${plural(x.sweeps, 'sweep')}), now ${x.current}`, 'none'),
    '',
    ...bounded('failure signatures new in the window', f.new_signatures, (x) => `${day(x.first_seen)}  ${plural(x.hosts, 'runner')}, last seen ${day(x.last_seen)}: ${clean(x.signature, 120)}`, 'none'),
    '',
    ...bounded('long-standing failures', f.long_standing, (x) => `${x.host}  failing for ${plural(x.sweeps, 'sweep')} since ${day(x.since)} (${plural(x.days, 'day')}): ${clean(x.signature, 100)} (first seen ${day(x.signature_first_seen)})`, 'none'),
    '',
  ].join('\n');
}

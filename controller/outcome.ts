// What `smtp-fleet sweep` prints at the end: the summary lines, coloured on a terminal that takes it.
import { paint, type TerminalStyle, type Tone } from '../payload/util/terminal.js';
import type { FleetSummary } from '../store/fleet-schema.js';

/** The summary lines of a finished sweep; counts that are not zero get their verdict's colour. */
export function outcomeLines(s: FleetSummary, reportPath: string, style: Pick<TerminalStyle, 'color'>): string {
  const c = s.counts;
  const count = (n: number, what: string, tone: Tone) => (n > 0 ? paint(style, tone, `${n} ${what}`) : `${n} ${what}`);
  const rate = s.success_rate === null ? 'n/a' : `${Math.round(s.success_rate * 100)}%`;
  return [
    `sweep:       ${s.sweep.id} (${s.sweep.kind})`,
    `hosts:       ${c.selected} selected, ${count(c.ok, 'ok', 'ok')}, ${count(c.smtp_failing, 'with SMTP failures', 'bad')}, ${count(c.unreachable, 'unreachable', 'bad')}, ${count(c.failed + c.rejected, 'other runner problems', 'bad')}, ${count(c.pending, 'pending', 'partial')}, ${count(c.timed_out, 'timed out', 'bad')}`,
    `success:     ${rate} of probed hosts`,
    `report:      ${reportPath} (and fleet_report.html beside it)`,
    '',
  ].join('\n');
}

// fleet_metrics.prom: a sweep in the Prometheus text exposition format (version 0.0.4), for
// node_exporter's textfile collector. No sample carries a timestamp: the collector refuses
// files that do; the sweep's time is a gauge of its own instead.
import { CLASSES } from '../payload/classify/classes.js';
import { percentiles } from '../payload/util/stats.js';
import { latestByHost, sweepSeconds } from './fleet-outputs.js';
import type { FleetSummary, HostResult } from './fleet-schema.js';

type Labels = Record<string, string>;
interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'summary';
  samples: Array<{ suffix?: string; labels?: Labels; value: number }>;
}

/** HELP text: backslash and line feed escaped, as the exposition format asks. */
export const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** A label value: backslash, double quote and line feed escaped. */
export const escapeLabelValue = (text: string): string => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function renderFamily(f: Family): string {
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
  for (const s of f.samples) {
    const labels = s.labels && Object.keys(s.labels).length ? `{${Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : '';
    lines.push(`${f.name}${s.suffix ?? ''}${labels} ${formatValue(s.value)}`);
  }
  return lines.join('\n');
}

/** Every SMTP attempt's duration on the sweep's probed hosts (their latest results), for renderFleetMetrics. */
export function attemptDurationsMs(summary: FleetSummary, results: readonly HostResult[]): number[] {
  const out: number[] = [];
  for (const r of latestByHost(summary, results).values()) if (r.status === 'probed') out.push(...r.attempts.totals_ms);
  return out;
}

/** `durationsMs`: every SMTP attempt's duration (attemptDurationsMs, or SummaryBuilder's). */
export function renderFleetMetrics(summary: FleetSummary, durationsMs: readonly number[]): string {
  const c = summary.counts;
  // In milliseconds first: the percentiles round to 0.01, which in seconds would be 10 ms.
  const q = percentiles(durationsMs);
  const seconds = (ms: number | undefined) => (ms === undefined ? NaN : ms / 1000);
  const ratio = (v: number | null) => (v === null ? [] : [{ value: v }]);
  const families: Family[] = [
    {
      name: 'smtp_fleet_sweep_info',
      help: 'The sweep these figures are about (always 1).',
      type: 'gauge',
      samples: [{ labels: { sweep: summary.sweep.id, kind: summary.sweep.kind }, value: 1 }],
    },
    {
      name: 'smtp_fleet_sweep_timestamp_seconds',
      help: 'When the sweep was started, in seconds since the Unix epoch.',
      type: 'gauge',
      samples: [{ value: Date.parse(summary.sweep.created) / 1000 }],
    },
    {
      name: 'smtp_fleet_sweep_duration_seconds',
      help: 'From the start of the sweep to its last runner result.',
      type: 'gauge',
      samples: [{ value: sweepSeconds(summary) }],
    },
    { name: 'smtp_fleet_runners_selected', help: 'Runners the sweep selected.', type: 'gauge', samples: [{ value: c.selected }] },
    {
      name: 'smtp_fleet_runners',
      help: 'Probed runners by verdict class (ok, dns, connect, tls, auth, smtp-policy, rate-limit, proxy, unknown).',
      type: 'gauge',
      samples: CLASSES.map((cl) => ({ labels: { class: cl }, value: summary.verdicts[cl] ?? 0 })),
    },
    {
      name: 'smtp_fleet_runners_not_reached',
      help: 'Runners without a usable probe result, by status (unreachable, failed, rejected, pending, timed-out); never counted as SMTP failures.',
      type: 'gauge',
      samples: [...(['unreachable', 'failed', 'rejected', 'pending'] as const).map((st) => ({ labels: { status: st }, value: c[st] })), { labels: { status: 'timed-out' }, value: c.timed_out }],
    },
    {
      name: 'smtp_fleet_success_ratio',
      help: 'Probed runners whose verdict is ok, over probed runners (absent when none was probed).',
      type: 'gauge',
      samples: ratio(summary.success_rate),
    },
    {
      name: 'smtp_fleet_attempt_success_ratio',
      help: 'SMTP attempts that succeeded, over all attempts of probed runners (absent when there were none).',
      type: 'gauge',
      samples: ratio(summary.attempt_success_rate),
    },
    {
      name: 'smtp_fleet_group_success_ratio',
      help: 'Per inventory group: probed runners whose verdict is ok, over probed runners.',
      type: 'gauge',
      samples: summary.by_group.filter((g) => g.success_rate !== null).map((g) => ({ labels: { group: g.name }, value: g.success_rate! })),
    },
    {
      name: 'smtp_fleet_attempt_duration_seconds',
      help: 'Duration of every SMTP attempt of every probed runner (nearest-rank quantiles).',
      type: 'summary',
      samples: [
        ...([['0.5', q?.p50], ['0.9', q?.p90], ['0.99', q?.p99]] as const).map(([quantile, v]) => ({ labels: { quantile }, value: seconds(v) })),
        { suffix: '_sum', value: durationsMs.reduce((s, d) => s + d, 0) / 1000 },
        { suffix: '_count', value: durationsMs.length },
      ],
    },
  ];
  return `${families.map(renderFamily).join('\n')}\n`;
}

// Clock offset against an SNTP server, and whether that offset would break certificate
// validation: checked against the validity of the certificate the probe was actually served.
import { networkInterfaces } from 'node:os';
import { ClockDataSchema } from '../../schema/diagnose.js';
import type { ProbeSummary } from '../../schema/summary.js';
import type { z } from 'zod';
import { errorMessage } from '../../util/errors.js';
import { Skip, type Collector } from '../collector.js';
import { sntpQuery } from '../sntp.js';

type Data = z.infer<typeof ClockDataSchema>;

const SNTP_TIMEOUT_MS = 3000;
const WARN_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

function isLoopback(host: string): boolean {
  return /^127\./.test(host) || host === '::1' || host.toLowerCase() === 'localhost';
}

/** Any address that can leave this machine: without one, there is no point asking a public server. */
export function hasNetwork(): boolean {
  return Object.values(networkInterfaces()).some((l) => (l ?? []).some((i) => !i.internal && !i.address.startsWith('fe80:') && !i.address.startsWith('169.254.')));
}

export function clockRisk(offsetMs: number, summary: ProbeSummary, localNow: number): { risk: Data['risk']; explanation: string } {
  const secs = (offsetMs / 1000).toFixed(1);
  const dir = offsetMs > 0 ? 'behind' : 'ahead';
  const leaf = summary.attempts.find((a) => a.tls?.chain.length)?.tls?.chain[0];
  if (leaf) {
    const from = Date.parse(leaf.valid_from);
    const to = Date.parse(leaf.valid_to);
    const trueNow = localNow + offsetMs;
    const okLocal = localNow >= from && localNow <= to;
    const okTrue = trueNow >= from && trueNow <= to;
    if (!okLocal && okTrue) {
      return { risk: 'breaks-validation', explanation: `This clock is ${Math.abs(Number(secs))} s ${dir}: by this machine's time the server certificate (valid ${leaf.valid_from} to ${leaf.valid_to}) is ${localNow < from ? 'not yet valid' : 'expired'}, though it is valid by the real time. Fix the time source (w32tm /resync on Windows, timedatectl / chrony on Linux).` };
    }
  }
  if (Math.abs(offsetMs) >= DAY_MS) {
    return { risk: 'breaks-validation', explanation: `This clock is ${(Math.abs(offsetMs) / DAY_MS).toFixed(1)} days ${dir}: certificates issued or expiring within that span fail validation, and OAuth tokens look expired or not yet valid.` };
  }
  if (Math.abs(offsetMs) >= WARN_MS) {
    return { risk: 'warn', explanation: `This clock is ${Math.abs(Number(secs))} s ${dir}: not enough to fail today's certificate, but a freshly renewed certificate or an OAuth token can be judged not yet valid or expired. Fix the time source.` };
  }
  return { risk: 'none', explanation: `Offset ${secs} s: within tolerance.` };
}

export const clockCollector: Collector<Data> = {
  name: 'clock',
  file: 'clock.json',
  data: ClockDataSchema,
  async run(ctx, rec) {
    const ntp = ctx.diag.ntp;
    if (!ntp) throw new Skip('turned off with --no-ntp');
    const server = `${ntp.host}:${ntp.port}`;
    if (!isLoopback(ntp.host) && !hasNetwork()) throw new Skip(`no network: no interface besides loopback, so ${server} was not asked`);
    const t0 = Date.now();
    try {
      const r = await sntpQuery(ntp.host, ntp.port, Math.min(SNTP_TIMEOUT_MS, rec.timeoutMs));
      rec.source(`SNTP ${server}`, true);
      const judged = clockRisk(r.offsetMs, ctx.probe.summary, t0);
      if (judged.risk !== 'none') rec.note(judged.explanation);
      return { server, server_address: r.address, offset_ms: Math.round(r.offsetMs * 10) / 10, round_trip_ms: Math.round(r.roundTripMs * 10) / 10, stratum: r.stratum, ...judged };
    } catch (err) {
      rec.source(`SNTP ${server}`, false, errorMessage(err));
      return { server, server_address: null, offset_ms: null, round_trip_ms: null, stratum: null, risk: 'unknown', explanation: `No clock offset: ${errorMessage(err)}.` };
    }
  },
};

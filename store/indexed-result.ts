// What the history index keeps of a host result, and the stamp that says whether a sweep's
// files changed since it was indexed: apart from the index and its native module, so that the
// report, which reads every host result anyway, makes the index's rows as it reads them
// instead of the index reading 10,000 files a second time.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseEvidence } from './aggregate.js';
import { oneLine, type HostResult } from './fleet-schema.js';

/** What the index keeps of one host result. */
export interface IndexedResult {
  host: string;
  outcome: string;
  failing: boolean;
  detail: string;
  signature: string;
}

const DETAIL_MAX = 160;
const SIGNATURE_MAX = 300;

/** The index's view of a host result: outcome, a short evidence line and its signature. */
export function indexedResult(r: HostResult, address?: string): IndexedResult {
  const own = [r.host, address ?? ''];
  const norm = (text: string) => oneLine(normaliseEvidence(text, own), SIGNATURE_MAX);
  switch (r.status) {
    case 'probed': {
      const cls = r.verdict.class;
      return { host: r.host, outcome: cls, failing: cls !== 'ok', detail: oneLine(r.verdict.evidence, DETAIL_MAX), signature: cls === 'ok' ? 'ok' : `${cls}: ${norm(r.verdict.evidence)}` };
    }
    case 'unreachable':
    case 'failed':
      return { host: r.host, outcome: r.status, failing: true, detail: oneLine(`${r.code}: ${r.message}`, DETAIL_MAX), signature: `${r.status}: ${r.code}: ${norm(r.message)}` };
    case 'rejected':
      return { host: r.host, outcome: 'rejected', failing: true, detail: oneLine(r.reason, DETAIL_MAX), signature: `rejected: ${norm(r.reason)}` };
    case 'timed-out':
      return { host: r.host, outcome: 'timed-out', failing: true, detail: oneLine(`at ${r.stage}: ${r.message}`, DETAIL_MAX), signature: `timed-out: ${r.stage}` };
  }
}

/** A sweep folder's stamp: its own and its hosts/ folder's modification times (every host result write touches hosts/). */
export function sweepStamp(storeRoot: string, name: string): string {
  const dir = join(storeRoot, 'sweeps', name);
  return `${mtimeNs(dir)}:${mtimeNs(join(dir, 'hosts'))}`;
}

function mtimeNs(path: string): string {
  try {
    return statSync(path, { bigint: true }).mtimeNs.toString();
  } catch {
    return '-';
  }
}

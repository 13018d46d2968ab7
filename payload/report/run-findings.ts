// Every finding of a run as one list, from a list of sources over probe_summary.json: the
// ESMTP/timing findings, the TLS matrix's, the provider preset's mismatches, the sender
// domain's problems. The fleet groups runners by them (store/fleet-schema.ts keys them as
// id:where), the reports label them. One more source is one more entry in FINDING_SOURCES.
import findingsFile from '../classify/data/findings.json' with { type: 'json' };
import type { FindingsFile } from '../classify/knowledge-schema.js';
import type { ProbeSummary } from '../schema/summary.js';
import { presetFindings } from './preset-findings.js';

export interface RunFinding {
  /** A stable id: a key of data/findings.json. */
  id: string;
  /** The port (or port and address) it is about, or null for the run as a whole. */
  where: string | null;
  severity: 'error' | 'warning' | 'info';
  text: string;
}

type FindingSource = (s: ProbeSummary) => RunFinding[];

const SEVERITY = { problem: 'error', warning: 'warning', info: 'info' } as const;

const esmtpFindings: FindingSource = (s) => (s.esmtp?.findings ?? []).map((f) => ({ id: f.id, where: String(f.port), severity: SEVERITY[f.severity], text: f.text }));

// Grouped by port, not address: runners of a fleet meet different addresses of the same service.
const tlsMatrixFindings: FindingSource = (s) => [...(s.tls_matrix?.ports ?? []).flatMap((p) => p.findings.map((f) => ({ id: f.id, where: String(p.port), severity: f.severity, text: f.text }))), ...(s.tls_matrix?.findings ?? []).map((f) => ({ id: f.id, where: f.where, severity: f.severity, text: f.text }))];

// --sender-domain's problems (not its "ok" notes), keyed by domain: runners sending as one domain share them.
const SENDER_SEVERITY = { fail: 'error', warn: 'warning', info: 'info' } as const;
const senderFindings: FindingSource = (s) => {
  const a = s.sender;
  return a ? a.findings.filter((f) => f.severity !== 'info').map((f) => ({ id: f.id, where: a.domain, severity: SENDER_SEVERITY[f.severity], text: f.summary })) : [];
};

export const FINDING_SOURCES: readonly FindingSource[] = [esmtpFindings, tlsMatrixFindings, presetFindings, senderFindings];

export function runFindings(s: ProbeSummary): RunFinding[] {
  return FINDING_SOURCES.flatMap((source) => source(s));
}

/** How the fleet names a finding: `starttls-not-required:587`, `tls-version-mismatch:465`. */
export const findingKey = (f: Pick<RunFinding, 'id' | 'where'>) => (f.where ? `${f.id}:${f.where}` : f.id);

const LABELS = (findingsFile as FindingsFile).findings;

/** The short label and usual next step of a finding id (or of a key, id:where), when data/findings.json has them. */
export function findingLabel(idOrKey: string): { label: string; next_step: string } | null {
  return LABELS[idOrKey] ?? LABELS[idOrKey.split(':')[0]!] ?? null;
}

// manifest.json: every file of the run with its size, SHA-256 and the collector that made
// it, so whoever opens the ZIP can check nothing was lost or altered on the way.
import { createHash } from 'node:crypto';
import { DIAGNOSE_SCHEMA_VERSION, DiagnoseManifestSchema, type DiagnoseManifest } from '../schema/diagnose.js';
import type { CollectorResult } from './collector.js';
import { REDACTION_SUMMARY } from './redact.js';

export function buildManifest(runId: string, entries: ReadonlyArray<{ name: string; data: Buffer }>, results: CollectorResult[], owner: (name: string) => string): DiagnoseManifest {
  return DiagnoseManifestSchema.parse({
    schema: 'smtp-probe/diagnose-manifest',
    schema_version: DIAGNOSE_SCHEMA_VERSION,
    run_id: runId,
    created_at: new Date().toISOString(),
    redaction: REDACTION_SUMMARY,
    files: entries.map((e) => ({ file: e.name, size: e.data.length, sha256: createHash('sha256').update(e.data).digest('hex'), collector: owner(e.name) })),
    collectors: results.map((r) => ({ name: r.name, status: r.status, reason: r.reason, duration_ms: r.duration_ms })),
  } satisfies DiagnoseManifest);
}

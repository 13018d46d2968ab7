// The probe writes objects its TypeScript types (inferred from the zod schemas) already
// shape, so in production it does not parse its own output: loading zod and building every
// schema would cost about 45 ms of a plain probe's start (issue 16). Under test
// (SMTP_PROBE_SELF_CHECK=1, set by vitest.config.ts and inherited by every CLI a test spawns)
// each written object is parsed with its schema, and must come out unchanged: a field the
// schema would strip, default or reject fails the test that wrote it.
import { isDeepStrictEqual } from 'node:util';

type Checked = 'probe-summary' | 'env-snapshot' | 'dns-resolution' | 'tls-matrix' | 'attempt-line';

export function selfCheckOn(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.SMTP_PROBE_SELF_CHECK === '1';
}

/** `value`, after checking it against its schema when self-checks are on. */
export async function selfChecked<T>(kind: Checked, value: T): Promise<T> {
  if (!selfCheckOn()) return value;
  const schema = await schemaOf(kind);
  const plain: unknown = JSON.parse(JSON.stringify(value));
  const r = schema.safeParse(plain);
  if (!r.success) throw new Error(`self-check: ${kind} does not match its schema: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (!isDeepStrictEqual(r.data, plain)) throw new Error(`self-check: ${kind} changes when parsed (a field stripped or defaulted): ${firstDifference(plain, r.data)}`);
  return value;
}

async function schemaOf(kind: Checked): Promise<{ safeParse(v: unknown): { success: true; data: unknown } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }> {
  if (kind === 'tls-matrix') return (await import('./tls-matrix.js')).TlsMatrixSchema;
  if (kind === 'attempt-line') return (await import('./attempt-line.js')).AttemptLineSchema;
  const s = await import('./summary.js');
  return kind === 'probe-summary' ? s.ProbeSummarySchema : kind === 'env-snapshot' ? s.EnvSnapshotSchema : s.DnsResolutionSchema;
}

function firstDifference(a: unknown, b: unknown, path = ''): string {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return `${path || '(root)'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (!isDeepStrictEqual(x, y)) return firstDifference(x, y, path ? `${path}.${k}` : k);
  }
  return path || '(root)';
}

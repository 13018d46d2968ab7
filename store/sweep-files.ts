// A sweep's two files and the one way each line of targets.jsonl is written and read: the
// store streams it (Store.readSweepHead), the history index reads it at once (knownSweepAt),
// the lab writes it without a Store; all three go through here.
export const SWEEP_FILE = 'sweep.json';
export const TARGETS_FILE = 'targets.jsonl';
/** A line of targets.jsonl longer than this is not a resolved host (they are about 1 KB). */
const MAX_TARGET_LINE = 1024 * 1024;

type Issues = { issues: Array<{ path: PropertyKey[]; message: string }> };
export type LineSchema<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Issues } };

/** targets.jsonl's text, a piece per target. */
export const targetLines = (targets: readonly unknown[]): string[] => targets.map((t) => `${JSON.stringify(t)}\n`);

/**
 * Line `n` of targets.jsonl checked by `schema`: its value, null for an empty line, or what is
 * wrong with it (" line 3 is not valid JSON", " line 3 does not match its schema: port: ...").
 */
export function parseTargetLine<T>(line: string, n: number, schema: LineSchema<T>): { ok: true; value: T | null } | { ok: false; problem: string } {
  if (line.length === 0) return { ok: true, value: null };
  if (line.length > MAX_TARGET_LINE) return { ok: false, problem: ` line ${n} is longer than ${MAX_TARGET_LINE} characters` };
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return { ok: false, problem: ` line ${n} is not valid JSON` };
  }
  const r = schema.safeParse(data);
  if (r.success) return { ok: true, value: r.data };
  const i = r.error.issues[0]!;
  return { ok: false, problem: ` line ${n} does not match its schema: ${i.path.map(String).join('.') || '(root)'}: ${i.message}` };
}

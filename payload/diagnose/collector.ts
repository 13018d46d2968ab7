// The collector runner. Each collector runs on its own with a timeout and a size cap per
// file; whatever happens to it (not this OS, a missing command, a denied file, a crash, a
// timeout), it ends up as a JSON file whose status and reason say so, and the run goes on.
import type { z } from 'zod';
import type { ProbeSettings } from '../probe/options.js';
import type { ProbeRun } from '../probe/run.js';
import { DIAGNOSE_SCHEMA_VERSION, type CollectorName, type Source } from '../schema/diagnose.js';
import { errorMessage } from '../util/errors.js';
import type { DiagnoseSettings } from './options.js';
import type { Exec, ExecResult } from './exec.js';

export interface CollectorContext {
  platform: NodeJS.Platform;
  now: Date;
  settings: ProbeSettings;
  diag: DiagnoseSettings;
  probe: ProbeRun;
  exec: Exec;
  env: NodeJS.ProcessEnv;
  /** Runs a command once per diagnose run, even when two collectors need its output (ipconfig /all). */
  shared(key: string, run: () => Promise<ExecResult>): Promise<ExecResult>;
}

/** Thrown by a collector that does not apply here: recorded as `skipped` with the reason. */
export class Skip extends Error {}

export class Recorder {
  readonly sources: Source[] = [];
  readonly notes: string[] = [];
  readonly files: Array<{ name: string; data: Buffer }> = [];

  constructor(
    private readonly maxBytes: number,
    readonly signal: AbortSignal,
    readonly timeoutMs: number,
    /** The run's redactor: applied to the whole text before any cut, so a cut never splits a secret. */
    private readonly redact: ((name: string, data: Buffer) => Buffer) | null = null,
  ) {}

  source(source: string, ok: boolean, reason: string | null = null, file: string | null = null): void {
    this.sources.push({ source, ok, reason, file });
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /**
   * Keeps raw evidence in the run folder, redacted whole and then cut at the size cap (or
   * `cap`, when smaller): logs keep their newest end, from the first whole line after the cut.
   */
  keep(name: string, data: string | Buffer, keepTail = false, cap = this.maxBytes): string {
    let bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.redact) bytes = this.redact(name, bytes);
    const max = Math.min(cap, this.maxBytes);
    if (bytes.length > max) {
      let cut = bytes.length - max;
      if (keepTail) {
        // The partial first line goes too, when a line ends within the kept part.
        const nl = bytes.indexOf(0x0a, cut);
        if (nl >= 0 && nl < bytes.length - 1) cut = nl + 1;
      }
      const mark = Buffer.from(`\n[smtp-probe: ${keepTail ? cut : bytes.length - max} bytes cut here, over the ${max}-byte cap]\n`);
      bytes = keepTail ? Buffer.concat([mark, bytes.subarray(cut)]) : Buffer.concat([bytes.subarray(0, max), mark]);
    }
    this.files.push({ name, data: bytes });
    return name;
  }

  /** Runs a command under this collector's clock and records it as a source. */
  async run(ctx: CollectorContext, file: string, args: readonly string[], keepAs: string | null, opts: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const r = await ctx.exec(file, args, { timeoutMs: Math.min(opts.timeoutMs ?? this.timeoutMs, this.timeoutMs), maxBytes: this.maxBytes, signal: this.signal });
    const kept = keepAs && r.stdout ? this.keep(keepAs, r.stdout) : null;
    this.source(`command ${[file, ...args].join(' ')}`, r.ok, r.reason, kept);
    return r;
  }
}

export interface Collector<T> {
  name: CollectorName;
  file: string;
  data: z.ZodType<T>;
  run(ctx: CollectorContext, rec: Recorder): Promise<T>;
}

export interface CollectorResult {
  name: CollectorName;
  file: string;
  status: 'ok' | 'partial' | 'skipped' | 'failed' | 'timeout';
  reason: string | null;
  duration_ms: number;
  json: Record<string, unknown>;
  files: Array<{ name: string; data: Buffer }>;
  notes: string[];
}

export interface RunLimits {
  timeoutMs: number;
  maxBytes: number;
  skip: readonly string[];
  /** Redaction of kept files, before they are cut at the cap. */
  redact?: (name: string, data: Buffer) => Buffer;
}

export async function runCollector<T>(c: Collector<T>, ctx: CollectorContext, limits: RunLimits): Promise<CollectorResult> {
  const started = new Date();
  const abort = new AbortController();
  const rec = new Recorder(limits.maxBytes, abort.signal, limits.timeoutMs, limits.redact ?? null);
  let status: CollectorResult['status'];
  let reason: string | null = null;
  let data: T | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    if (limits.skip.includes(c.name)) throw new Skip('turned off with --skip');
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`timed out after ${limits.timeoutMs} ms`)), limits.timeoutMs);
    });
    data = await Promise.race([c.run(ctx, rec), timeout]);
    c.data.parse(data);
    status = rec.sources.some((s) => !s.ok) ? 'partial' : 'ok';
  } catch (err) {
    data = null;
    if (err instanceof Skip) status = 'skipped';
    else if (err instanceof TimeoutError) status = 'timeout';
    else status = 'failed';
    reason = errorMessage(err);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  const duration = Date.now() - started.getTime();
  const json = {
    schema: `smtp-probe/diagnose-${c.name}`,
    schema_version: DIAGNOSE_SCHEMA_VERSION,
    collector: c.name,
    status,
    reason,
    started_at: started.toISOString(),
    duration_ms: duration,
    platform: ctx.platform,
    // Copies: a timed-out collector may still be writing to its recorder.
    sources: [...rec.sources],
    notes: [...rec.notes],
    data,
  };
  return { name: c.name, file: c.file, status, reason, duration_ms: duration, json, files: [...rec.files], notes: [...rec.notes] };
}

class TimeoutError extends Error {}

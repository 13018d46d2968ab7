// Job authentication: anyone who can write to Redis can add a job, so a worker must be able
// to tell the controller's jobs from anyone else's. The controller signs each job's data with
// an HMAC-SHA256 under a key only it and the workers hold; the MAC binds the queue, what the
// job is bound to (its job id: sweep and host; or a schedule's name), the issue time and the
// expiry, so a signed job cannot be moved to another host or sweep, nor kept for later.
// Why a MAC rather than workers re-reading the inventory: the job then needs no shared
// inventory file on every worker, and a scheduled sweep, a re-probe after an inventory fix
// and the sweep's own record all stay exactly what the controller decided.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FleetError } from './errors.js';
import { SmtpProbeError } from '../payload/util/errors.js';

/** Long enough that guessing is hopeless; `openssl rand -hex 32` gives 64 characters. */
export const MIN_JOB_KEY_CHARS = 32;
/** How long a signed job may wait in the queue (retries included) before workers refuse it. */
export const DEFAULT_JOB_TTL_MS = 24 * 3600 * 1000;

export const JobSignatureSchema = z.strictObject({
  alg: z.literal('hmac-sha256'),
  issued_at: z.number().int().nonnegative().describe('ms since the epoch'),
  /** null for a schedule's template: BullMQ fires it for as long as the schedule exists. */
  expires_at: z.number().int().nonnegative().nullable(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});
export type JobSignature = z.infer<typeof JobSignatureSchema>;

/** The key from --job-key-file or SMTP_FLEET_JOB_KEY; never from argv, where `ps` shows it. */
export function loadJobKey(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Buffer {
  let text: string | undefined;
  let from = 'SMTP_FLEET_JOB_KEY';
  if (file) {
    from = `--job-key-file ${file}`;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new FleetError('usage', `${from}: cannot read the job key (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
  } else text = env.SMTP_FLEET_JOB_KEY?.trim();
  if (!text) throw new FleetError('usage', 'no job key: set SMTP_FLEET_JOB_KEY or pass --job-key-file FILE (the same key on controller and workers; make one with `openssl rand -hex 32`)');
  if (text.length < MIN_JOB_KEY_CHARS) throw new FleetError('usage', `${from}: the job key is shorter than ${MIN_JOB_KEY_CHARS} characters`);
  return Buffer.from(text, 'utf8');
}

/** JSON with sorted keys: the same data always gives the same bytes, whoever serialised it. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function macOf(key: Buffer, queue: string, boundTo: string, issuedAt: number, expiresAt: number | null, data: unknown): string {
  const input = canonicalJson({ ctx: 'smtp-fleet/job', v: 1, queue, boundTo, issuedAt, expiresAt, data });
  return createHmac('sha256', key).update(input).digest('hex');
}

/** What a schedule's fired jobs are bound to: BullMQ gives each a new id but keeps the scheduler's. */
export const schedulerBinding = (name: string) => `scheduler:${name}`;

/**
 * The job data to enqueue: the data (as Redis will hand it back) plus its signature.
 * ttlMs null: no expiry (a schedule's template, bound to the schedule's name instead).
 */
export function signJob<T extends object>(key: Buffer, queue: string, boundTo: string, data: T, now = Date.now(), ttlMs: number | null = DEFAULT_JOB_TTL_MS): T & { sig: JobSignature } {
  const plain = JSON.parse(JSON.stringify(data)) as T;
  const expiresAt = ttlMs === null ? null : now + ttlMs;
  return { ...plain, sig: { alg: 'hmac-sha256', issued_at: now, expires_at: expiresAt, mac: macOf(key, queue, boundTo, now, expiresAt, plain) } };
}

export class JobAuthError extends SmtpProbeError {
  override name = 'JobAuthError';
  constructor(message: string) {
    super('job-refused', message);
  }
}

/** The job's data without its signature, once the signature proves the controller made it for this queue and binding. */
export function verifyJob(key: Buffer, queue: string, boundTo: string, raw: unknown, now = Date.now()): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new JobAuthError('job data is not an object');
  const { sig, ...data } = raw as Record<string, unknown>;
  if (sig === undefined) throw new JobAuthError('job is not signed');
  const parsed = JobSignatureSchema.safeParse(sig);
  if (!parsed.success) throw new JobAuthError('job signature is malformed');
  const s = parsed.data;
  const want = Buffer.from(macOf(key, queue, boundTo, s.issued_at, s.expires_at, data), 'hex');
  if (!timingSafeEqual(want, Buffer.from(s.mac, 'hex'))) throw new JobAuthError('job signature does not match (not made by this fleet\'s controller, or altered, or moved to another job id)');
  if (s.expires_at !== null && now > s.expires_at) throw new JobAuthError(`job expired at ${new Date(s.expires_at).toISOString()}`);
  return data;
}

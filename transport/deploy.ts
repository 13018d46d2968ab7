// One job's push/run/fetch cycle on a runner, over any Transport. Built for few round trips:
// on a warm runner (artifacts cached) it is one command that checks the cache and runs the
// probe, one SFTP fetch of the ZIP, and one command that removes the work folder. A cold
// runner costs one extra command and the uploads, which travel gzip-compressed and are
// unpacked and checked on the runner by that second command.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { EXIT_CODES } from '../payload/classify/classes.js';
import { compressedArtifact } from './gzip-cache.js';
import { MARK, deployCommand, gzUploadName, remoteJoin, removeWorkCommand, workFolderName, type CachedFile } from './remote-commands.js';
import { TransportError, type RemoteCommand, type Transport } from './types.js';

export interface Artifact {
  localPath: string;
  /** File name on the runner, e.g. `node` or `smtp-probe-0.1.0.cjs`. */
  name: string;
  sha256: string;
  bytes: number;
}

export interface DeployRequest {
  /** Keys the remote work folder, so a rerun of the same job starts clean. */
  jobId: string;
  /** The loader is what the runner starts: `runtime loader bundle COMMAND ...` (payload/loader/runner.ts). */
  artifacts: { runtime: Artifact; bundle: Artifact; loader: Artifact };
  /** After `probe --out ... --zip-to ... --quiet`: the host's probe settings. */
  probeArgs: string[];
  /** Limit of each remote command (the probe run included). */
  commandTimeoutMs: number;
  maxZipBytes: number;
  localZipPath: string;
  /** The SMTP password for --auth-test, handed to the probe on stdin (never argv, never a file). */
  stdin?: string;
  /** `diagnose` runs the probe and collects the evidence around it; default `probe`. */
  command?: 'probe' | 'diagnose';
  /** Send artifacts gzip-compressed where the runner can unpack them (default true). */
  gzip?: boolean;
  /** Where the controller keeps the .gz of each artifact (default: gzip-cache.ts). */
  gzipCacheDir?: string;
}

export type DeployStage = 'cache' | 'upload' | 'run' | 'fetch' | 'cleanup';

export interface DeployHooks {
  onLog?: (line: string) => void;
  onStage?: (stage: DeployStage) => void;
}

export interface DeployResult {
  /** The probe's exit code: 0 or a verdict code (10-17); anything else is thrown. */
  exitCode: number | null;
  /** Bytes sent to the runner's cache (compressed ones as sent). */
  uploadedBytes: number;
  /** Whether the uploads went gzip-compressed (false also when nothing was uploaded). */
  compressed: boolean;
  cacheHits: { runtime: boolean; bundle: boolean; loader: boolean };
  zipBytes: number;
  zipSha256: string;
  stdoutTail: string;
  stderrTail: string;
  /** compress: getting the .gz ready on this side (0 once this process has it). */
  ms: { cache: number; compress: number; upload: number; run: number; fetch: number; total: number };
}

const WHICH = ['runtime', 'bundle', 'loader'] as const;
type Which = (typeof WHICH)[number];
/** What this cycle did to a cache entry: nothing, an uncompressed upload, or a .gz to unpack. */
type Sent = { kind: 'old' } | { kind: 'fresh' } | { kind: 'gz'; file: string };
const VERDICT_CODES: ReadonlySet<number> = new Set(Object.values(EXIT_CODES));
const TAIL_CHARS = 4000;

/** What one pass of the deploy script reported through its control lines. */
interface Pass {
  root?: string;
  misses: Which[];
  /** The runner can unpack gzip (reported along with misses). */
  gzip: boolean;
  /** A .gz that did not unpack to its sha256 (or not at all), as the runner explained. */
  bad: string[];
  /** The cache was good and the probe was started. */
  ran: boolean;
  zipBytes?: number;
  /** result.zip as it came back inline (linux), base64 lines; `overflow` when it ran past the cap. */
  zipData?: { lines: string[]; chars: number; overflow: boolean; complete: boolean };
  probeExit?: number;
  scriptExit: number | null;
  cacheMs: number;
  runMs: number;
}

export async function runPayloadOnRunner(t: Transport, req: DeployRequest, hooks: DeployHooks = {}): Promise<DeployResult> {
  const started = performance.now();
  const ms = { cache: 0, compress: 0, upload: 0, run: 0, fetch: 0, total: 0 };
  const out = new Tail();
  const err = new Tail();
  const fresh: Record<Which, Sent> = { runtime: { kind: 'old' }, bundle: { kind: 'old' }, loader: { kind: 'old' } };
  let uploadedBytes = 0;
  let compressed = false;
  // Set as soon as the script starts on the work folder, so a failure after that still cleans up.
  const work = { made: false };
  try {
    hooks.onStage?.('cache');
    let pass = await runScript(t, req, fresh, hooks, out, err, work);
    ms.cache = pass.cacheMs;
    if (pass.misses.length > 0) {
      hooks.onStage?.('upload');
      const root = pass.root;
      if (!root) throw new TransportError('remote-command', `deploy: the runner did not report its cache folder${tailNote(err)}`);
      compressed = req.gzip !== false && pass.gzip;
      // A runner without gzip on PATH still works: it gets the files as they are, 3x the bytes.
      if (req.gzip !== false && !pass.gzip) hooks.onLog?.('the runner has no gzip on PATH: sending the files uncompressed');
      const sizes = await Promise.all(
        pass.misses.map(async (which) => {
          const a = req.artifacts[which];
          if (!compressed) {
            hooks.onLog?.(`upload ${a.name} (${a.bytes} bytes)`);
            const up = performance.now();
            const { bytes } = await t.upload(a.localPath, remoteJoin(t.os, root, a.sha256, a.name), { sha256: a.sha256 });
            ms.upload = Math.max(ms.upload, Math.round(performance.now() - up));
            fresh[which] = { kind: 'fresh' };
            return bytes;
          }
          const gz = await compressedArtifact(a, req.gzipCacheDir);
          ms.compress = Math.max(ms.compress, gz.ms);
          // One upload name per job: two jobs filling the same runner never share a .gz.
          const file = gzUploadName(a.name, randomBytes(4).toString('hex'));
          hooks.onLog?.(`upload ${a.name} gzip-compressed (${gz.bytes} bytes, ${a.bytes} unpacked)`);
          const up = performance.now();
          const { bytes } = await t.upload(gz.path, remoteJoin(t.os, root, a.sha256, file), { sha256: gz.sha256 });
          ms.upload = Math.max(ms.upload, Math.round(performance.now() - up));
          fresh[which] = { kind: 'gz', file };
          return bytes;
        }),
      );
      uploadedBytes = sizes.reduce((x, y) => x + y, 0);
      hooks.onStage?.('cache');
      pass = await runScript(t, req, fresh, hooks, out, err, work);
      ms.cache += pass.cacheMs;
      if (pass.bad.length > 0) throw new TransportError('remote-command', `deploy: the upload did not unpack on the runner: ${pass.bad.join('; ')}`);
      if (pass.misses.length > 0) throw new TransportError('remote-command', `deploy: ${pass.misses.join(' and ')} still not in the cache after upload`);
    }
    ms.run = pass.runMs;
    const code = pass.probeExit;
    if (code === undefined) {
      throw new TransportError('remote-command', `deploy: the work folder could not be prepared (exit ${pass.scriptExit ?? 'none'})${tailNote(err)}`);
    }
    if (!VERDICT_CODES.has(code)) throw new TransportError('remote-command', `probe failed on the runner with exit code ${code}${tailNote(err)}`);
    if (pass.zipBytes === undefined) throw new TransportError('remote-command', `probe exited ${code} but left no result.zip${tailNote(err)}`);

    hooks.onStage?.('fetch');
    const fetchStart = performance.now();
    let zip: { bytes: number; sha256: string };
    if (inlineZip(t)) {
      // The script sent the ZIP on its own output and removed the work folder itself.
      work.made = false;
      zip = takeInlineZip(pass, req);
      ms.fetch = Math.round(performance.now() - fetchStart);
    } else {
      if (!pass.root) throw new TransportError('remote-command', 'deploy: the runner did not report its cache folder');
      zip = await t.download(remoteJoin(t.os, pass.root, 'work', workFolderName(req.jobId), 'result.zip'), req.localZipPath, { maxBytes: req.maxZipBytes });
      ms.fetch = Math.round(performance.now() - fetchStart);
      work.made = false;
      await cleanup(t, req, hooks);
    }
    ms.total = Math.round(performance.now() - started);
    return {
      exitCode: code,
      uploadedBytes,
      compressed,
      cacheHits: { runtime: fresh.runtime.kind === 'old', bundle: fresh.bundle.kind === 'old', loader: fresh.loader.kind === 'old' },
      zipBytes: zip.bytes,
      zipSha256: zip.sha256,
      stdoutTail: out.text(),
      stderrTail: err.text(),
      ms,
    };
  } finally {
    // A failed or timed-out run still must not leave its work folder behind; a cleanup that
    // fails here (host gone) is logged, not thrown over the error that brought us here.
    if (work.made) await cleanup(t, req, hooks).catch((e: unknown) => hooks.onLog?.(`cleanup failed: ${(e as Error).message}`));
  }
}

/** Linux runners send the ZIP back inline (see remote-commands.ts); others use download(). */
function inlineZip(t: Transport): boolean {
  return t.os === 'linux';
}

/** The inline ZIP, checked against what the script announced and the size cap; untrusted still. */
function takeInlineZip(pass: Pass, req: DeployRequest): { bytes: number; sha256: string } {
  const announced = pass.zipBytes!;
  const z = pass.zipData;
  if (announced > req.maxZipBytes || z?.overflow) {
    throw new TransportError('too-large', `result.zip on the runner is ${announced} bytes, over the ${req.maxZipBytes}-byte limit`, { retryable: false });
  }
  if (!z || !z.complete) throw new TransportError('protocol', 'result.zip did not come back whole from the runner');
  const data = Buffer.from(z.lines.join(''), 'base64');
  if (data.length !== announced) throw new TransportError('protocol', `result.zip came back as ${data.length} bytes, the runner announced ${announced}`);
  writeFileSync(req.localZipPath, data);
  return { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

async function cleanup(t: Transport, req: DeployRequest, hooks: DeployHooks): Promise<void> {
  hooks.onStage?.('cleanup');
  const r = await t.exec(removeWorkCommand(t.os, req.jobId), { timeoutMs: req.commandTimeoutMs });
  if (r.exitCode !== 0) throw new TransportError('remote-command', `could not remove the work folder (exit ${r.exitCode}): ${r.stderr.trim().slice(-300)}`);
}

/** Runs the deploy script once, streaming its lines to the log and reading its control lines. */
async function runScript(
  t: Transport,
  req: DeployRequest,
  fresh: Record<Which, Sent>,
  hooks: DeployHooks,
  out: Tail,
  err: Tail,
  work: { made: boolean },
): Promise<Pass> {
  const pass: Pass = { misses: [], gzip: false, bad: [], ran: false, scriptExit: null, cacheMs: 0, runMs: 0 };
  const scrub = secretScrubber(req.stdin);
  const log = new LogBudget(hooks.onLog);
  const clock = { start: performance.now(), runStart: 0 };
  const onOut = new LineSplitter(
    scriptOutputReader(pass, req.maxZipBytes, {
      onText: (line) => {
        const safe = scrub(line);
        out.push(safe);
        log.line(safe);
      },
      onCached: () => {
        work.made = true;
        clock.runStart = performance.now();
        pass.cacheMs = Math.round(clock.runStart - clock.start);
        hooks.onStage?.('run');
      },
    }),
  );
  const onErr = new LineSplitter((line) => {
    const safe = scrub(line);
    err.push(safe);
    log.line(safe);
  });
  try {
    const r = await t.exec(deployScript(t, req, fresh), {
      timeoutMs: req.commandTimeoutMs,
      onStdout: (s) => onOut.push(s),
      onStderr: (s) => onErr.push(s),
      maxOutputBytes: 64 * 1024,
      ...(req.stdin === undefined ? {} : { stdin: req.stdin }),
    });
    pass.scriptExit = r.exitCode;
  } finally {
    onOut.end();
    onErr.end();
    log.flush();
    if (pass.ran) pass.runMs = Math.round(performance.now() - clock.runStart);
    else pass.cacheMs = Math.round(performance.now() - clock.start);
  }
  return pass;
}

/** One pass of the deploy script for this runner, with what its cache is known to hold. */
function deployScript(t: Transport, req: DeployRequest, fresh: Record<Which, Sent>): RemoteCommand {
  const file = (which: Which): CachedFile => {
    const a = req.artifacts[which];
    const sent = fresh[which];
    return { sha256: a.sha256, name: a.name, bytes: a.bytes, fresh: sent.kind === 'fresh', ...(sent.kind === 'gz' ? { gz: sent.file } : {}) };
  };
  // Linux runners send a small ZIP back inline on stdout; Windows ones by a download.
  const inline = t.os === 'linux';
  return deployCommand(t.os, {
    jobId: req.jobId,
    runtime: file('runtime'),
    bundle: file('bundle'),
    loader: file('loader'),
    probeArgs: req.probeArgs,
    passwordStdin: req.stdin !== undefined,
    command: req.command ?? 'probe',
    ...(inline ? { inlineZipMax: req.maxZipBytes } : {}),
  });
}

/**
 * Whatever a runner prints (a shell that traces, a probe that echoes) must not carry the
 * secret we handed it into the job log or an error message. Shorter than 4 characters it
 * would blank ordinary words out of the log (and is no real password).
 */
function secretScrubber(stdin: string | undefined): (line: string) => string {
  const secret = stdin?.replace(/\r?\n$/, '');
  return (line) => (secret && secret.length >= 4 ? line.split(secret).join('[redacted]') : line);
}

/**
 * Reads the deploy script's stdout line by line: its `MARK word value` protocol lines fill
 * the pass, an inline ZIP is collected (bounded by the ZIP cap), anything else is the
 * runner's own text.
 */
function scriptOutputReader(pass: Pass, maxZipBytes: number, on: { onText: (line: string) => void; onCached: () => void }): (line: string) => void {
  // base64 grows 4/3, plus a newline per 76 characters.
  const maxChars = Math.ceil((maxZipBytes * 4) / 3) * (77 / 76) + 4;
  return (line) => {
    const z = pass.zipData;
    if (z && !z.complete) {
      if (line === `${MARK} zipdata-end`) z.complete = true;
      else if (!z.overflow) {
        z.chars += line.length + 1;
        if (z.chars > maxChars) {
          z.overflow = true;
          z.lines = [];
        } else z.lines.push(line);
      }
      return;
    }
    if (line === `${MARK} zipdata`) {
      pass.zipData = { lines: [], chars: 0, overflow: false, complete: false };
      return;
    }
    if (!line.startsWith(`${MARK} `)) return on.onText(line);
    const [word, ...rest] = line.slice(MARK.length + 1).split(' ');
    const value = rest.join(' ');
    if (word === 'root') pass.root = value;
    else if (word === 'miss' && (WHICH as readonly string[]).includes(value)) pass.misses.push(value as Which);
    else if (word === 'gzip') pass.gzip = true;
    else if (word === 'bad') pass.bad.push(value);
    else if (word === 'cached') {
      pass.ran = true;
      on.onCached();
    } else if (word === 'zip') pass.zipBytes = Number(value);
    else if (word === 'exit') pass.probeExit = Number(value);
  };
}

/** Longest line passed on; a runner printing megabytes without a newline costs no more. */
export const MAX_LINE_CHARS = 4096;

/**
 * Cuts streamed text into lines (the last, unterminated one on end()). A line longer than
 * MAX_LINE_CHARS is passed on cut, with how much was dropped, and the rest of it skipped.
 */
export class LineSplitter {
  private rest = '';
  private dropped = 0;
  constructor(private readonly onLine: (line: string) => void) {}
  push(s: string): void {
    let at = 0;
    for (let nl = s.indexOf('\n', at); ; nl = s.indexOf('\n', at)) {
      const piece = nl < 0 ? s.slice(at) : s.slice(at, nl);
      this.add(piece);
      if (nl < 0) return;
      this.emit();
      at = nl + 1;
    }
  }
  end(): void {
    if (this.rest || this.dropped) this.emit();
  }
  private add(piece: string): void {
    const room = MAX_LINE_CHARS - this.rest.length;
    if (piece.length <= room) this.rest += piece;
    else {
      this.rest += piece.slice(0, Math.max(0, room));
      this.dropped += piece.length - Math.max(0, room);
    }
  }
  private emit(): void {
    const line = this.rest.endsWith('\r') ? this.rest.slice(0, -1) : this.rest;
    this.onLine(this.dropped ? `${line} [... ${this.dropped} more characters dropped]` : line);
    this.rest = '';
    this.dropped = 0;
  }
}

/** Lines and characters of runner output one job may put into its log: the head, then the tail. */
export const LOG_BUDGET = { headLines: 200, tailLines: 100, chars: 256 * 1024 };

/**
 * Keeps a job's log bounded whatever the runner prints: the first lines go out as they come
 * (while the character budget lasts), the last ones are held back in a ring and go out at the
 * end behind one line saying how much was dropped in between.
 */
export class LogBudget {
  private sent = 0;
  private chars = 0;
  private ring: string[] = [];
  private skipped = 0;
  private skippedChars = 0;
  constructor(private readonly out: ((line: string) => void) | undefined) {}
  line(line: string): void {
    if (!this.out) return;
    if (this.sent < LOG_BUDGET.headLines && this.chars + line.length <= LOG_BUDGET.chars / 2) {
      this.sent++;
      this.chars += line.length;
      return this.out(line);
    }
    this.ring.push(line);
    if (this.ring.length > LOG_BUDGET.tailLines) {
      const gone = this.ring.shift()!;
      this.skipped++;
      this.skippedChars += gone.length;
    }
  }
  flush(): void {
    if (!this.out) return;
    if (this.skipped) this.out(`[... ${this.skipped} lines (${this.skippedChars} characters) of runner output dropped ...]`);
    let chars = 0;
    for (const l of this.ring) if ((chars += l.length) <= LOG_BUDGET.chars / 2) this.out(l);
    this.ring = [];
    this.skipped = 0;
    this.skippedChars = 0;
  }
}

/** The last few thousand characters of a stream, for error messages and the job record. */
class Tail {
  private buf = '';
  push(line: string): void {
    this.buf = (this.buf + line + '\n').slice(-TAIL_CHARS);
  }
  text(): string {
    return this.buf;
  }
}

function tailNote(t: Tail): string {
  const s = t.text().trim();
  return s ? `; stderr: ${s.slice(-600)}` : '';
}

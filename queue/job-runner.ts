// The fleet's job code: connect to one runner, push and run the payload, take the ZIP into
// the store as untrusted input, and record the host's result; and aggregate a sweep. The
// queue's workers and --local both call this (queue/runner.ts defines the seam).
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeArgsFor } from '../inventory/load.js';
import type { ResolvedHost } from '../inventory/schema.js';
import { deployArtifacts, type Manifest } from '../packaging/manifest.js';
import type { AuthBudget } from './auth-budget.js';
import type { ProbeJob, SweepOptions } from './jobs.js';
import type { JobContext, JobRunner } from './runner.js';
import { runPayloadOnRunner, type DeployStage } from '../transport/deploy.js';
import { MemoryStageBook, type StageBook } from './deadline.js';
import { connectSsh } from '../transport/ssh.js';
import { connectWinRm } from '../transport/winrm/index.js';
import { TransportError, type Transport } from '../transport/types.js';
import { internalFailureResult, probedResult, rejectedResult, timedOutResult, transportFailureResult, type HostResult, type HostResultCommon, type HostStage } from '../store/fleet-schema.js';
import { aggregateSweep } from '../store/report.js';
import type { Store } from '../store/store.js';
import { ZipRejectedError } from '../store/zip-check.js';
import { ConfigError } from './errors.js';

export interface RunnerConfig {
  store: Store;
  /** build/payload: manifest.json and the artifacts it lists. */
  payloadDir: string;
  manifest: Manifest;
  authBudget: AuthBudget;
  /** Where secrets named by the inventory are read (the worker's own environment). */
  env?: NodeJS.ProcessEnv;
  /** known_hosts for hosts that name none. */
  knownHosts?: string;
  /** CA file for WinRM hosts whose inventory entry names none (--winrm-ca). */
  winrmCa?: string;
  connectTimeoutMs?: number;
  /** Where the .gz of each artifact is kept between runs (default: transport/gzip-cache.ts). */
  gzipCacheDir?: string;
  /** Opens a transport to a host; defaults to SSH/WinRM by the host's transport. */
  connect?: (host: ResolvedHost, options: SweepOptions, env: NodeJS.ProcessEnv) => Promise<Transport>;
  /** Where each job's stage is kept for the deadline (a Redis hash for workers); in memory by default. */
  stages?: StageBook;
}

const DEPLOY_STAGE: Record<DeployStage, HostStage> = { cache: 'push', upload: 'push', run: 'run', fetch: 'fetch', cleanup: 'fetch' };

type Outcome = { status: string; outcome: string };

export class FleetJobRunner implements JobRunner {
  private readonly env: NodeJS.ProcessEnv;
  private readonly stages: StageBook;
  private readonly scratch = join(tmpdir(), `smtp-fleet-${process.pid}-${randomBytes(3).toString('hex')}`);

  constructor(private readonly cfg: RunnerConfig) {
    this.env = cfg.env ?? process.env;
    this.stages = cfg.stages ?? new MemoryStageBook();
  }

  /**
   * Probes the host within the sweep's deadline: a job that starts after it stops at once;
   * one in flight when it passes is abandoned there (its transport closed), recorded as
   * timed out at the stage it had reached, and whatever it brings back later is dropped.
   */
  async probe(job: ProbeJob, ctx: JobContext): Promise<Outcome> {
    const deadline = job.options.deadline;
    if (!deadline) return this.work(job, ctx, new AbortController().signal, () => {});
    const started = new Date();
    const left = Date.parse(deadline) - started.getTime();
    if (left <= 0) {
      const last = (await this.stages.all(job.sweep_id).catch(() => new Map<string, HostStage>())).get(job.host.name);
      ctx.log(`the sweep's deadline ${deadline} passed before this try started: not started`);
      return this.recordTimedOut(job, ctx, started, last ?? 'queued', deadline);
    }
    const abort = new AbortController();
    let stage: HostStage = 'connect';
    const setStage = (s: HostStage) => {
      if (abort.signal.aborted || s === stage) return;
      stage = s;
      void this.stages.set(job.sweep_id, job.host.name, s).catch(() => {});
    };
    void this.stages.set(job.sweep_id, job.host.name, stage).catch(() => {});
    const timer = setTimeout(() => abort.abort(), left);
    const overtaken = new Promise<'deadline'>((r) => abort.signal.addEventListener('abort', () => r('deadline'), { once: true }));
    const work = this.work(job, ctx, abort.signal, setStage);
    try {
      const r = await Promise.race([work, overtaken]);
      if (r !== 'deadline') return r;
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    } finally {
      clearTimeout(timer);
    }
    work.catch(() => {});
    ctx.log(`the sweep's deadline ${deadline} passed during ${stage}: abandoned`);
    return this.recordTimedOut(job, ctx, started, stage, deadline);
  }

  private async recordTimedOut(job: ProbeJob, ctx: JobContext, started: Date, stage: HostStage, deadline: string): Promise<Outcome> {
    const result = timedOutResult(this.common(job, ctx, started), stage, deadline);
    await this.cfg.store.writeHostResult(result);
    return outcomeOf(result);
  }

  private async work(job: ProbeJob, ctx: JobContext, signal: AbortSignal, stage: (s: HostStage) => void): Promise<Outcome> {
    const { host, options } = job;
    const started = new Date();
    const platform = host.os === 'windows' ? 'win-x64' : 'linux-x64';
    const artifacts = deployArtifacts(this.cfg.manifest, this.cfg.payloadDir, platform);
    const password = this.smtpPassword(host, options);
    const transport = await (this.cfg.connect ?? defaultConnect(this.cfg))(host, options, this.env);
    // Closing the transport is how a command in flight is ended: every transport's exec fails then.
    const closeOnAbort = () => void transport.close().catch(() => {});
    if (signal.aborted) closeOnAbort();
    signal.addEventListener('abort', closeOnAbort, { once: true });
    // The login budget is drawn only once the runner is reached: retries of an unreachable
    // runner must not use up the fleet's logins.
    const auth = await this.smtpAuth(host, options, ctx, password).catch(async (err: unknown) => {
      await transport.close().catch(() => {});
      throw err;
    });
    mkdirSync(this.scratch, { recursive: true });
    const localZip = join(this.scratch, `${ctx.jobId}.${randomBytes(4).toString('hex')}.zip`);
    try {
      const res = await runPayloadOnRunner(
        transport,
        {
          jobId: ctx.jobId,
          artifacts,
          probeArgs: [...probeArgsFor(host), ...auth.args, ...(options.diagnose ? diagnoseArgs(host, options) : [])],
          command: options.diagnose ? 'diagnose' : 'probe',
          ...(auth.stdin === undefined ? {} : { stdin: auth.stdin }),
          commandTimeoutMs: options.command_timeout_ms,
          maxZipBytes: options.max_zip_bytes,
          localZipPath: localZip,
          ...(this.cfg.gzipCacheDir === undefined ? {} : { gzipCacheDir: this.cfg.gzipCacheDir }),
        },
        { onLog: ctx.log, onStage: (s) => stage(DEPLOY_STAGE[s]) },
      );
      stage('fetch');
      const common = this.common(job, ctx, started);
      let result: HostResult;
      try {
        const { checked, zipPath } = await this.cfg.store.acceptZip(job.sweep_id, host.name, localZip, { maxZipBytes: options.max_zip_bytes });
        result = probedResult(common, checked, zipPath, { uploaded_bytes: res.uploadedBytes, cache_hit: res.cacheHits.runtime && res.cacheHits.bundle && res.cacheHits.loader });
      } catch (err) {
        if (!(err instanceof ZipRejectedError)) throw err;
        result = rejectedResult(common, err.message, { zip_bytes: res.zipBytes, zip_sha256: res.zipSha256 });
      }
      if (signal.aborted || !(await this.cfg.store.writeHostResult(result))) {
        ctx.log(`late result dropped: ${result.status} came after the sweep's deadline, the host stays timed out`);
        return { status: 'timed-out', outcome: 'timed-out' };
      }
      return outcomeOf(result);
    } finally {
      signal.removeEventListener('abort', closeOnAbort);
      rmSync(localZip, { force: true });
      await transport.close().catch(() => {});
    }
  }

  async recordFailure(job: ProbeJob, ctx: JobContext, err: unknown): Promise<Outcome> {
    const common = this.common(job, ctx, new Date());
    if (job.options.deadline && Date.now() >= Date.parse(job.options.deadline)) {
      const last = (await this.stages.all(job.sweep_id).catch(() => new Map<string, HostStage>())).get(job.host.name);
      return this.recordTimedOut(job, ctx, new Date(common.started_at), last ?? 'connect', job.options.deadline);
    }
    const result: HostResult =
      err instanceof TransportError
        ? transportFailureResult(common, err)
        : internalFailureResult(common, err instanceof Error ? err.message : String(err), err instanceof ConfigError ? 'config' : 'internal');
    await this.cfg.store.writeHostResult(result);
    return outcomeOf(result);
  }

  aggregate(sweepId: string): Promise<string> {
    return aggregateSweep(this.cfg.store, sweepId);
  }

  /** The --auth-test password from the worker's environment, checked before anything is started. */
  private smtpPassword(host: ResolvedHost, options: SweepOptions): string | undefined {
    const a = host.probe.smtp_auth;
    if (!options.auth_test || !a) return undefined;
    const password = this.env[a.password_env];
    if (!password) throw new ConfigError(`--auth-test: the worker has no ${a.password_env} in its environment (the inventory names it for ${host.name}'s mail account)`);
    return password;
  }

  /** --auth-test within the fleet-wide budget; the password goes to the runner on stdin only. */
  private async smtpAuth(host: ResolvedHost, options: SweepOptions, ctx: JobContext, password: string | undefined): Promise<{ args: string[]; stdin?: string }> {
    const a = host.probe.smtp_auth;
    if (password === undefined || !a) return { args: [] };
    if (!(await this.cfg.authBudget.take(a.user, options.auth_max_per_account))) {
      ctx.log(`AUTH skipped: the fleet-wide login budget for ${a.user} is used up in this window`);
      return { args: [] };
    }
    return { args: ['--auth-test', '--user', a.user], stdin: `${password}\n` };
  }

  private common(job: ProbeJob, ctx: JobContext, started: Date): HostResultCommon {
    const finished = new Date();
    return {
      sweep_id: job.sweep_id,
      host: job.host.name,
      transport: job.host.transport,
      job_id: ctx.jobId,
      job_attempts: ctx.attempt,
      started_at: started.toISOString(),
      finished_at: finished.toISOString(),
      duration_ms: finished.getTime() - started.getTime(),
    };
  }
}

/** What only `diagnose` takes: the inventory's AA context and the clock check's server. */
export function diagnoseArgs(host: ResolvedHost, options: SweepOptions): string[] {
  const aa = host.probe.aa;
  const args: string[] = [];
  if (aa.activity) args.push('--aa-activity', aa.activity);
  if (aa.run_id) args.push('--aa-run-id', aa.run_id);
  if (aa.host) args.push('--aa-host', aa.host);
  if (options.ntp === null) args.push('--no-ntp');
  else if (options.ntp) args.push('--ntp', options.ntp);
  return args;
}

export function outcomeOf(r: HostResult): Outcome {
  if (r.status === 'probed') return { status: r.status, outcome: r.verdict.class };
  if (r.status === 'rejected' || r.status === 'timed-out') return { status: r.status, outcome: r.status };
  return { status: r.status, outcome: r.code };
}

function defaultConnect(cfg: RunnerConfig) {
  return async (host: ResolvedHost, options: SweepOptions, env: NodeJS.ProcessEnv): Promise<Transport> => {
    if (host.transport === 'winrm') {
      const w = host.winrm ?? { https: true, auth: 'ntlm' as const, ca_file: null, thumbprint: null };
      if (host.auth.kind !== 'password') throw new TransportError('auth', `${host.name}: WinRM logs in with a password: give the host \`auth: { passwordEnv: NAME }\``, { retryable: false });
      const password = env[host.auth.env];
      if (!password) throw new TransportError('auth', `${host.name}: the worker has no ${host.auth.env} in its environment (named by the inventory)`, { retryable: false });
      return connectWinRm({
        address: host.address,
        port: host.port,
        https: w.https,
        username: host.user,
        password,
        auth: w.auth,
        ...(w.ca_file || cfg.winrmCa ? { caFile: (w.ca_file ?? cfg.winrmCa)! } : {}),
        ...(w.thumbprint ? { thumbprint: w.thumbprint } : {}),
        connectTimeoutMs: cfg.connectTimeoutMs ?? 10_000,
        label: `${host.name} (${host.user}@${host.address}:${host.port})`,
      });
    }
    return connectSsh({
      address: host.address,
      port: host.port,
      username: host.user,
      os: host.os,
      auth: sshAuth(host, env),
      knownHostsPath: host.ssh?.known_hosts ?? cfg.knownHosts ?? join(homedir(), '.ssh', 'known_hosts'),
      acceptNew: options.accept_new,
      connectTimeoutMs: cfg.connectTimeoutMs ?? 10_000,
      keepaliveIntervalMs: 10_000,
      label: `${host.name} (${host.user}@${host.address}:${host.port})`,
    });
  };
}

function sshAuth(host: ResolvedHost, env: NodeJS.ProcessEnv) {
  const a = host.auth;
  const missing = (name: string) => new TransportError('auth', `${host.name}: the worker has no ${name} in its environment (named by the inventory)`, { retryable: false });
  if (a.kind === 'agent') {
    if (!env.SSH_AUTH_SOCK) throw missing('SSH_AUTH_SOCK (ssh-agent)');
    return { kind: 'agent' as const, socket: env.SSH_AUTH_SOCK };
  }
  if (a.kind === 'password') {
    const password = env[a.env];
    if (!password) throw missing(a.env);
    return { kind: 'password' as const, password };
  }
  const passphrase = a.passphrase_env ? env[a.passphrase_env] : undefined;
  if (a.passphrase_env && !passphrase) throw missing(a.passphrase_env);
  return { kind: 'key' as const, privateKeyPath: a.path, ...(passphrase ? { passphrase } : {}) };
}

// Simulated Linux runners for sweeps past what real sshd instances allow on one machine: one
// in-process ssh2 server (host key made at start) on one loopback port, any number of runners
// behind it told apart by their login name (the inventory gives each host its own `user`).
// It answers what the real worker sends, no more: the warm deploy.sh pass (checked to be the
// script this tree sends) with a real runner's recorded output (lab/sim-recording.ts), the ZIP
// inside it included, and remove-work.sh. Everything on the fleet's side stays real.
import type { AddressInfo } from 'node:net';
import ssh2, { type Connection, type ServerChannel } from 'ssh2';
import { scriptText } from '../transport/scripts.js';
import { parseShCommand, sha256, type SimRecording } from './sim-recording.js';

const { Server, utils } = ssh2;
const MARK = '@smtp-probe-deploy';

export interface SimStats {
  connections: number;
  peakConnections: number;
  /** Per login name: warm deploy passes answered, and ZIPs sent back inline. */
  deploys: Map<string, number>;
  zipsSent: Map<string, number>;
  removeWork: number;
  /** SFTP sessions asked for: none on the warm Linux path (the ZIP comes back inline). */
  sftpRefused: number;
  /** Commands that are not this tree's deploy.sh / remove-work.sh, refused with exit 127. */
  refused: string[];
}

export interface SimRunners {
  host: string;
  port: number;
  /** One known_hosts line covers every simulated runner: host keys are looked up by address:port. */
  knownHostsLine: string;
  stats: SimStats;
  close(): Promise<void>;
}

export interface SimRunnersOptions {
  recording: SimRecording;
  /** The public key line (`ssh-ed25519 AAAA...`) the workers log in with. */
  authorizedKey: string;
  /** How long a runner takes over the probe run before answering (default: the recorded pass's time, as the real runner took). */
  runMs?: number;
  host?: string;
}

export async function startSimRunners(o: SimRunnersOptions): Promise<SimRunners> {
  const rec = o.recording;
  const deploySha = sha256(scriptText('deploy.sh'));
  const removeSha = sha256(scriptText('remove-work.sh'));
  if (rec.warm_deploy.script_sha256 !== deploySha) throw new Error('sim-runners: the recording is of another deploy.sh than this tree sends; record it again (lab/sim-record.ts)');
  const allowed = utils.parseKey(o.authorizedKey);
  if (allowed instanceof Error) throw new Error(`sim-runners: authorized key: ${allowed.message}`);
  const replies = warmReplies(rec);
  const runDelay = o.runMs ?? replies.runMs;
  const stats: SimStats = { connections: 0, peakConnections: 0, deploys: new Map(), zipsSent: new Map(), removeWork: 0, sftpRefused: 0, refused: [] };
  let open = 0;
  const clients = new Set<Connection>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

  const answer = (user: string, command: string, ch: ServerChannel) => {
    const parsed = parseShCommand(command);
    const sha = parsed && sha256(parsed.script);
    if (parsed && sha === removeSha && parsed.args.length === 1) {
      stats.removeWork++;
      ch.exit(0);
      return ch.end();
    }
    if (!parsed || sha !== deploySha || parsed.args.length !== 17) {
      stats.refused.push(command.slice(0, 120));
      ch.stderr.write('sim-runners: not a command a simulated runner answers\n');
      ch.exit(127);
      return ch.end();
    }
    bump(stats.deploys, user);
    // deploy.sh takes 17 arguments; the 16th is the inline ZIP limit (see its header): a ZIP over it is announced, not sent.
    const inlineMax = parsed.args[15];
    const inline = inlineMax !== 'none' && rec.zip.bytes <= Number(inlineMax);
    if (inline) bump(stats.zipsSent, user);
    ch.write(`${MARK} root /home/${user}/.cache/smtp-probe\n${replies.beforeRun}`);
    const rest = () => {
      ch.write(inline ? replies.afterRun : replies.afterRunNoZip);
      if (replies.stderr) ch.stderr.write(replies.stderr);
      ch.exit(rec.warm_deploy.exit_code ?? 0);
      ch.end();
    };
    if (!runDelay) return rest();
    const t = setTimeout(rest, runDelay);
    ch.once('close', () => clearTimeout(t));
  };

  const hostKey = utils.generateKeyPairSync('ed25519');
  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    clients.add(client);
    stats.connections++;
    stats.peakConnections = Math.max(stats.peakConnections, ++open);
    let user = '';
    client.on('close', () => (open--, clients.delete(client)));
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      user = ctx.username;
      if (ctx.method !== 'publickey' || ctx.key.algo !== allowed.type || !ctx.key.data.equals(allowed.getPublicSSH())) return ctx.reject(['publickey']);
      if (!ctx.signature) return ctx.accept();
      if (ctx.blob && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => answer(user, info.command, acceptExec()));
        session.on('subsystem', (_accept, reject) => {
          stats.sftpRefused++;
          reject();
        });
      });
    });
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A sweep opens as many connections at once as the workers' concurrency.
    server.listen(0, host, 4096, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host,
    port,
    knownHostsLine: `[${host}]:${port} ${hostKey.public.split(' ').slice(0, 2).join(' ')}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.end();
        server.close(() => resolve());
      }),
  };
}

/** The recorded warm pass cut where the probe starts, and without its ZIP for a runner told not to send it. */
function warmReplies(rec: SimRecording): { beforeRun: string; afterRun: string; afterRunNoZip: string; stderr: string; runMs: number } {
  const lines = rec.warm_deploy.stdout.split('\n').filter((l) => !l.startsWith(`${MARK} root `));
  const cut = lines.indexOf(`${MARK} cached`) + 1;
  if (cut === 0) throw new Error('sim-runners: the recorded deploy pass never reached the probe run');
  const after = lines.slice(cut).join('\n');
  const start = after.indexOf(`${MARK} zipdata\n`);
  const end = after.indexOf(`${MARK} zipdata-end\n`);
  const noZip = start >= 0 && end > start ? after.slice(0, start) + after.slice(end + `${MARK} zipdata-end\n`.length) : after;
  return { beforeRun: lines.slice(0, cut).join('\n') + '\n', afterRun: after, afterRunNoZip: noZip, stderr: rec.warm_deploy.stderr, runMs: rec.warm_deploy.duration_ms };
}

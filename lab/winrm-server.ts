// A WinRM endpoint for tests, written from DSP0226 / MS-WSMV / MS-NLMP: HTTPS on
// loopback, Basic and NTLM (Negotiate) auth, the Windows Remote Shell resource (Create,
// Command, Send, Receive, Signal, Delete) with the faults Windows uses for timeouts,
// quotas, oversized envelopes and lost shells. Commands run on this machine: powershell.exe
// is real PowerShell 7 (lab/pwsh.ts), anything else runs under /bin/sh.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLAGS, AV, SIGNATURE, encodeAvPairs, fileTime, layout, messageType, parseAuthenticate, verifyNtlmv2 } from '../transport/winrm/ntlm.js';
import { child, escapeXml, find, findAll, parseXml, type XmlNode } from '../transport/winrm/xml.js';
import { closeHard, track } from './ports.js';
import { ensureWindowsExecutables, powershellArgv, spawnViaFiles, windowsLikeEnv } from './pwsh.js';

export interface WinRmLabOptions {
  certPem: string;
  keyPem: string;
  host?: string;
  port?: number;
  users: Record<string, string>;
  basic?: boolean;
  ntlm?: boolean;
  /** The service's MaxEnvelopeSizekb in bytes; requests above it get the EncodingLimit fault. */
  maxEnvelopeBytes?: number;
  maxShellsPerUser?: number;
}

export interface WinRmLab {
  host: string;
  port: number;
  /** Counters the tests and the benchmark read. */
  stats: { requests: number; commands: number; sends: number };
  /** The endpoint's own folder standing for %LOCALAPPDATA% (a Linux path, as PowerShell here sees it). */
  localAppData: string;
  /** Forgets every shell, as a restarted WinRM service would. */
  dropShells(): void;
  stop(): Promise<void>;
}

const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  a: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  x: 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
  w: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  rsp: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
  p: 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
  f: 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault',
};
const SHELL = NS.rsp;
const TRANSFER = NS.x;
const DONE = `${SHELL}/CommandState/Done`;
const RUNNING = `${SHELL}/CommandState/Running`;

class Fault extends Error {
  constructor(
    readonly subcode: string,
    readonly wsmanCode: number,
    message: string,
    readonly code = 's:Receiver',
  ) {
    super(message);
  }
}

const faults = {
  timedOut: () => new Fault('w:TimedOut', 2150858793, 'The WS-Management service cannot complete the operation within the time specified in OperationTimeout.'),
  noShell: (id: string) =>
    new Fault('w:InvalidSelectors', 2150858843, `The request for the Windows Remote Shell with ShellId ${id} failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation.`, 's:Sender'),
  quota: (max: number) =>
    new Fault('w:QuotaLimit', 2150859174, `The WS-Management service cannot process the request. This user is allowed a maximum number of ${max} concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user.`),
  envelope: (size: number, max: number) =>
    new Fault('w:EncodingLimit', 2150859025, `The WS-Management service cannot process the request because the request of ${size} bytes exceeds the configured MaxEnvelopeSize quota of ${max} bytes.`, 's:Sender'),
  badAction: (a: string) => new Fault('a:ActionNotSupported', 2150858754, `The action ${a} is not supported by the service.`, 's:Sender'),
  badRequest: (why: string) => new Fault('w:SchemaValidationError', 2150858817, `The SOAP XML in the message does not match the corresponding XML schema definition: ${why}`, 's:Sender'),
};

/** A running command: powershell.exe as real PowerShell (output through files), else /bin/sh. */
class LabCommand extends EventEmitter {
  readonly id = randomUUID().toUpperCase();
  out: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  exitCode: number | null = null;
  done = false;
  private proc: ChildProcess;

  constructor(commandLine: string, env: NodeJS.ProcessEnv) {
    super();
    const push = (name: 'stdout' | 'stderr') => (c: Buffer) => {
      this.out[name].push(c);
      this.emit('change');
    };
    const ps = powershellArgv(commandLine);
    if (ps) {
      const run = spawnViaFiles(ps, env, push('stdout'), push('stderr'));
      this.proc = run.child;
      void run.exited.then((code) => this.finish(code));
    } else {
      this.proc = spawn('/bin/sh', ['-c', commandLine], { stdio: ['pipe', 'pipe', 'pipe'], env });
      this.proc.stdout!.on('data', push('stdout'));
      this.proc.stderr!.on('data', push('stderr'));
      this.proc.on('error', (err) => this.finish(1, Buffer.from(`lab: ${err.message}\r\n`)));
      this.proc.on('close', (code, signal) => this.finish(code ?? (signal ? 0xc000013a : 1)));
    }
    this.proc.stdin!.on('error', () => undefined); // the process may exit before reading all stdin
  }

  private finish(code: number, stderr?: Buffer): void {
    if (this.done) return;
    if (stderr) this.out.stderr.push(stderr);
    this.exitCode = code;
    this.done = true;
    this.emit('change');
  }

  async write(data: Buffer, end: boolean): Promise<void> {
    const stdin = this.proc.stdin;
    if (!stdin || stdin.destroyed) return;
    if (data.length && !stdin.write(data))
      await new Promise<void>((resolve) => {
        const done = () => (stdin.off('drain', done), stdin.off('close', done), resolve());
        stdin.on('drain', done).on('close', done);
      });
    if (end) stdin.end();
  }

  signal(code: string): void {
    if (code.endsWith('/ctrl_c')) this.proc.kill('SIGINT');
    else this.proc.kill('SIGKILL');
  }

  hasOutput(): boolean {
    return this.out.stdout.length > 0 || this.out.stderr.length > 0;
  }
}

interface LabShell {
  id: string;
  owner: string;
  commands: Map<string, LabCommand>;
}

interface NtlmState {
  challenge?: Buffer;
  user?: string;
}

function durationMs(iso: string | undefined, fallback: number): number {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(iso?.trim() ?? '');
  if (!m) return fallback;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

function challengeMessage(serverChallenge: Buffer): Buffer {
  const utf16 = (s: string) => Buffer.from(s, 'utf16le');
  const info = encodeAvPairs([
    { id: AV.nbDomain, value: utf16('LAB') },
    { id: AV.nbComputer, value: utf16('WINRM-LAB') },
    { id: AV.dnsDomain, value: utf16('lab.test') },
    { id: AV.dnsComputer, value: utf16('winrm-lab.lab.test') },
    { id: AV.timestamp, value: fileTime(new Date()) },
  ]);
  const flags = FLAGS.unicode | FLAGS.requestTarget | FLAGS.ntlm | FLAGS.alwaysSign | 0x20000 /* target type server */ | FLAGS.extendedSessionSecurity | FLAGS.targetInfo | FLAGS.version | FLAGS.n128 | FLAGS.n56;
  const h = Buffer.alloc(56);
  SIGNATURE.copy(h, 0);
  h.writeUInt32LE(2, 8);
  h.writeUInt32LE(flags >>> 0, 20);
  serverChallenge.copy(h, 24);
  Buffer.from([10, 0, 0x7c, 0x4f, 0, 0, 0, 15]).copy(h, 48);
  return layout(h, [
    { at: 12, data: utf16('WINRM-LAB') },
    { at: 40, data: info },
  ]);
}

export async function startWinRmLab(o: WinRmLabOptions): Promise<WinRmLab> {
  const host = o.host ?? '127.0.0.1';
  const maxEnvelope = o.maxEnvelopeBytes ?? 512_000;
  const maxShells = o.maxShellsPerUser ?? 30;
  // The endpoint's user profile: the deploy script keeps its cache under AppData\\Local.
  const home = mkdtempSync(join(tmpdir(), 'winrm-lab-'));
  const localAppData = join(home, 'AppData', 'Local');
  mkdirSync(localAppData, { recursive: true });
  ensureWindowsExecutables();
  const sessionEnv = windowsLikeEnv(localAppData, home);
  const users = new Map(Object.entries(o.users).map(([u, p]) => [u.toLowerCase(), p]));
  const shells = new Map<string, LabShell>();
  const ntlm = new WeakMap<Socket, NtlmState>();
  const stats = { requests: 0, commands: 0, sends: 0 };

  const offer = [...(o.ntlm !== false ? ['Negotiate'] : []), ...(o.basic !== false ? ['Basic realm="WSMAN"'] : [])];

  function unauthorized(res: ServerResponse, token?: Buffer): void {
    res.writeHead(401, { 'WWW-Authenticate': token ? [`Negotiate ${token.toString('base64')}`] : offer, 'Content-Length': 0 });
    res.end();
  }

  /** The authenticated user, or null after answering 401 (with a challenge when one is due). */
  function authenticate(req: IncomingMessage, res: ServerResponse): string | null {
    const header = req.headers.authorization ?? '';
    const sock = req.socket;
    const [scheme, value = ''] = header.split(/\s+/, 2);
    if (/^basic$/i.test(scheme ?? '') && o.basic !== false) {
      const text = Buffer.from(value, 'base64').toString('utf8');
      const i = text.indexOf(':');
      const user = text.slice(0, i).toLowerCase();
      if (i > 0 && users.get(user) === text.slice(i + 1)) return user;
      unauthorized(res);
      return null;
    }
    if (/^(negotiate|ntlm)$/i.test(scheme ?? '') && o.ntlm !== false) {
      let msg: Buffer;
      try {
        msg = Buffer.from(value, 'base64');
        const type = messageType(msg);
        if (type === 1) {
          const challenge = randomBytes(8);
          ntlm.set(sock, { challenge });
          unauthorized(res, challengeMessage(challenge));
          return null;
        }
        const state = ntlm.get(sock);
        if (type === 3 && state?.challenge) {
          const a = parseAuthenticate(msg);
          const pw = users.get(a.user.toLowerCase());
          const challenge = state.challenge;
          state.challenge = undefined; // one AUTHENTICATE per challenge
          if (pw !== undefined && verifyNtlmv2(a.ntResponse, challenge, pw, a.user, a.domain)) {
            state.user = a.user.toLowerCase();
            return state.user;
          }
        }
      } catch {
        /* malformed token: refused below */
      }
      ntlm.delete(sock);
      unauthorized(res);
      return null;
    }
    const known = ntlm.get(sock)?.user;
    if (known && !header) return known; // NTLM authenticates the connection
    unauthorized(res);
    return null;
  }

  function reply(res: ServerResponse, status: number, action: string, relatesTo: string, bodyXml: string): void {
    const xml =
      `<s:Envelope xml:lang="en-US" xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:x="${NS.x}" xmlns:w="${NS.w}" xmlns:rsp="${NS.rsp}" xmlns:p="${NS.p}">` +
      `<s:Header><a:Action>${action}</a:Action><a:MessageID>uuid:${randomUUID().toUpperCase()}</a:MessageID>` +
      `<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>` +
      (relatesTo ? `<a:RelatesTo>${escapeXml(relatesTo)}</a:RelatesTo>` : '') +
      `</s:Header><s:Body>${bodyXml}</s:Body></s:Envelope>`;
    const data = Buffer.from(xml, 'utf8');
    res.writeHead(status, { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': data.length, Server: 'Microsoft-HTTPAPI/2.0' });
    res.end(data);
  }

  function replyFault(res: ServerResponse, relatesTo: string, f: Fault): void {
    reply(
      res,
      500,
      'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
      relatesTo,
      `<s:Fault><s:Code><s:Value>${f.code}</s:Value><s:Subcode><s:Value>${f.subcode}</s:Value></s:Subcode></s:Code>` +
        `<s:Reason><s:Text xml:lang="en-US">${escapeXml(f.message)} </s:Text></s:Reason>` +
        `<s:Detail><f:WSManFault xmlns:f="${NS.f}" Code="${f.wsmanCode}" Machine="winrm-lab"><f:Message>${escapeXml(f.message)} </f:Message></f:WSManFault></s:Detail></s:Fault>`,
    );
  }

  function shellOf(header: XmlNode | undefined, user: string): LabShell {
    const id = findAll(header ?? { name: '', local: '', attrs: {}, children: [], text: '' }, 'Selector').find((s) => s.attrs.Name === 'ShellId')?.text.trim() ?? '';
    const sh = shells.get(id.toUpperCase());
    if (!sh || sh.owner !== user) throw faults.noShell(id);
    return sh;
  }

  function commandOf(sh: LabShell, id: string | undefined): LabCommand {
    const c = sh.commands.get((id ?? '').toUpperCase());
    if (!c) throw new Fault('w:InvalidParameter', 2150858882, `The request for the command with CommandId ${id} failed because the command was not found.`, 's:Sender');
    return c;
  }

  async function receive(c: LabCommand, waitMs: number, budget: number): Promise<string> {
    if (!c.hasOutput() && !c.done) {
      const ok = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => (c.off('change', on), resolve(false)), waitMs);
        const on = () => (clearTimeout(t), c.off('change', on), resolve(true));
        c.on('change', on);
      });
      if (!ok) throw faults.timedOut();
      await new Promise((r) => setImmediate(r)); // let a burst of output gather
    }
    let room = budget;
    let xml = '';
    for (const name of ['stdout', 'stderr'] as const) {
      const parts = c.out[name];
      const take: Buffer[] = [];
      while (parts.length && room > 0) {
        const p = parts[0]!;
        if (p.length <= room) {
          take.push(parts.shift()!);
          room -= p.length;
        } else {
          take.push(p.subarray(0, room));
          parts[0] = p.subarray(room);
          room = 0;
        }
      }
      if (take.length) xml += `<rsp:Stream Name="${name}" CommandId="${c.id}">${Buffer.concat(take).toString('base64')}</rsp:Stream>`;
    }
    if (c.done && !c.hasOutput()) {
      return (
        xml +
        `<rsp:Stream Name="stdout" CommandId="${c.id}" End="true"></rsp:Stream><rsp:Stream Name="stderr" CommandId="${c.id}" End="true"></rsp:Stream>` +
        `<rsp:CommandState CommandId="${c.id}" State="${DONE}"><rsp:ExitCode>${c.exitCode ?? 0}</rsp:ExitCode></rsp:CommandState>`
      );
    }
    return xml + `<rsp:CommandState CommandId="${c.id}" State="${RUNNING}"></rsp:CommandState>`;
  }

  async function handle(env: XmlNode, user: string, res: ServerResponse, size: number): Promise<void> {
    const header = child(env, 'Header');
    const body = child(env, 'Body');
    const action = child(header, 'Action')?.text.trim() ?? '';
    const messageId = child(header, 'MessageID')?.text.trim() ?? '';
    try {
      if (!header || !body || !messageId) throw faults.badRequest('Header, Body and MessageID are required');
      if (size > maxEnvelope) throw faults.envelope(size, maxEnvelope);
      const clientMax = Number(child(header, 'MaxEnvelopeSize')?.text ?? maxEnvelope) || maxEnvelope;
      const opTimeout = durationMs(child(header, 'OperationTimeout')?.text, 60_000);
      if (action === `${TRANSFER}/Create`) {
        const mine = [...shells.values()].filter((s) => s.owner === user).length;
        if (mine >= maxShells) throw faults.quota(maxShells);
        const id = randomUUID().toUpperCase();
        shells.set(id, { id, owner: user, commands: new Map() });
        return reply(
          res,
          200,
          `${TRANSFER}/CreateResponse`,
          messageId,
          `<x:ResourceCreated><a:Address>https://${host}/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>${SHELL}/cmd</w:ResourceURI>` +
            `<w:SelectorSet><w:Selector Name="ShellId">${id}</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>` +
            `<rsp:Shell xmlns:rsp="${NS.rsp}"><rsp:ShellId>${id}</rsp:ShellId><rsp:ResourceUri>${SHELL}/cmd</rsp:ResourceUri><rsp:Owner>${escapeXml(user)}</rsp:Owner>` +
            `<rsp:ClientIP>127.0.0.1</rsp:ClientIP><rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>` +
            `<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>`,
        );
      }
      const sh = shellOf(header, user);
      if (action === `${TRANSFER}/Delete`) {
        for (const c of sh.commands.values()) c.signal('terminate');
        shells.delete(sh.id);
        return reply(res, 200, `${TRANSFER}/DeleteResponse`, messageId, '');
      }
      if (action === `${SHELL}/Command`) {
        const line = find(body, 'CommandLine');
        const command = child(line, 'Command')?.text ?? '';
        if (!command.trim()) throw faults.badRequest('empty Command');
        const args = findAll(line!, 'Arguments').map((a) => a.text).join(' ');
        const c = new LabCommand(args ? `${command} ${args}` : command, sessionEnv);
        sh.commands.set(c.id, c);
        stats.commands++;
        return reply(res, 200, `${SHELL}/CommandResponse`, messageId, `<rsp:CommandResponse><rsp:CommandId>${c.id}</rsp:CommandId></rsp:CommandResponse>`);
      }
      if (action === `${SHELL}/Send`) {
        for (const s of findAll(body, 'Stream')) {
          const c = commandOf(sh, s.attrs.CommandId);
          stats.sends++;
          await c.write(Buffer.from(s.text.trim(), 'base64'), s.attrs.End === 'true');
        }
        return reply(res, 200, `${SHELL}/SendResponse`, messageId, '<rsp:SendResponse/>');
      }
      if (action === `${SHELL}/Receive`) {
        const c = commandOf(sh, find(body, 'DesiredStream')?.attrs.CommandId);
        // Raw output that fits the client's envelope once base64-encoded.
        const streams = await receive(c, opTimeout, Math.floor(((clientMax - 2048) * 3) / 4));
        return reply(res, 200, `${SHELL}/ReceiveResponse`, messageId, `<rsp:ReceiveResponse>${streams}</rsp:ReceiveResponse>`);
      }
      if (action === `${SHELL}/Signal`) {
        const sig = find(body, 'Signal');
        const c = commandOf(sh, sig?.attrs.CommandId);
        const code = find(sig, 'Code')?.text.trim() ?? '';
        c.signal(code);
        if (code.endsWith('/terminate')) sh.commands.delete(c.id);
        return reply(res, 200, `${SHELL}/SignalResponse`, messageId, '<rsp:SignalResponse/>');
      }
      throw faults.badAction(action);
    } catch (err) {
      if (err instanceof Fault) return replyFault(res, messageId, err);
      throw err;
    }
  }

  const server: Server = track(createServer({ cert: o.certPem, key: o.keyPem, keepAliveTimeout: 60_000 }, (req, res) => {
    stats.requests++;
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/wsman') {
        res.writeHead(404, { 'Content-Length': 0 }).end();
        return;
      }
      const user = authenticate(req, res);
      if (!user) return;
      const raw = Buffer.concat(parts);
      if (!raw.length) {
        res.writeHead(200, { 'Content-Length': 0 }).end();
        return;
      }
      let env: XmlNode;
      try {
        env = parseXml(raw.toString('utf8'));
      } catch (err) {
        return replyFault(res, '', faults.badRequest((err as Error).message));
      }
      handle(env, user, res, raw.length).catch((err: unknown) => {
        res.writeHead(500, { 'Content-Length': 0 }).end();
        console.error('winrm lab:', err);
      });
    });
  }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    host,
    port,
    stats,
    localAppData,
    dropShells: () => {
      for (const sh of shells.values()) for (const c of sh.commands.values()) c.signal('terminate');
      shells.clear();
    },
    stop: async () => {
      for (const sh of shells.values()) for (const c of sh.commands.values()) c.signal('terminate');
      shells.clear();
      await closeHard(server as unknown as import('node:net').Server);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

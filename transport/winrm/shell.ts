// One Windows Remote Shell and its operations, in the order they happen on the wire:
// Create, Command, Send, Receive, Signal, Delete. Every reply is checked for a SOAP fault
// and for a RelatesTo that names our request.
import { TransportError } from '../types.js';
import type { WinRmHttp } from './http.js';
import {
  ACTION,
  ENVELOPE_OVERHEAD,
  FAULT_CODE,
  SIGNAL,
  body,
  envelope,
  parseXml,
  readCommandId,
  readFault,
  readReceive,
  readShellId,
  relatesTo,
  type ReceiveChunk,
  type WsmanFault,
} from './wsman.js';
import type { XmlNode } from './xml.js';

export interface ShellSettings {
  label: string;
  maxEnvelopeBytes: number;
  operationTimeoutMs: number;
}

/** Turns a WS-Man fault into the TransportError a user and the queue can act on. */
export function faultError(f: WsmanFault, label: string, op: string): TransportError {
  const sub = f.subcode.replace(/^.*:/, '');
  const detail = `${f.message && f.message !== f.reason ? `${f.reason} ${f.message}` : f.reason || '(no reason given)'} [${[f.subcode, f.wsmanCode].filter(Boolean).join(', ')}]`;
  if (f.wsmanCode === FAULT_CODE.shellQuota || sub === 'QuotaLimit')
    return new TransportError('quota', `${label}: WinRM ${op}: shell quota reached (MaxShellsPerUser): ${detail}`);
  if (f.wsmanCode === FAULT_CODE.maxEnvelopeSize || sub === 'EncodingLimit')
    return new TransportError('too-large', `${label}: WinRM ${op}: the request exceeds the host's MaxEnvelopeSize; lower maxEnvelopeBytes/chunkBytes: ${detail}`, { retryable: false });
  if (f.wsmanCode === FAULT_CODE.operationTimeout || sub === 'TimedOut') return new TransportError('timeout', `${label}: WinRM ${op}: ${detail}`);
  if (sub === 'AccessDenied') return new TransportError('auth', `${label}: WinRM ${op}: access denied: ${detail}`);
  return new TransportError('protocol', `${label}: WinRM ${op} failed: ${detail}`);
}

export class WinRmShell {
  private constructor(
    private readonly http: WinRmHttp,
    private readonly s: ShellSettings,
    readonly shellId: string,
  ) {}

  static async open(http: WinRmHttp, s: ShellSettings): Promise<WinRmShell> {
    const shell = new WinRmShell(http, s, '');
    const root = await shell.call('Create', ACTION.create, body.createShell(), {
      options: { WINRS_NOPROFILE: 'FALSE', WINRS_CODEPAGE: '65001' },
    });
    const id = readShellId(root);
    if (!id) throw new TransportError('protocol', `${s.label}: WinRM Create: the reply names no ShellId`);
    return new WinRmShell(http, s, id);
  }

  /** Starts a process in the shell; stdin is a pipe (not a console) so Send can stream data. */
  async command(command: string, args: string): Promise<string> {
    const root = await this.call('Command', ACTION.command, body.command(command, args), {
      options: { WINRS_CONSOLEMODE_STDIN: 'FALSE', WINRS_SKIP_CMD_SHELL: 'FALSE' },
    });
    const id = readCommandId(root);
    if (!id) throw new TransportError('protocol', `${this.s.label}: WinRM Command: the reply names no CommandId`);
    return id;
  }

  async send(commandId: string, data: Buffer, end: boolean): Promise<void> {
    await this.call('Send', ACTION.send, body.send(commandId, data, end));
  }

  /** One Receive; null when the host had no output within the operation timeout. */
  async receive(commandId: string, waitMs: number, signal?: AbortSignal): Promise<ReceiveChunk | null> {
    try {
      const root = await this.call('Receive', ACTION.receive, body.receive(commandId), {
        operationTimeoutMs: waitMs,
        options: { WSMAN_CMDSHELL_OPTION_KEEPALIVE: 'TRUE' },
        signal,
      });
      return readReceive(root, commandId);
    } catch (err) {
      if (err instanceof TransportError && err.code === 'timeout' && (err.cause as { wsman?: boolean } | undefined)?.wsman) return null;
      throw err;
    }
  }

  async signal(commandId: string, code: 'terminate' | 'ctrl_c'): Promise<void> {
    await this.call('Signal', ACTION.signal, body.signal(commandId, code === 'terminate' ? SIGNAL.terminate : SIGNAL.ctrlC));
  }

  async delete(): Promise<void> {
    await this.call('Delete', ACTION.delete, body.empty());
  }

  /** Raw payload bytes one Send may carry under the envelope limit (base64 grows it by 4/3). */
  sendCapacity(): number {
    return Math.floor(((this.s.maxEnvelopeBytes - ENVELOPE_OVERHEAD) * 3) / 4);
  }

  private async call(op: string, action: string, payload: string, extra: { options?: Record<string, string>; operationTimeoutMs?: number; signal?: AbortSignal } = {}): Promise<XmlNode> {
    const opTimeout = extra.operationTimeoutMs ?? this.s.operationTimeoutMs;
    const { xml, messageId } = envelope(
      { to: this.http.url, action, maxEnvelopeBytes: this.s.maxEnvelopeBytes, operationTimeoutMs: opTimeout, shellId: this.shellId || undefined, options: extra.options },
      payload,
    );
    const data = Buffer.from(xml, 'utf8');
    const size = data.length;
    if (size > this.s.maxEnvelopeBytes)
      throw new TransportError('too-large', `${this.s.label}: WinRM ${op}: envelope of ${size} bytes exceeds maxEnvelopeBytes ${this.s.maxEnvelopeBytes}`, { retryable: false });
    // The host answers a Receive within OperationTimeout; leave it room before giving up on HTTP.
    const reply = await this.http.post(data, opTimeout + 15_000, extra.signal);
    if (reply.status === 413)
      throw new TransportError('too-large', `${this.s.label}: WinRM ${op}: HTTP 413, the host refused a ${size}-byte request (MaxEnvelopeSize); lower maxEnvelopeBytes`, { retryable: false });
    let root: XmlNode;
    try {
      root = parseXml(reply.body);
    } catch {
      throw new TransportError('protocol', `${this.s.label}: WinRM ${op}: HTTP ${reply.status} without a SOAP envelope${reply.body ? `: ${reply.body.slice(0, 200)}` : ''}`);
    }
    const fault = readFault(root);
    if (fault) {
      const err = faultError(fault, this.s.label, op);
      if (err.code === 'timeout' && op === 'Receive') throw new TransportError('timeout', err.message, { cause: { wsman: true, fault } });
      throw err;
    }
    if (reply.status !== 200) throw new TransportError('protocol', `${this.s.label}: WinRM ${op}: HTTP ${reply.status}`);
    const rel = relatesTo(root);
    if (rel && rel.toLowerCase() !== messageId.toLowerCase())
      throw new TransportError('protocol', `${this.s.label}: WinRM ${op}: the reply relates to ${rel}, not to our request ${messageId}`);
    return root;
  }
}

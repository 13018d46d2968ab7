// WS-Management messages for the Windows Remote Shell, from DMTF DSP0226 and MS-WSMV:
// the request envelopes our client sends and readers for what a WinRM service answers.
// Each request carries a fresh uuid MessageID; replies are matched on RelatesTo.
import { randomUUID } from 'node:crypto';
import { allText, child, escapeXml, find, findAll, parseXml, type XmlNode } from './xml.js';

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  addressing: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsman: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  msWsman: 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
  shell: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
  transfer: 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
  wsmanFault: 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault',
} as const;

export const RESOURCE_CMD = `${NS.shell}/cmd`;
export const ANONYMOUS = `${NS.addressing}/role/anonymous`;

export const ACTION = {
  create: `${NS.transfer}/Create`,
  delete: `${NS.transfer}/Delete`,
  command: `${NS.shell}/Command`,
  send: `${NS.shell}/Send`,
  receive: `${NS.shell}/Receive`,
  signal: `${NS.shell}/Signal`,
} as const;

export const SIGNAL = { terminate: `${NS.shell}/signal/terminate`, ctrlC: `${NS.shell}/signal/ctrl_c` } as const;
export const COMMAND_DONE = `${NS.shell}/CommandState/Done`;

/** Numeric WSManFault codes (HRESULTs as unsigned decimals) the client acts on. */
export const FAULT_CODE = {
  operationTimeout: 2150858793, // 0x80338029: Receive found no output within OperationTimeout; ask again
  shellNotFound: 2150858843, // 0x8033805B
  maxEnvelopeSize: 2150859025, // 0x80338111
  shellQuota: 2150859174, // 0x803381A6: too many shells for this user
} as const;

/** ISO 8601 duration as WS-Management writes timeouts: PT20.000S. */
export function isoSeconds(ms: number): string {
  return `PT${(Math.max(ms, 1) / 1000).toFixed(3)}S`;
}

export interface HeaderInput {
  to: string;
  action: string;
  maxEnvelopeBytes: number;
  operationTimeoutMs: number;
  shellId?: string;
  options?: Record<string, string>;
}

/** One request envelope; returns its text and the MessageID to match the reply on. */
export function envelope(h: HeaderInput, body: string): { xml: string; messageId: string } {
  const messageId = `uuid:${randomUUID().toUpperCase()}`;
  const selector = h.shellId ? `<w:SelectorSet><w:Selector Name="ShellId">${escapeXml(h.shellId)}</w:Selector></w:SelectorSet>` : '';
  const options = h.options
    ? `<w:OptionSet>${Object.entries(h.options)
        .map(([k, v]) => `<w:Option Name="${escapeXml(k)}">${escapeXml(v)}</w:Option>`)
        .join('')}</w:OptionSet>`
    : '';
  const xml =
    `<?xml version="1.0" encoding="utf-8"?>` +
    `<s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.addressing}" xmlns:w="${NS.wsman}" xmlns:p="${NS.msWsman}" xmlns:rsp="${NS.shell}">` +
    `<s:Header>` +
    `<a:To>${escapeXml(h.to)}</a:To>` +
    `<w:ResourceURI s:mustUnderstand="true">${RESOURCE_CMD}</w:ResourceURI>` +
    `<a:ReplyTo><a:Address s:mustUnderstand="true">${ANONYMOUS}</a:Address></a:ReplyTo>` +
    `<a:Action s:mustUnderstand="true">${h.action}</a:Action>` +
    `<w:MaxEnvelopeSize s:mustUnderstand="true">${h.maxEnvelopeBytes}</w:MaxEnvelopeSize>` +
    `<a:MessageID>${messageId}</a:MessageID>` +
    `<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>` +
    `<p:DataLocale xml:lang="en-US" s:mustUnderstand="false"/>` +
    `<w:OperationTimeout>${isoSeconds(h.operationTimeoutMs)}</w:OperationTimeout>` +
    selector +
    options +
    `</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
  return { xml, messageId };
}

export const body = {
  createShell: () =>
    `<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`,
  command: (command: string, args: string) =>
    `<rsp:CommandLine><rsp:Command>${escapeXml(command)}</rsp:Command>${args ? `<rsp:Arguments>${escapeXml(args)}</rsp:Arguments>` : ''}</rsp:CommandLine>`,
  send: (commandId: string, data: Buffer, end: boolean) =>
    `<rsp:Send><rsp:Stream Name="stdin" CommandId="${escapeXml(commandId)}"${end ? ' End="true"' : ''}>${data.toString('base64')}</rsp:Stream></rsp:Send>`,
  receive: (commandId: string) => `<rsp:Receive><rsp:DesiredStream CommandId="${escapeXml(commandId)}">stdout stderr</rsp:DesiredStream></rsp:Receive>`,
  signal: (commandId: string, code: string) => `<rsp:Signal CommandId="${escapeXml(commandId)}"><rsp:Code>${code}</rsp:Code></rsp:Signal>`,
  empty: () => '',
};

/** Bytes an envelope adds around its payload, with room for long host names and ids. */
export const ENVELOPE_OVERHEAD = 4096;

// ---- replies ----

export interface WsmanFault {
  /** s:Code/s:Value and its Subcode, e.g. s:Receiver / w:TimedOut. */
  code: string;
  subcode: string;
  /** s:Reason/s:Text, trimmed. */
  reason: string;
  /** WSManFault Code attribute (Windows HRESULT as decimal), when present. */
  wsmanCode?: number;
  /** WSManFault Message text, when present (often more precise than the reason). */
  message?: string;
}

/** Reads a SOAP fault from a reply, or undefined when the body holds none. */
export function readFault(root: XmlNode): WsmanFault | undefined {
  const fault = find(child(root, 'Body'), 'Fault');
  if (!fault) return undefined;
  const wf = find(child(fault, 'Detail'), 'WSManFault');
  const msg = wf ? find(wf, 'Message') : undefined;
  const code = child(fault, 'Code', 'Value')?.text.trim() ?? '';
  const subcode = child(fault, 'Code', 'Subcode', 'Value')?.text.trim() ?? '';
  const reason = (child(fault, 'Reason', 'Text')?.text ?? '').replace(/\s+/g, ' ').trim();
  const out: WsmanFault = { code, subcode, reason };
  if (wf?.attrs.Code && /^\d+$/.test(wf.attrs.Code)) out.wsmanCode = Number(wf.attrs.Code);
  if (msg) out.message = allText(msg).replace(/\s+/g, ' ').trim();
  return out;
}

export function relatesTo(root: XmlNode): string | undefined {
  return child(root, 'Header', 'RelatesTo')?.text.trim();
}

/** ShellId from a Create reply: the rsp:Shell echo (2012+) or the EPR selector (all versions). */
export function readShellId(root: XmlNode): string | undefined {
  const shell = find(child(root, 'Body'), 'ShellId')?.text.trim();
  if (shell) return shell;
  return findAll(root, 'Selector').find((s) => s.attrs.Name === 'ShellId')?.text.trim();
}

export function readCommandId(root: XmlNode): string | undefined {
  return find(child(root, 'Body'), 'CommandId')?.text.trim();
}

export interface ReceiveChunk {
  stdout: Buffer;
  stderr: Buffer;
  done: boolean;
  exitCode: number | null;
}

export function readReceive(root: XmlNode, commandId: string): ReceiveChunk {
  const resp = find(child(root, 'Body'), 'ReceiveResponse');
  if (!resp) throw new Error('Receive reply has no ReceiveResponse');
  const parts: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  for (const s of findAll(resp, 'Stream')) {
    if (s.attrs.CommandId && s.attrs.CommandId.toUpperCase() !== commandId.toUpperCase()) continue;
    const name = s.attrs.Name;
    if ((name === 'stdout' || name === 'stderr') && s.text.trim()) parts[name].push(Buffer.from(s.text.trim(), 'base64'));
  }
  const state = find(resp, 'CommandState');
  const done = state?.attrs.State === COMMAND_DONE;
  const codeText = state ? find(state, 'ExitCode')?.text.trim() : undefined;
  // ExitCode is an unsigned 32-bit value on the wire; show NTSTATUS-like codes as Windows does.
  const exitCode = done && codeText && /^-?\d+$/.test(codeText) ? Number(codeText) : null;
  return { stdout: Buffer.concat(parts.stdout), stderr: Buffer.concat(parts.stderr), done, exitCode };
}

export { parseXml };

// The WinRM client's readers against replies in the shape real Windows hosts send
// (test/fixtures/winrm/README.md says where each shape comes from), the NTLMv2 primitives
// against MS-NLMP's published test values, and the PowerShell text helpers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';
import { authenticateMessage, negotiateMessage, ntowfv2, parseAuthenticate, verifyNtlmv2, ntHash, splitUser } from '../../transport/winrm/ntlm.js';
import { readableStderr } from '../../transport/winrm/powershell.js';
import { CMD_EXE_LIMIT, launcherArguments, launcherCommandLine, launcherInput } from '../../transport/scripts.js';
import { faultError } from '../../transport/winrm/shell.js';
import { envelope, parseXml, readCommandId, readFault, readReceive, readShellId, relatesTo } from '../../transport/winrm/wsman.js';
import { defaultChunkBytes } from '../../transport/winrm/index.js';

const fixture = (name: string) => parseXml(readFileSync(join(ROOT, 'test/fixtures/winrm', name), 'utf8'));
const CMD = '3E4F5A6B-7C8D-4E9F-A0B1-C2D3E4F5A6B7';

describe('WinRM replies in the shape Windows sends (hand-written fixtures)', () => {
  it('reads the ShellId from a 2012+ Create reply and from a 2008 R2 one (selector only, indented)', () => {
    expect(readShellId(fixture('create-response-2012.xml'))).toBe('7D2E0F4B-31C9-4A8E-B6D5-0E9F1A2B3C4D');
    expect(readShellId(fixture('create-response-2008r2.xml'))).toBe('0B6C2D1E-AAAA-4BBB-8CCC-DDDDEEEEFFFF');
    expect(relatesTo(fixture('create-response-2008r2.xml'))).toBe('uuid:0A1B2C3D-0000-4000-8000-000000000002');
  });

  it('reads the CommandId, and joins several stdout streams of a running command', () => {
    expect(readCommandId(fixture('command-response.xml'))).toBe(CMD);
    const r = readReceive(fixture('receive-running.xml'), CMD.toLowerCase());
    expect(r).toMatchObject({ done: false, exitCode: null });
    expect(r.stdout.toString()).toBe('Hello from PowerShell\r\nsecond line\r\n');
  });

  it('reads Done with its exit code, and turns CLIXML stderr into the plain error text', () => {
    const r = readReceive(fixture('receive-done.xml'), CMD);
    expect(r).toMatchObject({ done: true, exitCode: 1 });
    expect(readableStderr(r.stderr.toString())).toBe("Cannot find path 'C:\\probe\\x.zip' because it does not exist.\r\n");
  });

  it('maps each WS-Man fault to the TransportError code the queue acts on, with the reason shown', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['fault-operation-timeout.xml', 'timeout', /OperationTimeout/],
      ['fault-shell-not-found.xml', 'protocol', /shell was not found on the server.*w:InvalidSelectors, 2150858843/],
      ['fault-shell-quota.xml', 'quota', /maximum number of 30 concurrent shells/],
      ['fault-max-envelope.xml', 'too-large', /MaxEnvelopeSize/],
      ['fault-provider.xml', 'protocol', /cannot find the file specified.*2147942402/],
    ];
    for (const [file, code, text] of cases) {
      const f = readFault(fixture(file));
      expect(f, file).toBeDefined();
      const err = faultError(f!, 'runner-07', 'Receive');
      expect(err.code, file).toBe(code);
      expect(err.message, file).toMatch(text);
    }
    expect(readFault(fixture('receive-done.xml'))).toBeUndefined();
  });

  it('builds envelopes with a fresh uuid MessageID, the ShellId selector and the timeout as a duration', () => {
    const h = { to: 'https://h:5986/wsman', action: 'A', maxEnvelopeBytes: 512000, operationTimeoutMs: 20_000, shellId: 'S-1' };
    const a = envelope(h, '');
    const b = envelope(h, '');
    expect(a.messageId).toMatch(/^uuid:[0-9A-F-]{36}$/);
    expect(a.messageId).not.toBe(b.messageId);
    const root = parseXml(a.xml);
    expect(readShellId(root)).toBe('S-1');
    expect(a.xml).toContain('<w:OperationTimeout>PT20.000S</w:OperationTimeout>');
  });
});

describe('the WS-Man XML reader (fast-xml-parser)', () => {
  it('reads prefixes, attributes, entities, numeric references and CDATA', () => {
    const root = parseXml('<?xml version="1.0"?><s:Envelope xmlns:s="u"><s:Body a:Name="x&amp;y"><w:T>1 &lt; 2 &#x41;&#66;</w:T><![CDATA[<raw>]]></s:Body></s:Envelope>');
    expect(root).toMatchObject({ name: 's:Envelope', local: 'Envelope' });
    const body = root.children[0]!;
    expect(body).toMatchObject({ local: 'Body', attrs: { Name: 'x&y' }, text: '<raw>' });
    expect(body.children[0]).toMatchObject({ name: 'w:T', local: 'T', text: '1 < 2 AB' });
  });

  it.each([
    ['a DTD with an external entity (XXE)', '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', /document type declaration/],
    ['entity expansion (billion laughs)', '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;&l;">]><a>&l2;</a>', /document type declaration/],
    ['a mismatched closing tag', '<a><b></a>', /closing tag/],
    ['two roots', '<a/><b/>', /two root elements/],
    ['text before the root', 'junk<a/>', /not expected/],
    ['text after the root', '<a/>junk', /text after the root/],
    ['an empty document', '', /./],
  ])('refuses %s with XmlError', (_what, doc, message) => {
    expect(() => parseXml(doc)).toThrow(message);
  });
});

describe('NTLMv2 primitives (MS-NLMP 4.2.4 test values)', () => {
  it('NT hash and NTOWFv2 match the published values', () => {
    expect(ntHash('Password').toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
    expect(ntowfv2('Password', 'User', 'Domain').toString('hex')).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
  });

  it('an AUTHENTICATE message verifies with the right password only, and carries user and domain', () => {
    // The CHALLENGE message of MS-NLMP 4.2.4.3 (server challenge 0123456789abcdef).
    const challenge = Buffer.from(
      '4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044000000060070170000000f' +
        '53006500720076006500720002000c0044006f006d00610069006e0001000c0053006500720076006500720000000000',
      'hex',
    );
    const msg = authenticateMessage({ negotiate: negotiateMessage(), challenge, username: 'DOMAIN\\User', password: 'Password' });
    const a = parseAuthenticate(msg);
    expect(a).toMatchObject({ user: 'User', domain: 'DOMAIN' });
    const server = Buffer.from('0123456789abcdef', 'hex');
    expect(verifyNtlmv2(a.ntResponse, server, 'Password', a.user, a.domain)).toBe(true);
    expect(verifyNtlmv2(a.ntResponse, server, 'password', a.user, a.domain)).toBe(false);
    expect(splitUser('runner@corp.example')).toEqual({ user: 'runner@corp.example', domain: '' });
  });
});

describe('PowerShell text', () => {
  it('the launcher is UTF-16LE base64 of launcher.ps1, far under the cmd.exe limit', () => {
    const args = launcherArguments();
    expect(args).toMatch(/^-NoProfile -NonInteractive -ExecutionPolicy Bypass -OutputFormat Text -EncodedCommand [A-Za-z0-9+/=]+$/);
    const code = readFileSync(join(ROOT, 'transport/scripts/launcher.ps1'), 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('#'));
    expect(Buffer.from(args.split(' ').pop()!, 'base64').toString('utf16le')).toBe(code.join('\n'));
    expect(launcherCommandLine().length).toBeLessThan(CMD_EXE_LIMIT / 2);
  });

  it('a call travels as one base64 JSON line, values as typed JSON, never in script text', () => {
    const dest = "C:\\it's\u2019x\\\"; Remove-Item C:\\ -Recurse #\n";
    const head = launcherInput({ script: 'upload.ps1', params: { Dest: dest, Sha256: 'ab'.repeat(32) } });
    expect(head.at(-1)).toBe(10);
    expect(head.subarray(0, -1).toString('latin1')).toMatch(/^[A-Za-z0-9+/=]+$/);
    const call = JSON.parse(Buffer.from(head.toString('latin1').trim(), 'base64').toString('utf8')) as { script: string; params: Record<string, unknown> };
    expect(call.params).toEqual({ Dest: dest, Sha256: 'ab'.repeat(32) });
    expect(call.script).toBe(readFileSync(join(ROOT, 'transport/scripts/upload.ps1'), 'utf8'));
    expect(call.script).not.toContain(dest);
  });

  it('upload chunks fit the envelope: base64 line inside a base64 stream stays under the limit', () => {
    for (const max of [153_600, 512_000]) {
      const chunk = defaultChunkBytes(max);
      const line = Math.ceil(chunk / 3) * 4 + 1;
      const { xml } = envelope({ to: 'https://runner-07.corp.example:5986/wsman', action: 'x', maxEnvelopeBytes: max, operationTimeoutMs: 1, shellId: 'S' }, `<rsp:Send><rsp:Stream Name="stdin" CommandId="${CMD}">${Buffer.alloc(line).toString('base64')}</rsp:Stream></rsp:Send>`);
      expect(Buffer.byteLength(xml)).toBeLessThanOrEqual(max);
    }
  });
});

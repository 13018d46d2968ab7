import { PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { enhancedCode, enhancedCodes } from '../../payload/classify/enhanced-codes.js';
import { Wire, WireError } from '../../payload/probe/wire.js';

// A stream stands in for the socket: these tests are about parsing bytes, not networking.
function wire() {
  const lines: Array<[string, boolean]> = [];
  const w = new Wire((l, f) => lines.push([l, f]));
  const s = new PassThrough();
  w.attach(s as unknown as Socket);
  return { w, s, lines };
}

describe('SMTP reply reader', () => {
  it('ends the dialogue when one reply passes 64 KB in total, keeping the lines as evidence', async () => {
    const { w, s } = wire();
    const line = `550-${'EHLO '.repeat(2000)}\r\n`; // about 10 KB, under the per-line cap
    for (let i = 0; i < 8; i++) s.write(line);
    const err = await w.read(1000, 'EHLO').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).info).toMatchObject({ kind: 'malformed', message: expect.stringContaining('in total') });
    expect((err as WireError).partial.length).toBeGreaterThan(1);
  });

  it('assembles a multi-line reply and keeps the lines', async () => {
    const { w, s } = wire();
    s.write('250-smtp.gmail.com at your service, [203.0.113.7]\r\n250-SIZE 35882577\r\n');
    s.write('250 SMTPUTF8\r\n');
    const r = await w.read(1000, 'EHLO');
    expect(r.code).toBe(250);
    expect(r.lines).toEqual(['250-smtp.gmail.com at your service, [203.0.113.7]', '250-SIZE 35882577', '250 SMTPUTF8']);
  });

  it('reads a reply that arrives with the close, as Gmail does with 421', async () => {
    const { w, s } = wire();
    s.end('421 4.7.0 Try again later, closing connection. (EHLO) x1-20020a - gsmtp\r\n');
    const r = await w.read(1000, 'banner');
    expect(r).toMatchObject({ code: 421, enhanced: '4.7.0' });
    await expect(w.read(1000, 'next')).rejects.toMatchObject({ info: { kind: 'closed' } });
  });

  it('splits replies that come in one chunk, and a reply split across chunks', async () => {
    const { w, s } = wire();
    s.write('220 ready\r\n250 2.0.0 O');
    expect((await w.read(1000, 'a')).code).toBe(220);
    setTimeout(() => s.write('K\r\n'), 10);
    expect((await w.read(1000, 'b')).lines).toEqual(['250 2.0.0 OK']);
  });

  it('stops at a line that is not an SMTP reply and keeps it as evidence', async () => {
    const { w, s, lines } = wire();
    s.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
    const err = (await w.read(1000, 'banner').catch((e: unknown) => e)) as WireError;
    expect(err.info.kind).toBe('malformed');
    expect(err.partial).toEqual(['SSH-2.0-OpenSSH_9.2p1 Debian-2']);
    expect(w.lastLine).toBe('SSH-2.0-OpenSSH_9.2p1 Debian-2');
    expect(lines).toEqual([['SSH-2.0-OpenSSH_9.2p1 Debian-2', true]]);
  });

  it('recognises an HTTP proxy answering on the SMTP port', async () => {
    const { w, s } = wire();
    s.write('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n');
    await expect(w.read(1000, 'banner')).rejects.toMatchObject({ info: { kind: 'http-response' } });
  });

  it('rejects an endless line instead of buffering it', async () => {
    const { w, s } = wire();
    s.write('220 ' + 'x'.repeat(70_000));
    await expect(w.read(1000, 'banner')).rejects.toMatchObject({ info: { kind: 'malformed' } });
  });

  it('escapes control bytes the server sends', async () => {
    const { w, s } = wire();
    s.write('220 hi\x1b[31m there\r\n');
    expect((await w.read(1000, 'banner')).lines[0]).toBe('220 hi\\x1b[31m there');
  });

  it('times out with what was received so far', async () => {
    const { w, s } = wire();
    s.write('250-partial\r\n');
    await expect(w.read(50, 'EHLO')).rejects.toMatchObject({ info: { kind: 'timeout' }, partial: ['250-partial'] });
  });

  it('finds enhanced status codes where servers put them', () => {
    expect(enhancedCode('5.7.8 Username and Password not accepted.')).toBe('5.7.8');
    expect(enhancedCode('Requested action aborted (#4.4.2)')).toBe('4.4.2');
    expect(enhancedCode('smtp.gmail.com ESMTP 10.2.3.4')).toBeNull();
    // The wire and the classifier read codes alike (they used to disagree on brackets).
    expect(enhancedCode('[5.7.1] denied')).toBe('5.7.1');
    expect(enhancedCodes('550-5.7.1 a 550 5.7.01 b 4.4.2')).toEqual(['5.7.1', '4.4.2']);
  });
});

// The tee's small parts: the EHLO reply the bot gets, address masking, and the test CA.
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { connect, createSecureContext, TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { makeTeeCertificates } from '../payload/tee/cert.js';
import { maskAddresses, rewriteEhlo } from '../payload/tee/ehlo-rewrite.js';
import { hostAndPort, isLoopback } from '../payload/tee/options.js';

describe('EHLO reply toward the bot', () => {
  const gmailTls = ['250-smtp.gmail.com at your service, [127.0.0.1]', '250-SIZE 35882577', '250-8BITMIME', '250-AUTH LOGIN PLAIN XOAUTH2', '250-ENHANCEDSTATUSCODES', '250-PIPELINING', '250-CHUNKING', '250 SMTPUTF8'];

  it('adds STARTTLS when the tee offers it and the server (already TLS) does not, and drops CHUNKING', () => {
    const r = rewriteEhlo(gmailTls, true);
    expect(r.lines.at(-1)).toBe('250 STARTTLS');
    expect(r.lines.slice(0, -1).every((l) => l.startsWith('250-'))).toBe(true);
    expect(r.lines.join('\n')).not.toMatch(/CHUNKING/);
    expect(r.changes).toEqual(['removed CHUNKING', 'added STARTTLS (offered by the tee on the bot leg)']);
  });

  it('removes the server\'s STARTTLS when the tee does not offer it, keeping the last line final', () => {
    const r = rewriteEhlo(['250-mx.example.com', '250-PIPELINING', '250 STARTTLS'], false);
    expect(r.lines).toEqual(['250-mx.example.com', '250 PIPELINING']);
    expect(rewriteEhlo(['250-mx.example.com', '250 STARTTLS'], false).lines).toEqual(['250 mx.example.com']);
  });

  it('keeps the server\'s own STARTTLS line when both offer it (no change noted)', () => {
    const r = rewriteEhlo(['250-mx.example.com', '250-STARTTLS', '250 PIPELINING'], true);
    expect(r.lines).toEqual(['250-mx.example.com', '250-PIPELINING', '250 STARTTLS']);
    expect(r.changes).toEqual([]);
  });
});

describe('address masking', () => {
  it('keeps the domain only, in commands and in replies', () => {
    expect(maskAddresses('MAIL FROM:<john.smith+bots@corp.example.com> SIZE=100')).toBe('MAIL FROM:<***@corp.example.com> SIZE=100');
    expect(maskAddresses('553 5.7.1 <a@b.test>: Sender address rejected: not owned by user c@d.test')).toBe('553 5.7.1 <***@b.test>: Sender address rejected: not owned by user ***@d.test');
    expect(maskAddresses('250 2.1.0 OK a1-20020a - gsmtp')).toBe('250 2.1.0 OK a1-20020a - gsmtp');
    expect(maskAddresses('RCPT TO:<zoë@exämple.com>')).toBe('RCPT TO:<***@exämple.com>');
    expect(maskAddresses('554 5.7.1 <zo\\xc3\\xab@example.com>: Relay access denied')).toBe('554 5.7.1 <***@example.com>: Relay access denied');
  });
});

describe('listen addresses', () => {
  it('tells loopback from the rest and parses host:port', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com']) expect(isLoopback(h)).toBe(false);
    expect(hostAndPort('[::1]:2525', '--listen')).toEqual({ host: '::1', port: 2525 });
    expect(() => hostAndPort('127.0.0.1:0', '--upstream')).toThrow(/port must be 1 to 65535/);
  });
});

describe('the tee\'s test certificates', () => {
  it('makes a CA and a server certificate that OpenSSL (via Node) accepts for every name', async () => {
    const c = makeTeeCertificates(['127.0.0.1', 'localhost', '::1', 'smtp.gmail.com']);
    const ca = new X509Certificate(c.caPem);
    const leaf = new X509Certificate(c.certPem);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca) && leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost, IP Address:0:0:0:0:0:0:0:1, DNS:smtp.gmail.com');
    expect(c.caFingerprint).toBe(ca.fingerprint256);
    expect(c.keyPem).toMatch(/BEGIN PRIVATE KEY/);
    const ctx = createSecureContext({ key: c.keyPem, cert: c.certPem + c.caPem });
    const server = createServer((s) => {
      const t = new TLSSocket(s, { isServer: true, secureContext: ctx });
      t.on('error', () => {});
      t.on('secure', () => t.end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      for (const name of ['localhost', 'smtp.gmail.com', '127.0.0.1']) {
        const s = connect({ host: '127.0.0.1', port, ca: c.caPem, ...(name === '127.0.0.1' ? {} : { servername: name }) });
        await once(s, 'secureConnect');
        expect(s.authorized).toBe(true);
        s.destroy();
      }
    } finally {
      server.close();
    }
  });
});

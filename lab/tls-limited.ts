// SMTP endpoints whose TLS allows only some versions: TLS 1.0/1.1 only (an old appliance,
// or a middlebox that never learnt TLS 1.2) and TLS 1.3 only. Node's TLS server because
// OpenSSL's s_server has no server side of STARTTLS; the tests check these endpoints
// against openssl s_client as well, so they are not judged by the probe alone.
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContextOptions } from 'node:tls';
import { listen } from './scripted.js';
import { track } from './ports.js';

export const TLS10_11_ONLY: SecureContextOptions = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' };
export const TLS13_ONLY: SecureContextOptions = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
/** TLS 1.2 with two suites only: the cipher enumeration must find exactly these. */
export const TLS12_TWO_SUITES: SecureContextOptions = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA' };

/** Answers EHLO / NOOP / QUIT / STARTTLS line by line; STARTTLS upgrades with `tls`. */
function dialogue(sock: Socket, upgrade: (() => void) | null): void {
  let buf = '';
  const onData = (d: Buffer) => {
    buf += d.toString('latin1');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const verb = buf.slice(0, nl).trim().split(/\s+/)[0]!.toUpperCase();
      buf = buf.slice(nl + 1);
      if (verb === 'EHLO') sock.write(`250-limited.lab.test\r\n${upgrade ? '250-STARTTLS\r\n' : ''}250 SIZE 10240000\r\n`);
      else if (verb === 'NOOP') sock.write('250 2.0.0 OK\r\n');
      else if (verb === 'QUIT') return void sock.end('221 2.0.0 bye\r\n');
      else if (verb === 'STARTTLS' && upgrade) {
        sock.off('data', onData);
        sock.write('220 2.0.0 Ready to start TLS\r\n', upgrade);
        return;
      } else sock.write('502 5.5.1 Unrecognized command\r\n');
    }
  };
  sock.on('data', onData);
}

export interface LimitedTls {
  port: number;
  server: Server;
}

/** An SMTP server on `host` (and `port`, 0 for a free one), implicit TLS or STARTTLS, with the TLS settings in `tls`. */
export async function startLimitedTls(host: string, mode: 'implicit' | 'starttls', tls: SecureContextOptions & { key: string; cert: string }, port = 0): Promise<LimitedTls> {
  const ctx = createSecureContext(tls);
  const secure = (raw: Socket, then: (t: TLSSocket) => void) => {
    const t = new TLSSocket(raw, { isServer: true, secureContext: ctx });
    t.on('error', () => raw.destroy());
    t.once('secure', () => then(t));
  };
  const server = track(createServer((raw) => {
    raw.on('error', () => {});
    if (mode === 'implicit') {
      return secure(raw, (t) => {
        t.write('220 limited.lab.test ESMTP\r\n');
        dialogue(t, null);
      });
    }
    raw.write('220 limited.lab.test ESMTP\r\n');
    dialogue(raw, () => secure(raw, (t) => dialogue(t, null)));
  }));
  return { port: await listen(server, host, port), server };
}

// The fault lab: one loopback server per failure the probe classifies (test/scenarios.ts lists them). None of it needs root.
import type { Server } from 'node:net';
import type { Readable } from 'node:stream';
import type { SMTPServer, SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerSession } from 'smtp-server';
import { makeExtraCerts, type LabPki } from './ca.js';
import { startDns, type LabDns } from './dns-server.js';
import { startBlackhole, startFlakyProxy, type Blackhole } from './faults.js';
import { closeSmtp, startGmailLike } from './gmail-like.js';
import { listen, rawGreeting, scripted, tlsGreeter } from './scripted.js';
import { closeHard, track } from './ports.js';

export const LAB_PASSWORD = 'correct horse battery staple';

export interface FaultInfo {
  host: string;
  ports: Record<string, number>;
  corporateCaFile: string;
  dns: Record<'servfail' | 'dual' | 'wrong', string>;
  flakyHost: string;
}

export interface FaultLab {
  info: FaultInfo;
  stop(): Promise<void>;
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

const GSMTP = 'x1-20020a05 - gsmtp';

/** Gmail's answers per lab account, as its public error documentation words them. */
function onAuth(auth: SMTPServerAuthentication, _s: SMTPServerSession, cb: (err: Error | null | undefined, res?: SMTPServerAuthenticationResponse) => void): void {
  if (auth.method === 'XOAUTH2') return cb(null, { data: { status: '401', schemes: 'Bearer', scope: 'https://mail.google.com/' } });
  switch (auth.username) {
    case 'good@lab.test':
    case 'limit@lab.test':
    case 'spoof@lab.test':
      return auth.password === LAB_PASSWORD ? cb(null, { user: auth.username }) : cb(smtpError(535, `5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials ${GSMTP}`));
    case 'mfa@lab.test':
      return cb(smtpError(534, `5.7.9 Application-specific password required. For more information, go to https://support.google.com/mail/?p=InvalidSecondFactor ${GSMTP}`));
    case 'weblogin@lab.test':
      return cb(smtpError(534, `5.7.14 <https://accounts.google.com/signin/continue> Please log in via your web browser and then try again. Learn more at https://support.google.com/mail/answer/78754 ${GSMTP}`));
    case 'toomany@lab.test':
      return cb(smtpError(454, `4.7.0 Too many login attempts, please try again later. ${GSMTP}`));
    default:
      return cb(smtpError(535, `5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials ${GSMTP}`));
  }
}

function onMailFrom(addr: { address: string }, session: SMTPServerSession, cb: (err?: Error | null) => void): void {
  if (!session.user) return cb(smtpError(530, `5.7.0 Authentication Required. For more information, go to https://support.google.com/mail/?p=WantAuthError ${GSMTP}`));
  if (session.user === 'limit@lab.test') return cb(smtpError(550, `5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852 ${GSMTP}`));
  if (addr.address !== session.user) return cb(smtpError(553, `5.7.1 <${addr.address}>: Sender address rejected: not owned by user ${session.user}`));
  cb();
}

function onRcptTo(addr: { address: string }, _s: SMTPServerSession, cb: (err?: Error | null) => void): void {
  if (addr.address.startsWith('greylist@')) return cb(smtpError(450, `4.2.0 <${addr.address}>: Recipient address rejected: Greylisted, please try again in 300 seconds`));
  cb();
}

function onData(stream: Readable, _s: SMTPServerSession, cb: (err?: Error | null) => void): void {
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('latin1')));
  stream.on('end', () => {
    if (/filename="[^"]+\.(exe|bat|js|vbs|scr)"/i.test(text)) {
      return cb(smtpError(552, `5.7.0 This message was blocked because its content presents a potential security issue. Please visit https://support.google.com/mail/?p=BlockedMessage to review our message content and attachment content guidelines. ${GSMTP}`));
    }
    cb();
  });
}

export async function startFaultLab(pki: LabPki, gmail: { healthy: string[]; starttlsPort: number }): Promise<FaultLab> {
  const host = '127.0.0.1';
  const extra = makeExtraCerts(pki);
  const smtp: SMTPServer[] = [];
  const servers: Server[] = [];
  const ports: Record<string, number> = {};
  const gmailLike = async (name: string, implicit: boolean, cert: { key: string; cert: string }, extraOpts: Parameters<typeof startGmailLike>[0]['extra'] = {}) => {
    const s = await startGmailLike({ host, port: 0, pki: { ...pki, keyPem: cert.key, certPem: cert.cert }, implicit, extra: extraOpts });
    smtp.push(s);
    ports[name] = (s.server.address() as { port: number }).port;
  };
  const raw = async (name: string, server: Server) => {
    servers.push(track(server));
    ports[name] = await listen(server, host);
  };
  const leaf = { key: pki.keyPem, cert: pki.certPem };

  // tls
  await gmailLike('expired', true, extra.expired);
  await gmailLike('notYetValid', true, extra.notYetValid);
  await gmailLike('zscaler', true, { key: extra.zscaler.key, cert: extra.zscaler.cert });
  await gmailLike('corporate', true, { key: extra.corporate.key, cert: extra.corporate.cert });
  await raw('tls11Only', tlsGreeter({ ...leaf, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }));
  await raw('noSharedCipher', tlsGreeter({ ...leaf, maxVersion: 'TLSv1.2', ciphers: 'CAMELLIA128-SHA:CAMELLIA256-SHA' }));
  // auth, smtp-policy, rate-limit (at AUTH, MAIL, RCPT, DATA)
  const hooks = { onAuth, onMailFrom, onRcptTo, onData, authOptional: true } as const;
  await gmailLike('auth', false, leaf, hooks);
  await gmailLike('authXoauthOnly', false, leaf, { ...hooks, authMethods: ['XOAUTH2'] });
  // banners and EHLO
  await raw('banner421', rawGreeting('421 4.7.0 Try again later, closing connection.\r\n'));
  await raw('ehlo421', scripted(`220 smtp.gmail.com ESMTP ${GSMTP}`, { EHLO: `421 4.7.0 Try again later, closing connection. (EHLO) ${GSMTP}`, QUIT: '221 2.0.0 closing connection' }));
  await raw('garbage', rawGreeting('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'));
  await raw('httpProxy', rawGreeting('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp-proxy"\r\nConnection: close\r\n\r\n'));
  await gmailLike('stripped', false, leaf, { hideSTARTTLS: true });
  // Gmail's clear-text EHLO, word for word: STARTTLS and no AUTH (smtp-server always lists AUTH).
  await raw(
    'gmailCleartext',
    scripted(`220 smtp.gmail.com ESMTP ${GSMTP}`, {
      EHLO: '250-smtp.gmail.com at your service, [127.0.0.1]\n250-SIZE 35882577\n250-8BITMIME\n250-STARTTLS\n250-ENHANCEDSTATUSCODES\n250-PIPELINING\n250-CHUNKING\n250 SMTPUTF8',
      MAIL: `530 5.7.0 Must issue a STARTTLS command first. ${GSMTP}`,
      NOOP: '250 2.0.0 OK',
      QUIT: '221 2.0.0 closing connection',
    }),
  );

  // Per-address flakiness: 127.0.0.5 passes every other connection on to a healthy server.
  const flakyHost = '127.0.0.5';
  servers.push(await startFlakyProxy(flakyHost, gmail.starttlsPort, { host: gmail.healthy[0]!, port: gmail.starttlsPort }));
  // IPv6 that "works in DNS, fails on the network": ::1 drops SYNs on the Gmail port.
  const v6: Blackhole = await startBlackhole('::1', gmail.starttlsPort);

  const dns: LabDns[] = [
    await startDns({ 'smtp.gmail.com': { rcode: 'SERVFAIL' } }),
    await startDns({ 'smtp.gmail.com': { AAAA: ['::1'], A: [gmail.healthy[0]!] } }),
    await startDns({ 'smtp.gmail.com': { A: ['127.0.0.7'] } }),
  ];
  const spec = (d: LabDns) => `${d.address}:${d.port}`;
  return {
    info: { host, ports, corporateCaFile: extra.corporate.caFile, dns: { servfail: spec(dns[0]!), dual: spec(dns[1]!), wrong: spec(dns[2]!) }, flakyHost },
    async stop() {
      v6.stop();
      await Promise.all([...smtp.map(closeSmtp), ...servers.map(closeHard), ...dns.map((d) => d.close())]);
    },
  };
}

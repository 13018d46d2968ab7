// A scripted SMTP server that greets and advertises like smtp.gmail.com (its public
// banner, "at your service, [client-ip]" EHLO line, extension list; note that smtp-server lists AUTH
// before TLS too, unlike Gmail: the fault lab's gmailCleartext has Gmail's clear-text EHLO), built on nodemailer's smtp-server.
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { LabPki } from './ca.js';

export const GMAIL_SIZE = 35882577;

export interface GmailLikeOptions {
  host: string;
  port: number;
  pki: LabPki;
  implicit: boolean;
  extra?: Partial<SMTPServerOptions>;
}

export async function startGmailLike(o: GmailLikeOptions): Promise<SMTPServer> {
  const server = new SMTPServer({
    name: 'smtp.gmail.com',
    banner: 'a1b2c3d4e5f6g.42 - gsmtp',
    heloResponse: '%s at your service, %s',
    secure: o.implicit,
    key: o.pki.keyPem,
    cert: o.pki.certPem,
    size: GMAIL_SIZE,
    authMethods: ['LOGIN', 'PLAIN', 'XOAUTH2'],
    disableReverseLookup: true,
    logger: false,
    // The lab's teardown should not wait out idle clients.
    closeTimeout: 200,
    onAuth: (_auth, _session, cb) => cb(new Error('5.7.8 Username and Password not accepted.')),
    ...o.extra,
  });
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.listen(o.port, o.host, () => resolve());
    server.server.once('error', reject);
  });
  return server;
}

export function closeSmtp(server: SMTPServer): Promise<void> {
  return new Promise((r) => server.close(() => r()));
}

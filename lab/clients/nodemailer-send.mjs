// Sends one message the way a bot on nodemailer does and, when that fails, prints the error
// as console.error(err) does: the text a support engineer gets pasted.
// Args: plain|starttls|implicit host port user password from to timeout-ms ("-" for no user).
import console from 'node:console';
import process from 'node:process';
import nodemailer from 'nodemailer';

const [mode, host, port, user, pass, from, to, timeout] = process.argv.slice(2);
const ms = Number(timeout);
const transport = nodemailer.createTransport({
  host,
  port: Number(port),
  secure: mode === 'implicit',
  requireTLS: mode === 'starttls',
  ignoreTLS: mode === 'plain',
  ...(user !== '-' ? { auth: { user, pass } } : {}),
  connectionTimeout: ms,
  greetingTimeout: ms,
  socketTimeout: ms,
});
try {
  await transport.sendMail({ from, to, subject: 'smtp-probe client text', text: 'harvested by test/client-texts.lab.test.ts' });
  console.log('sent');
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}

// The one small message --send-test sends (RFC 5322 + MIME), written here rather than
// pulling a mail composer into the runner payload: it is a fixed, tiny shape.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { basename } from 'node:path';

export interface TestMessage {
  from: string;
  to: string;
  runId: string;
  attachment: { name: string; data: Buffer } | null;
}

function wrap64(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** Lines ready for DATA, already dot-stuffed (RFC 5321 4.5.2), without the final ".". */
export function composeMessage(m: TestMessage, now = new Date()): string {
  const boundary = `smtp-probe-${randomBytes(8).toString('hex')}`;
  const text = [
    `This is a test message from smtp-probe (run ${m.runId}) on ${hostname()}.`,
    'It checks that this machine can submit mail; no reply is needed.',
  ].join('\r\n');
  const head = [
    `From: <${m.from}>`,
    `To: <${m.to}>`,
    `Subject: smtp-probe test message ${m.runId}`,
    `Date: ${now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@smtp-probe.invalid>`,
    'MIME-Version: 1.0',
  ];
  let body: string;
  if (!m.attachment) {
    head.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 7bit');
    body = text;
  } else {
    const name = basename(m.attachment.name).replace(/["\\\r\n]/g, '_');
    head.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
    body = [
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      `--${boundary}`,
      `Content-Type: application/octet-stream; name="${name}"`,
      `Content-Disposition: attachment; filename="${name}"`,
      'Content-Transfer-Encoding: base64',
      '',
      wrap64(m.attachment.data),
      `--${boundary}--`,
    ].join('\r\n');
  }
  return [...head, '', body].join('\r\n').replace(/^\./gm, '..');
}

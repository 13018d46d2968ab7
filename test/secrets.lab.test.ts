// Plants known secrets (a password in the environment, an OAuth token on stdin, a message
// with an attachment) and scans every output file and every ZIP entry for them, raw and
// base64-encoded.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { LAB_PASSWORD } from '../lab/fault-servers.js';
import { filesUnder, runCli, runFolder, tempDir, unzip } from './helpers.js';

const lab = inject('lab');
const TOKEN = 'ya29.a0AfB_planted-oauth-token-7Qx9';

async function everything(out: string): Promise<string[]> {
  const folder = runFolder(out);
  const files = filesUnder(folder);
  const texts = files.filter((f) => !f.endsWith('.zip')).map((f) => readFileSync(join(folder, f), 'latin1'));
  const zipped = [...(await unzip(join(folder, 'attachments/all_files.zip'))).values()].map((b) => b.toString('latin1'));
  expect(zipped.length).toBe(texts.length);
  return [...texts, ...zipped];
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('secrets never reach an output', () => {
  it('keeps the password, the PLAIN blob and the message content out of every file and the ZIP', async () => {
    const out = tempDir();
    const r = await runCli(
      ['probe', '--out', out, '--host', lab.faults.host, '--port', `${lab.faults.ports.auth}:starttls`, '--ca', lab.caFile, '--auth-test', '--user', 'good@lab.test', '--send-test', '--to', 'someone@lab.test', '--attach', `${lab.dir}/report.pdf`, '--attempts', '2'],
      { SMTP_PROBE_PASSWORD: LAB_PASSWORD },
    );
    expect(r.code).toBe(0);
    const planted = [LAB_PASSWORD, b64(LAB_PASSWORD), b64(`\0good@lab.test\0${LAB_PASSWORD}`), b64(readFileSync(`${lab.dir}/report.pdf`, 'latin1')).slice(0, 40), 'smtp-probe lab attachment', 'It checks that this machine can submit mail'];
    const texts = await everything(out);
    for (const t of texts) for (const p of planted) expect(t.includes(p), `found a planted secret: ${p.slice(0, 12)}…`).toBe(false);
    // The verb and the server's answer stay; AUTH was done once (--auth-max 1) though 2 attempts ran:
    // one line in one transcript, and once more in its copy inside the ZIP (report.html,
    // which quotes the transcripts too, is scanned above and counted apart).
    const pages = texts.filter((t) => t.startsWith('<!DOCTYPE html>'));
    expect(pages).toHaveLength(2);
    for (const p of pages) expect(p.match(/ C {2}AUTH PLAIN \[withheld\]/g)).toHaveLength(1);
    const transcripts = texts.filter((t) => t.includes(' transcript, attempt ') && !t.startsWith('<!DOCTYPE html>'));
    expect(transcripts).toHaveLength(4);
    expect(transcripts.join('\n').match(/ C {2}AUTH PLAIN \[withheld\]/g)).toHaveLength(2);
    expect(transcripts.join('\n')).toContain('S  235 ');
    expect(transcripts.join('\n')).toMatch(/message sent: \d+ bytes, attachment report\.pdf \(content not recorded\)/);
  });

  it('takes the password from stdin with --password-stdin (how smtp-fleet hands it over) and writes it nowhere', async () => {
    const out = tempDir();
    const r = await runCli(['probe', '--out', out, '--host', lab.faults.host, '--port', `${lab.faults.ports.auth}:starttls`, '--ca', lab.caFile, '--auth-test', '--user', 'good@lab.test', '--password-stdin'], {}, `${LAB_PASSWORD}\n`);
    expect(r.code).toBe(0);
    for (const t of await everything(out)) for (const p of [LAB_PASSWORD, b64(`\0good@lab.test\0${LAB_PASSWORD}`)]) expect(t.includes(p)).toBe(false);
    const empty = await runCli(['probe', '--out', tempDir(), '--host', lab.faults.host, '--port', `${lab.faults.ports.auth}:starttls`, '--ca', lab.caFile, '--auth-test', '--user', 'good@lab.test', '--password-stdin'], {}, '');
    expect(empty.code).toBe(2);
    expect(empty.stderr.trim()).toBe('smtp-probe: error: --password-stdin: standard input held no password');
  });

  it('keeps an XOAUTH2 token from stdin and the 334 challenge out of every file', async () => {
    const out = tempDir();
    const r = await runCli(['probe', '--out', out, '--host', lab.faults.host, '--port', `${lab.faults.ports.auth}:starttls`, '--ca', lab.caFile, '--auth-test', '--user', 'good@lab.test', '--xoauth2'], {}, `${TOKEN}\n`);
    expect(r.code).toBe(13);
    const challenge = b64(JSON.stringify({ status: '401', schemes: 'Bearer', scope: 'https://mail.google.com/' }));
    const texts = await everything(out);
    for (const t of texts) {
      for (const p of [TOKEN, b64(`user=good@lab.test\x01auth=Bearer ${TOKEN}\x01\x01`), challenge, challenge.slice(0, 24)]) expect(t.includes(p)).toBe(false);
    }
    expect(texts.join('\n')).toContain('334 [withheld]');
  });

  it('refuses a password on the command line', async () => {
    const r = await runCli(['probe', '--out', tempDir(), '--auth-test', '--user', 'a@b.test', '--password', 'hunter2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/passwords are never taken on the command line/);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('never sends credentials over TLS that did not verify', async () => {
    const out = tempDir();
    const r = await runCli(['probe', '--json', '--out', out, '--host', lab.faults.host, '--port', `${lab.faults.ports.auth}:starttls`, '--auth-test', '--user', 'good@lab.test'], { SMTP_PROBE_PASSWORD: LAB_PASSWORD });
    const s = JSON.parse(r.stdout) as { verdict: { class: string }; attempts: Array<{ smtp: { auth: unknown; auth_skipped: string } }> };
    expect(s.verdict.class).toBe('tls');
    expect(s.attempts[0]!.smtp.auth).toBeNull();
    expect(s.attempts[0]!.smtp.auth_skipped).toMatch(/never sent over an untrusted channel/);
  });
});

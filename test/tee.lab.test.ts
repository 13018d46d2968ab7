// The tee end to end: real mail clients as "the bot" (swaks, Python smtplib, nodemailer)
// through `smtp-probe tee` to the lab Postfix and to Gmail-like servers, in each TLS
// combination; every session classified from the tee's own record, and no secret or
// message text in any file it writes.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { describe, expect, inject, it } from 'vitest';
import { TeeSummarySchema, type TeeSummary } from '../payload/schema/tee.js';
import { LAB_PASSWORD } from '../lab/fault-servers.js';
import { CLI, filesUnder, runFolder, tempDir, unzip } from './helpers.js';

const lab = inject('lab');
const BODY_MARKER = 'BODY-TEXT-MUST-NOT-BE-RECORDED';
const HEADER_MARKER = 'Header-Value-Must-Not-Be-Recorded';
const TOKEN = 'ya29.a0AfH6SMB-lab-token-never-written-0123456789';

interface Tee {
  port: number;
  ca: string;
  out: string;
  stop(): Promise<{ code: number; summary: TeeSummary; folder: string }>;
}

/** Starts the built CLI's tee on an ephemeral loopback port; stop() sends SIGINT and reads the record. */
async function startTee(args: string[]): Promise<Tee> {
  const out = tempDir('tee-');
  const child: ChildProcess = spawn(process.execPath, [CLI, 'tee', '--listen', '127.0.0.1:0', '--out', out, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number>((r) => child.once('exit', (code) => r(code ?? 1)));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tee did not start: ${stderr}`)), 10_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/stop with Ctrl-C/.test(stderr)) {
        clearTimeout(t);
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`tee exited: ${stderr}`)));
  });
  expect(stderr).toMatch(/WARNING: smtp-probe tee is for testing only, never for production/);
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
  const ca = /test CA (\S+)/.exec(stderr)?.[1] ?? '';
  return {
    port,
    ca,
    out,
    async stop() {
      child.kill('SIGINT');
      const code = await exited;
      const summary = TeeSummarySchema.parse(JSON.parse(stdout));
      return { code, summary, folder: runFolder(out) };
    },
  };
}

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const c = execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }));
    c.stdin!.end(input ?? '');
  });
}

type BotTls = 'none' | 'starttls' | 'implicit';

function swaks(port: number, tls: BotTls, ca: string, extra: string[]) {
  const t = tls === 'starttls' ? ['--tls'] : tls === 'implicit' ? ['--tlsc'] : [];
  return run('swaks', ['--server', `127.0.0.1:${port}`, ...t, ...(tls !== 'none' ? ['--tls-ca-path', ca, '--tls-verify'] : []), '--ehlo', 'bot.lab.test', '--header', `X-Marker: ${HEADER_MARKER}`, '--body', BODY_MARKER, '--timeout', '15', ...extra]);
}

const PY = `
import smtplib, ssl, sys, json
from email.message import EmailMessage
a = json.loads(sys.argv[1])
ctx = ssl.create_default_context(cafile=a['ca']) if a['ca'] else None
if a['tls'] == 'implicit':
    s = smtplib.SMTP_SSL('127.0.0.1', a['port'], context=ctx, timeout=15)
else:
    s = smtplib.SMTP('127.0.0.1', a['port'], timeout=15)
s.ehlo('py.lab.test')
if a['tls'] == 'starttls':
    s.starttls(context=ctx); s.ehlo('py.lab.test')
try:
    if a.get('xoauth2'):
        code, msg = s.docmd('AUTH', 'XOAUTH2 ' + a['xoauth2'])
        if code == 334: code, msg = s.docmd('')
        print('AUTH', code)
    elif a.get('user'):
        s.login(a['user'], a['password'])
    m = EmailMessage()
    m['From'] = a['from']; m['To'] = a['to']; m['Subject'] = a['subject']
    m.set_content(a['body'])
    if a.get('attach'):
        m.add_attachment(open(a['attach'], 'rb').read(), maintype='application', subtype='octet-stream', filename=a['attach'].split('/')[-1])
    s.send_message(m)
    print('SENT')
except smtplib.SMTPException as e:
    print('SMTP-ERROR', getattr(e, 'smtp_code', ''), e)
s.quit()
`;

function python(port: number, tls: BotTls, ca: string, o: Record<string, unknown>) {
  return run('/usr/bin/python3', ['-c', PY, JSON.stringify({ port, tls, ca: tls === 'none' ? '' : ca, from: 'good@lab.test', to: 'someone@example.com', subject: HEADER_MARKER, body: BODY_MARKER, ...o })]);
}

async function nodemail(port: number, tls: BotTls, ca: string, o: { user?: string; pass?: string; attach?: string }) {
  const t = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: tls === 'implicit',
    requireTLS: tls === 'starttls',
    ignoreTLS: tls === 'none',
    tls: { ca: tls === 'none' ? undefined : readFileSync(ca, 'utf8') },
    ...(o.user ? { auth: { user: o.user, pass: o.pass! } } : {}),
    name: 'nodemailer.lab.test',
    connectionTimeout: 15_000,
  });
  try {
    await t.sendMail({ from: 'good@lab.test', to: 'someone@example.com', subject: HEADER_MARKER, text: BODY_MARKER, attachments: o.attach ? [{ filename: o.attach.split('/').pop()!, content: readFileSync(o.attach) }] : [] });
    return 'sent';
  } catch (err) {
    return `error: ${(err as Error).message}`;
  } finally {
    t.close();
  }
}

/** No password, token, header value or body text anywhere in the run folder or its ZIP. */
async function expectNoSecrets(folder: string, secrets: string[]) {
  const texts = filesUnder(folder).map((f) => [f, readFileSync(join(folder, f)).toString('latin1')] as const);
  const zip = await unzip(join(folder, 'attachments/all_files.zip'));
  const all = [...texts, ...[...zip].map(([n, b]) => [`zip:${n}`, b.toString('latin1')] as const)];
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  for (const s of [...secrets, BODY_MARKER, HEADER_MARKER]) {
    for (const [name, text] of all) {
      expect(text.includes(s), `${s} in ${name}`).toBe(false);
      if (s.length > 8) expect(text.includes(b64(s)), `base64 of ${s} in ${name}`).toBe(false);
    }
  }
  expect(zip.size).toBeGreaterThan(3);
}

const gmailAuth = () => ['--upstream', `127.0.0.1:${lab.faults.ports.auth}`, '--upstream-tls', 'starttls', '--sni', 'smtp.gmail.com', '--ca', lab.caFile];

describe('tee to the lab Postfix', () => {
  it('swaks with STARTTLS to the tee, STARTTLS upstream: relayed, both TLS legs recorded, relay refusal classified', async () => {
    const tee = await startTee(['--upstream', `127.0.0.1:${lab.postfix.starttlsPort}`, '--ca', lab.caFile, '--bot-tls', 'starttls']);
    const r = await swaks(tee.port, 'starttls', tee.ca, ['--from', 'bot@lab.test', '--to', 'someone@example.com']);
    expect(r.out).toMatch(/<-\s+220 2\.0\.0 Ready to start TLS \(tee\)/);
    expect(r.out).toMatch(/Relay access denied/);
    const { summary, folder } = await tee.stop();
    expect(summary.sessions).toHaveLength(1);
    const s = summary.sessions[0]!;
    expect(s.bot.tls?.after).toBe('starttls');
    expect(s.bot.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(s.tls?.authorized).toBe(true);
    expect(s.tls?.after).toBe('starttls');
    expect(s.tls?.chain[0]?.issuer).toContain('smtp-probe Lab Root CA');
    expect(s.smtp.banner?.lines[0]).toMatch(/ESMTP Postfix/);
    expect(s.smtp.rcpt?.code).toBe(554);
    expect(s.classification.class).toBe('smtp-policy');
    expect(s.ended_by).toBe('quit');
    expect(s.commands.map((c) => c.verb)).toEqual(['(banner)', 'EHLO', 'STARTTLS', '(upstream STARTTLS)', 'EHLO', 'MAIL', 'RCPT', 'QUIT']);
    expect(s.commands.find((c) => c.verb === 'STARTTLS')?.answered_by).toBe('tee');
    const transcript = readFileSync(join(folder, s.transcript_file), 'utf8');
    expect(transcript).toMatch(/Z C {2}EHLO bot\.lab\.test\n/);
    expect(transcript).toMatch(/Z S {2}554 5\.7\.1 <\*\*\*@example\.com>: Relay access denied/);
    expect(transcript).toMatch(/tee to upstream: STARTTLS/);
    expect(readFileSync(join(folder, 'tee_ca.pem'), 'utf8')).toBe(readFileSync(tee.ca, 'utf8'));
    expect(readFileSync(join(folder, 'report.md'), 'utf8')).toMatch(/testing only, never for production/);
    await expectNoSecrets(folder, ['someone@']);
  });

  it('Python with implicit TLS to the tee, implicit TLS upstream', async () => {
    const tee = await startTee(['--upstream', `127.0.0.1:${lab.postfix.implicitPort}`, '--upstream-tls', 'implicit', '--ca', lab.caFile, '--bot-tls', 'implicit']);
    const r = await python(tee.port, 'implicit', tee.ca, {});
    expect(r.out).toMatch(/SMTP-ERROR|Relay access denied/);
    const { summary, folder } = await tee.stop();
    const s = summary.sessions[0]!;
    expect(s.bot.tls?.after).toBe('connect');
    expect(s.tls?.after).toBe('connect');
    expect(s.smtp.starttls).toBeNull();
    expect(s.classification.class).toBe('smtp-policy');
    await expectNoSecrets(folder, []);
  });

  it('passes 8-bit (SMTPUTF8) commands and replies through byte for byte', async () => {
    const tee = await startTee(['--upstream', `127.0.0.1:${lab.postfix.starttlsPort}`, '--ca', lab.caFile, '--bot-tls', 'none']);
    const c = await rawConnect(tee.port);
    const said: Buffer[] = [];
    c.socket.on('data', (d: Buffer) => said.push(d));
    const until = async (re: RegExp) => {
      for (let i = 0; i < 100 && !re.test(Buffer.concat(said).toString('utf8')); i++) await new Promise((r) => setTimeout(r, 50));
    };
    c.socket.write('EHLO utf8.lab.test\r\n');
    await until(/^250 /m);
    c.socket.write(Buffer.from('MAIL FROM:<jörg@lab.test> SMTPUTF8\r\nRCPT TO:<zoë@example.com>\r\nQUIT\r\n', 'utf8'));
    await until(/^221 /m);
    c.close();
    expect(Buffer.concat(said).toString('utf8')).toMatch(/554 5\.7\.1 <zoë@example\.com>: Relay access denied/);
    const { summary, folder } = await tee.stop();
    const s = summary.sessions[0]!;
    expect(s.smtp.mail?.code).toBe(250);
    expect(readFileSync(join(folder, s.transcript_file), 'utf8')).toMatch(/C {2}RCPT TO:<\*\*\*@example\.com>/);
    await expectNoSecrets(folder, ['zoë', 'jörg']);
  });

  it('a bot that does not trust the tee\'s CA is told apart from a server problem', async () => {
    const tee = await startTee(['--upstream', `127.0.0.1:${lab.postfix.implicitPort}`, '--upstream-tls', 'implicit', '--ca', lab.caFile, '--bot-tls', 'implicit']);
    await run('swaks', ['--server', `127.0.0.1:${tee.port}`, '--tlsc', '--tls-verify', '--tls-ca-path', lab.caFile, '--quit-after', 'EHLO', '--timeout', '10']);
    const { summary } = await tee.stop();
    const s = summary.sessions[0]!;
    expect(s.ended_by).toBe('bot-tls-failed');
    expect(s.classification.hint_id).toBe('tee-bot-tls');
    expect(s.classification.class).toBe('tls');
  });
});

describe('tee limits and upstream failures', () => {
  it('ends a silent bot session at --idle-timeout with 421', async () => {
    const tee = await startTee([...gmailAuth(), '--bot-tls', 'none', '--idle-timeout', '1s']);
    const c = await rawConnect(tee.port);
    expect(c.greeting).toMatch(/^220 /);
    const more = await new Promise<string>((r) => c.socket.once('data', (d: Buffer) => r(d.toString())));
    expect(more).toMatch(/^421 4\.4\.2 tee: idle timeout/);
    c.close();
    const { summary } = await tee.stop();
    expect(summary.sessions[0]!.ended_by).toBe('idle-timeout');
  });

  it('ends by itself after --duration and writes the record (17: no session came)', async () => {
    const out = tempDir('tee-');
    const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [CLI, 'tee', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${lab.postfix.starttlsPort}`, '--duration', '1s', '--out', out, '--json'], { timeout: 20_000 }, (err, stdout) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout }),
      );
    });
    expect(r.code).toBe(17);
    const summary = TeeSummarySchema.parse(JSON.parse(r.stdout));
    expect(summary.run.ended_by).toBe('duration');
    expect(summary.sessions).toEqual([]);
    expect(filesUnder(runFolder(out))).toEqual(['attachments/all_files.zip', 'env_snapshot.json', 'report.md', 'tee_ca.pem', 'tee_summary.json']);
  });

  it('answers 421 when the upstream refuses the connection, classified connect', async () => {
    const tee = await startTee(['--upstream', `127.0.0.7:${lab.closedPort}`, '--bot-tls', 'none']);
    const c = await rawConnect(tee.port);
    expect(c.greeting).toMatch(/^421 4\.4\.1 tee: cannot connect to the upstream server/);
    c.close();
    const { code, summary } = await tee.stop();
    expect(code).toBe(11);
    expect(summary.sessions[0]!.classification.hint_id).toBe('connect-refused');
  });
});

describe('tee to a Gmail-like server', () => {
  it('nodemailer in plain text to the tee, STARTTLS upstream: AUTH and a message relayed, ok, no password written', async () => {
    const tee = await startTee([...gmailAuth(), '--bot-tls', 'none']);
    const pdf = join(lab.dir, 'report.pdf');
    expect(await nodemail(tee.port, 'none', tee.ca, { user: 'good@lab.test', pass: LAB_PASSWORD, attach: pdf })).toBe('sent');
    const { code, summary, folder } = await tee.stop();
    expect(code).toBe(0);
    const s = summary.sessions[0]!;
    expect(s.bot.tls).toBeNull();
    expect(s.tls?.authorized).toBe(true);
    expect(s.tls?.sni).toBe('smtp.gmail.com');
    // The tee does not offer STARTTLS on a plain bot leg, whatever the server offers.
    const ehlo = s.smtp.ehlo_tls!.lines;
    expect(ehlo[0]).toMatch(/smtp\.gmail\.com at your service/);
    expect(s.smtp.auth?.code).toBe(235);
    expect(s.smtp.data_end?.code).toBe(250);
    expect(s.classification.hint_id).toBe('ok-auth');
    expect(s.messages[0]!.attachments).toEqual([expect.objectContaining({ name: 'report.pdf', type: 'application/pdf' })]);
    expect(s.messages[0]!.header_names).toEqual(expect.arrayContaining(['from', 'to', 'subject', 'content-type']));
    const names = s.commands.map((c) => c.verb);
    expect(names).toEqual(expect.arrayContaining(['EHLO', 'AUTH PLAIN', 'MAIL', 'RCPT', 'DATA', '(message)']));
    expect(names).not.toContain('STARTTLS');
    expect(names).toContain('(upstream STARTTLS)');
    const transcript = readFileSync(join(folder, s.transcript_file), 'utf8');
    expect(transcript).toMatch(/C {2}AUTH PLAIN \[withheld\]/);
    expect(transcript).toMatch(/attachments: report\.pdf application\/pdf \d+ bytes \(content not recorded\)/);
    await expectNoSecrets(folder, [LAB_PASSWORD, 'good@lab.test']);
  });

  it('swaks with STARTTLS to the tee: a 535 is classified auth from the tee\'s record', async () => {
    const tee = await startTee([...gmailAuth(), '--bot-tls', 'starttls']);
    const r = await swaks(tee.port, 'starttls', tee.ca, ['--auth', 'LOGIN', '--auth-user', 'good@lab.test', '--auth-password', 'wrong-password-42', '--from', 'good@lab.test', '--to', 'x@example.com']);
    expect(r.out).toMatch(/535 5\.7\.8 Username and Password not accepted/);
    const { code, summary, folder } = await tee.stop();
    expect(code).toBe(13);
    const s = summary.sessions[0]!;
    expect(s.failed_stage).toBe('auth');
    expect(s.classification.class).toBe('auth');
    expect(s.classification.evidence).toMatch(/535 5\.7\.8 .* \(reply to AUTH LOGIN\)/);
    // The pre-TLS EHLO the bot saw offered STARTTLS (the tee's), the post-TLS one did not.
    const transcript = readFileSync(join(folder, s.transcript_file), 'utf8');
    expect(transcript).toMatch(/C {2}AUTH LOGIN\n.*S {2}334 \[withheld\]\n.*C {2}\[withheld\]\n/);
    await expectNoSecrets(folder, ['wrong-password-42']);
  });

  it('Python with STARTTLS: an .exe attachment answered 552 5.7.0 is classified smtp-policy with the attachment named', async () => {
    const tee = await startTee([...gmailAuth(), '--bot-tls', 'starttls']);
    const r = await python(tee.port, 'starttls', tee.ca, { user: 'good@lab.test', password: LAB_PASSWORD, attach: join(lab.dir, 'invoice.exe') });
    expect(r.out).toMatch(/SMTP-ERROR 552/);
    const { code, summary, folder } = await tee.stop();
    expect(code).toBe(14);
    const s = summary.sessions[0]!;
    expect(s.smtp.auth?.code).toBe(235);
    expect(s.smtp.data_end?.code).toBe(552);
    expect(s.classification.class).toBe('smtp-policy');
    expect(s.classification.evidence).toMatch(/552.5\.7\.0 .*reply to the message/);
    expect(s.messages[0]).toMatchObject({ relayed: true, reply_code: 552 });
    expect(s.messages[0]!.attachments[0]).toMatchObject({ name: 'invoice.exe', type: 'application/octet-stream' });
    await expectNoSecrets(folder, [LAB_PASSWORD]);
  });

  it('Python XOAUTH2 through the tee: the token is withheld and the 334 error challenge noted', async () => {
    const tee = await startTee([...gmailAuth(), '--bot-tls', 'starttls']);
    const sasl = Buffer.from(`user=good@lab.test\x01auth=Bearer ${TOKEN}\x01\x01`).toString('base64');
    const r = await python(tee.port, 'starttls', tee.ca, { xoauth2: sasl });
    expect(r.out).toMatch(/AUTH 5\d\d/);
    const { summary, folder } = await tee.stop();
    const s = summary.sessions[0]!;
    expect(s.smtp.auth_mechanism).toBe('XOAUTH2');
    expect(s.smtp.auth_challenge).toBe(true);
    expect(s.classification.class).toBe('auth');
    await expectNoSecrets(folder, [TOKEN, sasl]);
  });

  it('nodemailer with implicit TLS to the tee, implicit TLS upstream (Gmail-like 465): 535 classified auth', async () => {
    const tee = await startTee(['--upstream', `${lab.gmail.healthy[0]}:${lab.gmail.implicitPort}`, '--upstream-tls', 'implicit', '--sni', 'smtp.gmail.com', '--ca', lab.caFile, '--bot-tls', 'implicit']);
    expect(await nodemail(tee.port, 'implicit', tee.ca, { user: 'good@lab.test', pass: 'not-the-password' })).toMatch(/535/);
    const { summary, folder } = await tee.stop();
    const s = summary.sessions[0]!;
    expect(s.bot.tls?.after).toBe('connect');
    expect(s.tls?.after).toBe('connect');
    expect(s.classification.class).toBe('auth');
    await expectNoSecrets(folder, ['not-the-password']);
  });

  it('swaks with STARTTLS to the tee, implicit TLS upstream: the tee offers STARTTLS the server does not', async () => {
    const tee = await startTee(['--upstream', `${lab.gmail.healthy[1]}:${lab.gmail.implicitPort}`, '--upstream-tls', 'implicit', '--sni', 'smtp.gmail.com', '--ca', lab.caFile, '--bot-tls', 'starttls']);
    const r = await swaks(tee.port, 'starttls', tee.ca, ['--quit-after', 'EHLO']);
    expect(r.out).toMatch(/<-\s+250 STARTTLS/);
    expect(r.out).toMatch(/<~\s+250[- ]AUTH /);
    expect(r.out).not.toMatch(/<~\s+250[- ]STARTTLS/);
    const { summary, folder } = await tee.stop();
    const s = summary.sessions[0]!;
    expect(s.tls?.after).toBe('connect');
    expect(s.bot.tls?.after).toBe('starttls');
    expect(s.classification.class).toBe('ok');
    expect(readFileSync(join(folder, s.transcript_file), 'utf8')).toMatch(/EHLO reply to the bot: added STARTTLS/);
  });

  it('records several sessions at once and turns away those over --max-sessions', async () => {
    const tee = await startTee([...gmailAuth(), '--bot-tls', 'starttls', '--max-sessions', '3']);
    const results = await Promise.all([0, 1, 2].map(() => python(tee.port, 'starttls', tee.ca, { user: 'good@lab.test', password: LAB_PASSWORD })));
    for (const r of results) expect(r.out).toMatch(/SENT/);
    // Hold three sessions open; the fourth is answered 421 by the tee itself.
    const held = await Promise.all([0, 1, 2].map(() => rawConnect(tee.port)));
    const fourth = await rawConnect(tee.port);
    expect(fourth.greeting).toMatch(/^421 4\.3\.2 tee: too many sessions/);
    for (const h of [...held, fourth]) h.close();
    const { summary } = await tee.stop();
    expect(summary.sessions_refused).toBe(1);
    expect(summary.sessions.filter((s) => s.classification.hint_id === 'ok-auth')).toHaveLength(3);
    expect(new Set(summary.sessions.map((s) => s.transcript_file)).size).toBe(summary.sessions.length);
  });

  it('answers 552 itself to a message over --max-message-bytes and does not relay it', async () => {
    const tee = await startTee([...gmailAuth(), '--bot-tls', 'starttls', '--max-message-bytes', '4KB']);
    const big = join(lab.dir, 'big.bin');
    writeFileSync(big, Buffer.alloc(20_000, 0x41));
    const r = await python(tee.port, 'starttls', tee.ca, { user: 'good@lab.test', password: LAB_PASSWORD, attach: big });
    expect(r.out).toMatch(/552/);
    const { summary } = await tee.stop();
    const s = summary.sessions[0]!;
    expect(s.ended_by).toBe('message-too-large');
    expect(s.messages[0]).toMatchObject({ relayed: false, reply_code: 552 });
  });
});

function rawConnect(port: number): Promise<{ greeting: string; socket: Socket; close(): void }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('data', (d) => resolve({ greeting: d.toString(), socket: s, close: () => s.destroy() }));
    s.once('error', reject);
  });
}

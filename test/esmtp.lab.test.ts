// The ESMTP feature matrix, the STARTTLS-required check and the tarpit finding against a
// real Postfix (its own instance: a port with smtpd_tls_security_level=encrypt, one with
// `may`, one that sleeps before its banner), and greylisting against a scripted stand-in.
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProbeSummarySchema, type ProbeSummary } from '../payload/schema/summary.js';
import type { LabPki } from '../lab/ca.js';
import { postfixAvailable, startPostfix, type LabPostfix } from '../lab/postfix.js';
import { closeHard, freePort } from '../lab/ports.js';
import { listen } from '../lab/scripted.js';
import { runCli, runFolder, tempDir } from './helpers.js';

const lab = inject('lab');

async function probe(args: string[]) {
  const out = tempDir('esmtp-');
  const r = await runCli(['probe', '--json', '--out', out, '--ehlo-name', 'probe.lab.test', '--host', '127.0.0.1', '--ca', lab.caFile, ...args]);
  const summary = ProbeSummarySchema.parse(JSON.parse(r.stdout)) as ProbeSummary;
  return { ...r, summary, folder: runFolder(out) };
}

describe.skipIf(!postfixAvailable())('ESMTP matrix against a real Postfix', () => {
  let pf: LabPostfix;
  const ports = { may: 0, implicit: 0, encrypt: 0, tarpit: 0 };
  beforeAll(async () => {
    for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort(['127.0.0.1']);
    const dir = dirname(lab.caFile);
    const pki = { serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key') } as LabPki;
    pf = await startPostfix(tempDir('postfix-esmtp-'), pki, '127.0.0.1', ports.may, ports.implicit, [
      `127.0.0.1:${ports.encrypt} inet n - n - - smtpd -o smtpd_tls_security_level=encrypt`,
      // sleep in the client restrictions, evaluated at connect (smtpd_delay_reject=no): the banner waits 3 s.
      `127.0.0.1:${ports.tarpit} inet n - n - - smtpd -o smtpd_delay_reject=no -o smtpd_client_restrictions=sleep,3,permit`,
    ]);
  }, 30_000);
  afterAll(() => pf?.stop());

  it('reads the features from the EHLO replies and checks that MAIL FROM before STARTTLS is refused where TLS is required', async () => {
    const { summary, folder } = await probe(['--port', `${ports.encrypt}:starttls`, '--port', `${ports.may}:starttls`, '--port', `${ports.implicit}:implicit`]);
    expect(summary.verdict.class).toBe('ok');
    const rows = new Map(summary.esmtp!.ports.map((p) => [p.port, p]));
    const enc = rows.get(ports.encrypt)!;
    expect(enc.mail_before_tls).toBe('refused');
    expect(enc.mail_before_tls_reply).toMatch(/^530 5\.7\.0 Must issue a STARTTLS command first/);
    const may = rows.get(ports.may)!;
    expect(may.mail_before_tls).toBe('accepted');
    expect(may.starttls_offered).toBe(true);
    expect(rows.get(ports.implicit)!.mail_before_tls).toBe('not-checked');
    for (const p of [enc, may, rows.get(ports.implicit)!]) {
      expect(p).toMatchObject({ size_bytes: 10240000, size_mb: 9.8, pipelining: true, eightbitmime: true, smtputf8: true, chunking: true, dsn: true, enhancedstatuscodes: true });
    }
    const a = summary.attempts.find((x) => x.port === ports.may)!;
    expect(a.smtp.rset_plain?.code).toBe(250);
    // Only MAIL FROM and RSET on the plain channel; never RCPT or DATA.
    const transcript = readFileSync(join(folder, a.transcript_file), 'utf8');
    expect(transcript).toMatch(/C {2}MAIL FROM:<>\n.*\n.*C {2}RSET\n.*\n.*C {2}STARTTLS/);
    expect(transcript).not.toMatch(/RCPT|DATA/);
    const ids = summary.esmtp!.findings.map((f) => `${f.id}:${f.port}`);
    expect(ids).toContain(`starttls-required:${ports.encrypt}`);
    expect(ids).toContain(`starttls-not-required:${ports.may}`);
    const md = readFileSync(join(folder, 'report.md'), 'utf8');
    expect(md).toContain('## ESMTP features and timing');
    expect(md).toMatch(new RegExp(`\\| ${ports.encrypt}/starttls \\| 10240000 bytes \\(9\\.8 MB\\) \\| yes .*\\| refused: 530 `));
    expect(readFileSync(join(folder, 'report.html'), 'utf8')).toContain('<section id="esmtp">');
  }, 60_000);

  it('--no-starttls-check sends nothing before STARTTLS', async () => {
    const { summary } = await probe(['--port', `${ports.encrypt}:starttls`, '--no-starttls-check']);
    expect(summary.attempts[0]!.smtp.mail_plain ?? null).toBeNull();
    expect(summary.esmtp!.ports[0]!.mail_before_tls).toBe('not-checked');
  }, 60_000);

  it('flags a banner held back by smtpd_client_restrictions sleep as a tarpit', async () => {
    const { summary } = await probe(['--port', `${ports.tarpit}:starttls`, '--tarpit-threshold', '2s']);
    expect(summary.verdict.class).toBe('ok');
    const f = summary.esmtp!.findings.find((x) => x.id === 'tarpit')!;
    expect(f).toMatchObject({ port: ports.tarpit, step: 'banner', severity: 'problem' });
    expect(f.ms).toBeGreaterThanOrEqual(2900);
    // Without the override the 3 s banner is over the data file's "slow" mark only.
    const plain = await probe(['--port', `${ports.tarpit}:starttls`]);
    expect(plain.summary.esmtp!.findings.map((x) => x.id)).toContain('slow-reply');
  }, 60_000);
});

/** A greylisting MTA: the first RCPT from a client gets "Greylisted for N seconds", later ones pass. */
function greylister(delayS: number): { server: Server; rcpts: number[] } {
  const rcpts: number[] = [];
  const server = createServer((sock) => {
    sock.on('error', () => {});
    sock.write('220 grey.lab.test ESMTP\r\n');
    let buf = '';
    let inData = false;
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (inData) {
          if (line === '.') {
            inData = false;
            sock.write('250 2.0.0 queued\r\n');
          }
          continue;
        }
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') sock.write('250-grey.lab.test\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n');
        else if (verb === 'RCPT') {
          rcpts.push(Date.now());
          sock.write(rcpts.length === 1 ? `450 4.2.0 <to@grey.lab.test>: Recipient address rejected: Greylisted for ${delayS} seconds\r\n` : '250 2.1.5 ok\r\n');
        } else if (verb === 'DATA') {
          inData = true;
          sock.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') sock.end('221 2.0.0 bye\r\n');
        else sock.write('250 2.0.0 ok\r\n');
      }
    });
  });
  return { server, rcpts };
}

describe('greylisting (scripted stand-in for Postgrey)', () => {
  it('retries after the delay the server names when --attempts allows, and reports that the retry passed', async () => {
    const g = greylister(2);
    const port = await listen(g.server, '127.0.0.1');
    try {
      const { summary, folder } = await probe(['--port', `${port}:plain`, '--send-test', '--from', 'bot@lab.test', '--to', 'to@grey.lab.test', '--attempts', '2']);
      const [first, second] = summary.attempts;
      expect(first!.smtp.greylist).toMatchObject({ step: 'rcpt', code: 450, enhanced: '4.2.0', delay_s: 2 });
      expect(second!.greylist_retry).toMatchObject({ after_attempt: first!.id, asked_s: 2 });
      expect(second!.greylist_retry!.waited_ms).toBeGreaterThanOrEqual(1900);
      expect(g.rcpts[1]! - g.rcpts[0]!).toBeGreaterThanOrEqual(1900);
      expect(second!.classification.class).toBe('ok');
      expect(summary.esmtp!.findings.map((f) => f.id)).toEqual(expect.arrayContaining(['greylisted', 'greylist-passed']));
      expect(readFileSync(join(folder, 'report.md'), 'utf8')).toMatch(/greylist-passed: port \d+: the retry after 2 s went through/);
    } finally {
      await closeHard(g.server);
    }
  }, 60_000);

  it('does not wait when the delay is over --greylist-wait, and says it was not retried', async () => {
    const g = greylister(600);
    const port = await listen(g.server, '127.0.0.1');
    try {
      const { summary } = await probe(['--port', `${port}:plain`, '--send-test', '--from', 'bot@lab.test', '--to', 'to@grey.lab.test', '--attempts', '2', '--greylist-wait', '5s']);
      expect(summary.attempts[1]!.greylist_retry ?? null).toBeNull();
      expect(summary.esmtp!.findings.map((f) => f.id)).toContain('greylist-not-retried');
    } finally {
      await closeHard(g.server);
    }
  }, 60_000);
});

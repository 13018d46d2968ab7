// The ESMTP feature matrix, the STARTTLS-required check and the tarpit finding against a
// real Postfix (its own instance: a port with smtpd_tls_security_level=encrypt, one with
// `may`, one that sleeps before its banner), and greylisting by a real Postgrey (Debian's)
// as that Postfix's policy service.
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProbeSummarySchema, type ProbeSummary } from '../payload/schema/summary.js';
import type { LabPki } from '../lab/ca.js';
import { postfixAvailable, startPostfix, type LabPostfix } from '../lab/postfix.js';
import { freePort } from '../lab/ports.js';
import { SAMPLES } from '../lab/reply-samples.js';
import { postgreyAvailable, startPostgrey, type LabPostgrey } from '../lab/postgrey.js';
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

describe.skipIf(!postfixAvailable() || !postgreyAvailable())('greylisting by a real Postgrey behind a real Postfix', () => {
  let pf: LabPostfix;
  let named: LabPostgrey;
  let plain: LabPostgrey;
  const ports = { named: 0, plain: 0, starttls: 0, implicit: 0 };
  beforeAll(async () => {
    // One Postgrey whose reply names the delay (%s, the seconds left), one with Debian's default text, which names none.
    named = await startPostgrey({ delayS: 2, text: 'Greylisted for %s seconds' });
    plain = await startPostgrey({ delayS: 2 });
    for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort(['127.0.0.1']);
    const dir = dirname(lab.caFile);
    const pki = { serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key') } as LabPki;
    // Loopback may relay on these ports (mynetworks), Postgrey still has its say on RCPT, and the message is
    // discarded by Postfix's own discard transport: nothing leaves loopback.
    const port = (p: number, g: LabPostgrey) => `127.0.0.1:${p} inet n - n - - smtpd -o mynetworks=127.0.0.0/8 -o smtpd_relay_restrictions=permit_mynetworks,reject_unauth_destination -o smtpd_recipient_restrictions=check_policy_service,${g.policy},permit -o content_filter=discard:`;
    pf = await startPostfix(tempDir('postfix-grey-'), pki, '127.0.0.1', ports.starttls, ports.implicit, [port(ports.named, named), port(ports.plain, plain)]);
  }, 30_000);
  afterAll(async () => {
    pf?.stop();
    await named?.stop();
    await plain?.stop();
  });

  it('retries --send-test after the delay Postgrey names, and the retry passes', async () => {
    const { summary, folder } = await probe(['--port', `${ports.named}:starttls`, '--send-test', '--from', 'bot@lab.test', '--to', 'to@grey.lab.test', '--attempts', '2']);
    const [first, second] = summary.attempts;
    expect(first!.smtp.greylist, `${JSON.stringify(first!.smtp.rcpt)}\n${named.log()}`).toMatchObject({ step: 'rcpt', code: 450, delay_s: 2 });
    expect(first!.smtp.greylist!.line).toBe(SAMPLES.find((x) => x.name === 'Postgrey greylisting (--greylist-text with %s)')!.reply);
    expect(first!.classification).toMatchObject({ class: 'rate-limit', hint_id: 'generic-greylisting' });
    expect(second!.greylist_retry).toMatchObject({ after_attempt: first!.id, asked_s: 2 });
    expect(second!.greylist_retry!.waited_ms).toBeGreaterThanOrEqual(1900);
    expect(second!.classification.class).toBe('ok');
    expect(second!.smtp.data_end?.code).toBe(250);
    // Postgrey's own log: the first triplet greylisted, the retry let through.
    expect(named.log()).toMatch(/action=greylist, reason=new/);
    expect(named.log()).toMatch(/action=pass, reason=triplet found/);
    expect(summary.esmtp!.findings.map((f) => f.id)).toEqual(expect.arrayContaining(['greylisted', 'greylist-passed']));
    expect(readFileSync(join(folder, 'report.md'), 'utf8')).toMatch(/greylist-passed: port \d+: the retry after 2 s went through/);
  }, 60_000);

  it('Postgrey\'s default text names no delay: the usual 300 s is over --greylist-wait, so no retry, and it says so', async () => {
    const { summary } = await probe(['--port', `${ports.plain}:starttls`, '--send-test', '--from', 'bot@lab.test', '--to', 'to@grey.lab.test', '--attempts', '2', '--greylist-wait', '5s']);
    const first = summary.attempts[0]!;
    expect(first.smtp.greylist).toMatchObject({ step: 'rcpt', code: 450, delay_s: null });
    // Word for word what lab/reply-samples.ts holds as the real Postgrey sample.
    expect(first.smtp.greylist!.line).toBe(SAMPLES.find((x) => x.name === 'Postgrey greylisting (Debian default text)')!.reply);
    expect(first.classification.hint_id).toBe('generic-greylisting');
    expect(summary.attempts[1]!.greylist_retry ?? null).toBeNull();
    expect(summary.esmtp!.findings.map((f) => f.id)).toContain('greylist-not-retried');
  }, 60_000);
});

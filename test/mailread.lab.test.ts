// `smtp-probe imap|pop3` against a real Dovecot from Debian (lab/dovecot.ts): its own config,
// passwd-file users, IMAP 143/993 and POP3 110/995 on loopback, the lab CA's certificate,
// disable_plaintext_auth = yes, and an oauth2 passdb for XOAUTH2 that asks a stand-in for the
// identity provider's token introspection endpoint (lab/idp-stand-in.ts). Needs root
// (Dovecot's master) and dovecot-imapd/-pop3d.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type LabPki } from '../lab/ca.js';
import { DOVECOT_USERS, dovecotAvailable, startDovecot, type LabDovecot } from '../lab/dovecot.js';
import { startIdpStandIn, type IdpStandIn } from '../lab/idp-stand-in.js';
import { waitForPort } from '../lab/index.js';
import { postfixAvailable, startPostfix, type LabPostfix } from '../lab/postfix.js';
import { freePort } from '../lab/ports.js';
import { filesUnder, readJson, runCli, runFolder, tempDir, unzip } from './helpers.js';
import type { MailreadSummary } from '../payload/schema/mailread.js';
import { ProbeSummarySchema } from '../payload/schema/summary.js';

const USER = Object.keys(DOVECOT_USERS)[0]!;
const PASSWORD = Object.values(DOVECOT_USERS)[0]!;

let dv: LabDovecot;
let pki: LabPki;
let dovecotDir: string | undefined;
let idp: IdpStandIn;
// Tokens shaped like Google's (ya29.), fresh per run so a hard-coded one cannot pass.
const GOOD_TOKEN = `ya29.lab-good-${randomBytes(18).toString('hex')}`;
const EXPIRED_TOKEN = `ya29.lab-expired-${randomBytes(18).toString('hex')}`;

async function run(protocol: 'imap' | 'pop3', args: string[], password?: string, stdin?: string, env: Record<string, string> = {}) {
  const out = tempDir(`${protocol}-`);
  const r = await runCli([protocol, '--out', out, '--host', dv.host, '--ca', pki.caCert, '--timeout', '8s', '--json', ...args], { ...(password ? { SMTP_PROBE_PASSWORD: password } : {}), ...env }, stdin);
  const folder = runFolder(out);
  return { ...r, folder, summary: readJson<MailreadSummary>(join(folder, 'mailread_summary.json')) };
}

async function everyText(folder: string): Promise<string[]> {
  const files = filesUnder(folder).filter((f) => !f.endsWith('.zip')).map((f) => readFileSync(join(folder, f), 'latin1'));
  const zipped = [...(await unzip(join(folder, 'attachments/all_files.zip'))).values()].map((b) => b.toString('latin1'));
  expect(zipped.length).toBe(files.length);
  return [...files, ...zipped];
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe.runIf(dovecotAvailable())('imap and pop3 against Dovecot', () => {
  beforeAll(async () => {
    pki = makePki(tempDir('dovecot-pki-'));
    // Under /tmp, not the 0700 scratch folder: Dovecot's auth and mail processes drop root.
    dovecotDir = mkdtempSync(join(tmpdir(), 'smtp-probe-dovecot-'));
    idp = await startIdpStandIn({ [GOOD_TOKEN]: { user: USER, expiresIn: 3600 }, [EXPIRED_TOKEN]: { user: USER, expiresIn: -60 } });
    dv = await startDovecot(dovecotDir, pki, undefined, { oauth2: { introspectionUrl: idp.url } });
  }, 60_000);
  afterAll(async () => {
    await dv?.stop();
    await idp?.close();
    if (dovecotDir) rmSync(dovecotDir, { recursive: true, force: true });
  });

  it('IMAP: 993 and 143 with STARTTLS, capabilities, one LOGIN accepted; the password in no file', async () => {
    const r = await run('imap', ['--port', `${dv.imaps}:implicit`, '--port', `${dv.imap}:starttls`, '--login', '--user', USER], PASSWORD);
    expect(r.code, `${r.stderr}${r.summary.verdict.evidence}`).toBe(0);
    const s = r.summary;
    expect(s.verdict.class).toBe('ok');
    const [implicit, starttls] = s.attempts;
    expect(implicit!.tls?.authorized).toBe(true);
    expect(implicit!.login).toMatchObject({ method: 'LOGIN', status: 'ok' });
    // One login per run: the second port is probed without one.
    expect(starttls!.login).toBeNull();
    expect(starttls!.capabilities_before_tls).toContain('STARTTLS');
    expect(starttls!.capabilities_before_tls).toContain('LOGINDISABLED');
    expect(starttls!.capabilities).toContain('AUTH=PLAIN');
    expect(starttls!.tls?.after).toBe('starttls');
    const transcript = readFileSync(join(r.folder, implicit!.transcript_file), 'utf8');
    expect(transcript).toMatch(/C {2}a2 LOGIN \[withheld\]/);
    expect(transcript).toMatch(/S {2}a2 OK .*Logged in/);
    for (const t of await everyText(r.folder)) expect(t.includes(PASSWORD)).toBe(false);
    expect(readFileSync(join(r.folder, 'report.md'), 'utf8')).toMatch(/## IMAP/);
  });

  it('IMAP: AUTHENTICATE PLAIN with SASL-IR, the blob withheld', async () => {
    const r = await run('imap', ['--port', `${dv.imap}:starttls`, '--login', '--user', USER, '--mech', 'plain'], PASSWORD);
    expect(r.code, r.stderr).toBe(0);
    expect(r.summary.attempts[0]!.login).toMatchObject({ method: 'PLAIN', status: 'ok' });
    const texts = await everyText(r.folder);
    for (const t of texts) expect(t.includes(b64(`\0${USER}\0${PASSWORD}`))).toBe(false);
    expect(texts.join('\n')).toMatch(/AUTHENTICATE PLAIN \[withheld\]/);
  });

  it('IMAP: a wrong password is auth, with Dovecot\'s AUTHENTICATIONFAILED as evidence', async () => {
    const r = await run('imap', ['--port', `${dv.imaps}:implicit`, '--login', '--user', USER], 'wrong-password');
    expect(r.code).toBe(13);
    expect(r.summary.verdict.class).toBe('auth');
    expect(r.summary.attempts[0]!.classification.rule).toBe('imap-authenticationfailed');
    expect(r.summary.verdict.evidence).toMatch(/NO \[AUTHENTICATIONFAILED\] Authentication failed/);
  }, 30_000);

  it('POP3: a wrong password is auth, with -ERR [AUTH] as evidence; the right one logs in over STLS', async () => {
    const bad = await run('pop3', ['--port', `${dv.pop3s}:implicit`, '--login', '--user', USER], 'wrong-password');
    expect(bad.code).toBe(13);
    expect(bad.summary.attempts[0]!.classification.rule).toBe('pop-authentication-failed');
    expect(bad.summary.verdict.evidence).toMatch(/-ERR \[AUTH\] Authentication failed/);
    const good = await run('pop3', ['--port', `${dv.pop3}:starttls`, '--login', '--user', USER], PASSWORD);
    expect(good.code, good.stderr).toBe(0);
    const a = good.summary.attempts[0]!;
    expect(a.capabilities_before_tls).toContain('STLS');
    expect(a.login).toMatchObject({ method: 'USER', status: 'ok' });
    expect(readFileSync(join(good.folder, a.transcript_file), 'utf8')).toMatch(/C {2}PASS \[withheld\]/);
    for (const t of await everyText(good.folder)) expect(t.includes(PASSWORD)).toBe(false);
  }, 30_000);

  it('before STARTTLS a login is refused (tls): IMAP by LOGINDISABLED, POP3 by USER; no password sent', async () => {
    const imap = await run('imap', ['--port', `${dv.imap}:plain`, '--login', '--user', USER], PASSWORD);
    expect(imap.summary.verdict.class).toBe('tls');
    expect(imap.summary.attempts[0]!.classification.rule).toBe('imap-logindisabled');
    expect(imap.summary.verdict.evidence).toMatch(/LOGINDISABLED/);
    const pop = await run('pop3', ['--port', `${dv.pop3}:plain`, '--login', '--user', USER], PASSWORD);
    expect(pop.code).toBe(12);
    expect(pop.summary.attempts[0]!.classification.rule).toBe('pop-plaintext-disallowed');
    expect(pop.summary.verdict.evidence).toMatch(/Plaintext authentication disallowed/);
    expect(readFileSync(join(pop.folder, pop.summary.attempts[0]!.transcript_file), 'utf8')).not.toMatch(/PASS/);
  }, 30_000);

  it('a certificate for other names is tls / tls-name-mismatch, and the password is not sent', async () => {
    const r = await run('imap', ['--port', `${dv.imaps}:implicit`, '--sni', 'imap.other.invalid', '--login', '--user', USER], PASSWORD);
    expect(r.code).toBe(12);
    const a = r.summary.attempts[0]!;
    expect(a.classification.rule).toBe('tls-name-mismatch');
    expect(a.login?.status).toBe('not-tried');
    expect(readFileSync(join(r.folder, a.transcript_file), 'utf8')).not.toMatch(/C {2}a\d+ LOGIN/);
  });

  it('a closed port is connect / connect-refused', async () => {
    const closed = await freePort([dv.host]);
    const r = await run('pop3', ['--port', `${closed}:implicit`]);
    expect(r.code).toBe(11);
    expect(r.summary.attempts[0]!.classification.rule).toBe('connect-refused');
    expect(r.summary.verdict.evidence).toMatch(new RegExp(`${dv.host.replace(/\./g, '\\.')}:${closed}`));
  });

  describe('XOAUTH2 through Dovecot\'s oauth2 passdb and the identity provider stand-in', () => {
    it('IMAP: a good token from stdin logs in (AUTHENTICATE XOAUTH2 with SASL-IR); the token in no file', async () => {
      const asked = idp.requests();
      const r = await run('imap', ['--port', `${dv.imaps}:implicit`, '--login', '--user', USER, '--xoauth2'], undefined, `${GOOD_TOKEN}\n`);
      expect(r.code, `${r.stderr}${r.summary.verdict.evidence}\n${dv.log().slice(-2000)}`).toBe(0);
      const a = r.summary.attempts[0]!;
      expect(a.classification.rule).toBe('ok-login');
      expect(a.login).toMatchObject({ method: 'XOAUTH2', status: 'ok' });
      expect(r.summary.settings.secret_from).toBe('stdin');
      // Dovecot asked the identity provider: the token went the whole way.
      expect(idp.requests()).toBeGreaterThan(asked);
      const texts = await everyText(r.folder);
      for (const t of texts) {
        expect(t.includes(GOOD_TOKEN)).toBe(false);
        expect(t.includes(b64(`user=${USER}\x01auth=Bearer ${GOOD_TOKEN}\x01\x01`))).toBe(false);
      }
      expect(readFileSync(join(r.folder, a.transcript_file), 'utf8')).toMatch(/C {2}a\d+ AUTHENTICATE XOAUTH2 \[withheld\]/);
    });

    it('IMAP: an expired token from --password-file is auth / auth-xoauth2-rejected: the error challenge answered with an empty line, then NO', async () => {
      const file = join(tempDir('token-'), 'token');
      writeFileSync(file, `${EXPIRED_TOKEN}\n`, { mode: 0o600 });
      const r = await run('imap', ['--port', `${dv.imap}:starttls`, '--login', '--user', USER, '--mech', 'xoauth2', '--password-file', file]);
      expect(r.code, r.stderr).toBe(13);
      const a = r.summary.attempts[0]!;
      expect(a.classification).toMatchObject({ class: 'auth', rule: 'auth-xoauth2-rejected' });
      expect(a.classification.evidence).toMatch(/NO \[AUTHENTICATIONFAILED\] Authentication failed.*after an XOAUTH2 error challenge/);
      expect(a.classification.next_step).toMatch(/Refresh the access token/);
      expect(r.summary.settings.secret_from).toBe(`file ${file}`);
      const transcript = readFileSync(join(r.folder, a.transcript_file), 'utf8');
      // Dovecot's challenge (base64 JSON {"status":"401",...}) is withheld; the client's answer is the empty line RFC 7628 asks for.
      expect(transcript).toMatch(/S {2}\+ \[withheld\]\n[^\n]* C {2}\n[^\n]* S {2}a\d+ NO \[AUTHENTICATIONFAILED\]/);
      for (const t of await everyText(r.folder)) expect(t.includes(EXPIRED_TOKEN)).toBe(false);
    }, 30_000);

    describe.runIf(postfixAvailable())('SMTP --auth-test XOAUTH2: a real Postfix with Dovecot SASL in front of the same passdb', () => {
      let pf: LabPostfix;
      let submission: number;
      beforeAll(async () => {
        const [starttls, implicit] = [await freePort([dv.host]), await freePort([dv.host])];
        submission = await freePort([dv.host]);
        pf = await startPostfix(tempDir('postfix-sasl-'), pki, dv.host, starttls, implicit, [
          `${dv.host}:${submission} inet n - n - - smtpd -o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=dovecot -o smtpd_sasl_path=${dv.saslSocket} -o smtpd_tls_auth_only=yes`,
        ]);
        await waitForPort(dv.host, submission);
      }, 30_000);
      afterAll(() => pf?.stop());

      const smtp = async (token: string) => {
        const out = tempDir('smtp-xoauth2-');
        const r = await runCli(['probe', '--json', '--out', out, '--host', dv.host, '--port', `${submission}:starttls`, '--ca', pki.caCert, '--ehlo-name', 'probe.lab.test', '--auth-test', '--user', USER, '--xoauth2', '--no-starttls-check'], {}, token);
        return { ...r, folder: runFolder(out), summary: ProbeSummarySchema.parse(JSON.parse(r.stdout)) };
      };

      it('a good token is ok-auth; an expired one is auth-xoauth2-rejected after the 334 error challenge, answered with an empty line', async () => {
        const good = await smtp(GOOD_TOKEN);
        expect(good.code, `${good.stderr}${good.summary.verdict.evidence}\n${dv.log().slice(-2000)}`).toBe(0);
        expect(good.summary.attempts[0]!.smtp).toMatchObject({ auth_mechanism: 'XOAUTH2', auth_challenge: false });
        expect(good.summary.attempts[0]!.smtp.auth?.code).toBe(235);
        const bad = await smtp(EXPIRED_TOKEN);
        expect(bad.code).toBe(13);
        const a = bad.summary.attempts[0]!;
        expect(a.classification.hint_id).toBe('auth-xoauth2-rejected');
        expect(a.smtp.auth_challenge).toBe(true);
        expect(a.smtp.auth?.lines.join(' ')).toMatch(/^535 5\.7\.8 Error: authentication failed/);
        expect(readFileSync(join(bad.folder, a.transcript_file), 'utf8')).toMatch(/S {2}334 \[withheld\]\n[^\n]* C {2}\n[^\n]* S {2}535 /);
        for (const r of [good, bad]) for (const t of await everyText(r.folder)) for (const tok of [GOOD_TOKEN, EXPIRED_TOKEN]) expect(t.includes(tok)).toBe(false);
      }, 60_000);
    });

    it('POP3: a good token from --password-env logs in over STLS (AUTH XOAUTH2); an unknown one is auth-xoauth2-rejected with -ERR', async () => {
      const good = await run('pop3', ['--port', `${dv.pop3}:starttls`, '--login', '--user', USER, '--mech', 'xoauth2', '--password-env', 'BOT_OAUTH_TOKEN'], undefined, undefined, { BOT_OAUTH_TOKEN: GOOD_TOKEN });
      expect(good.code, `${good.stderr}${good.summary.verdict.evidence}\n${dv.log().slice(-2000)}`).toBe(0);
      expect(good.summary.attempts[0]!.login).toMatchObject({ method: 'XOAUTH2', status: 'ok' });
      expect(good.summary.settings.secret_from).toBe('env BOT_OAUTH_TOKEN');
      const unknown = `ya29.lab-unknown-${randomBytes(12).toString('hex')}`;
      const bad = await run('pop3', ['--port', `${dv.pop3s}:implicit`, '--login', '--user', USER, '--xoauth2'], undefined, unknown);
      expect(bad.code).toBe(13);
      const a = bad.summary.attempts[0]!;
      expect(a.classification.rule).toBe('auth-xoauth2-rejected');
      expect(a.classification.evidence).toMatch(/-ERR \[AUTH\] Authentication failed/);
      expect(readFileSync(join(bad.folder, a.transcript_file), 'utf8')).toMatch(/S {2}\+ \[withheld\]\n[^\n]* C {2}\n[^\n]* S {2}-ERR/);
      for (const r of [good, bad]) for (const t of await everyText(r.folder)) for (const tok of [GOOD_TOKEN, unknown]) expect(t.includes(tok)).toBe(false);
    }, 30_000);
  });
});

// A real Dovecot from Debian (dovecot-imapd, dovecot-pop3d) as its own instance: its own
// config folder (never /etc/dovecot), passwd-file users, IMAP 143 (STARTTLS) and 993
// (implicit), POP3 110 (STLS) and 995 (implicit) on free loopback ports, the lab CA's
// certificate, and disable_plaintext_auth so a login before TLS is refused as in
// production. With `oauth2`, an oauth2 passdb takes XOAUTH2 and OAUTHBEARER and asks the
// given token introspection endpoint (RFC 7662, introspection_mode = post) about each token.
// Dovecot's master must start as root; the lab runs as root in CI.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabPki } from './ca.js';
import { waitForPort } from './index.js';
import { freePort } from './ports.js';
import { stopChild } from './stop-child.js';

export interface LabDovecot {
  host: string;
  imap: number;
  imaps: number;
  pop3: number;
  pop3s: number;
  /** Dovecot's SASL socket for Postfix's smtpd_sasl_path. */
  saslSocket: string;
  /** The accounts of the passwd file: user -> password. */
  users: Record<string, string>;
  log(): string;
  stop(): Promise<void>;
}

export const DOVECOT_USERS = { 'bot@lab.smtp-probe.test': 'right-password' };

export function dovecotAvailable(): boolean {
  return existsSync('/usr/sbin/dovecot') && existsSync('/usr/lib/dovecot/imap') && existsSync('/usr/lib/dovecot/pop3') && process.getuid?.() === 0;
}

/**
 * `host` is 127.0.0.2 on purpose: Dovecot counts a connection whose remote address equals its
 * local one as secure and allows plaintext logins on it, so a client on 127.0.0.1 talking to
 * 127.0.0.1 would never see disable_plaintext_auth at work. `dir` must be reachable by
 * Dovecot's unprivileged auth and mail processes (a folder under /tmp, not a 0700 scratch).
 */
export async function startDovecot(dir: string, pki: LabPki, host = '127.0.0.2', opts: { oauth2?: { introspectionUrl: string } } = {}): Promise<LabDovecot> {
  for (const d of ['run', 'state', 'mail']) mkdirSync(join(dir, d), { recursive: true });
  // The login and mail processes drop to unprivileged users and must reach these folders.
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'mail'), 0o777);
  const [imap, imaps, pop3, pop3s] = [await freePort([host]), await freePort([host]), await freePort([host]), await freePort([host])];
  writeFileSync(join(dir, 'users'), Object.entries(DOVECOT_USERS).map(([u, p]) => `${u}:{PLAIN}${p}::::::\n`).join(''));
  const conf = join(dir, 'dovecot.conf');
  const oauth2 = join(dir, 'dovecot-oauth2.conf.ext');
  if (opts.oauth2)
    // username_attribute: the introspection answer's field Dovecot compares with the user= of XOAUTH2.
    // timeout_msecs is generous because CI runs many labs at once on two cores.
    writeFileSync(oauth2, `introspection_mode = post\nintrospection_url = ${opts.oauth2.introspectionUrl}\nusername_attribute = username\nactive_attribute = active\nactive_value = true\ntimeout_msecs = 20000\n`);
  const oauthPassdb = opts.oauth2 ? `passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = ${oauth2}\n}\n` : '';
  writeFileSync(
    conf,
    `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap pop3
listen = ${host}
ssl = yes
ssl_cert = <${pki.serverCert}
ssl_key = <${pki.serverKey}
disable_plaintext_auth = yes
# auth_verbose: why a login failed (an oauth2 tempfail names the HTTP error); passwords stay out (auth_verbose_passwords = no).
auth_verbose = yes
auth_mechanisms = plain login${opts.oauth2 ? ' xoauth2 oauthbearer' : ''}
mail_location = maildir:${dir}/mail/%u
default_login_user = dovenull
default_internal_user = dovecot
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u ${dir}/users
}
${oauthPassdb}userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    port = ${imap}
  }
  inet_listener imaps {
    port = ${imaps}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${pop3}
  }
  inet_listener pop3s {
    port = ${pop3s}
    ssl = yes
  }
}
# Dovecot SASL for a lab Postfix (smtpd_sasl_type = dovecot, smtpd_sasl_path = this socket).
service auth {
  unix_listener ${dir}/run/postfix-auth {
    mode = 0666
  }
}
protocol pop3 {
  pop3_uidl_format = %08Xu%08Xv
}
`,
  );
  const child: ChildProcess = spawn('/usr/sbin/dovecot', ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4096)));
  const log = () => (existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : '') + stderr;
  try {
    for (const p of [imap, imaps, pop3, pop3s]) await waitForPort(host, p, 15_000);
  } catch (err) {
    child.kill('SIGTERM');
    throw new Error(`dovecot did not start: ${(err as Error).message}\n${log()}`);
  }
  return {
    host,
    imap,
    imaps,
    pop3,
    pop3s,
    saslSocket: join(dir, 'run', 'postfix-auth'),
    users: DOVECOT_USERS,
    log,
    stop: () => stopChild(child),
  };
}

// A real Postfix from Debian, as its own instance in a temporary config folder:
// a STARTTLS submission-style port and an implicit-TLS (wrapper mode) port on loopback.
// Postfix's master must start as root; the lab runs as root in CI.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabPki } from './ca.js';

export interface LabPostfix {
  host: string;
  starttlsPort: number;
  implicitPort: number;
  stop(): void;
}

const SERVICES = `
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

function findPostfixUid(): number {
  return Number(execFileSync('id', ['-u', 'postfix']).toString().trim());
}

export function postfixAvailable(): boolean {
  return existsSync('/usr/sbin/postfix') && process.getuid?.() === 0;
}

/**
 * `extraServices`: more master.cf lines, e.g. a port with its own `-o` overrides. `exec`: a
 * command prefix for `postfix start` (`ip netns exec NAME`: the master and its daemons then
 * live in that network namespace; stopping works from anywhere, by the master's pid).
 */
export async function startPostfix(dir: string, pki: LabPki, host: string, starttlsPort: number, implicitPort: number, extraServices: string[] = [], exec: string[] = []): Promise<LabPostfix> {
  const conf = join(dir, 'conf');
  const queue = join(dir, 'queue');
  const data = join(dir, 'data');
  for (const d of [conf, queue, data]) mkdirSync(d, { recursive: true });
  chownSync(data, findPostfixUid(), 0);
  // Postfix's daemons drop to the postfix user and must be able to reach their folders.
  chmodSync(join(dir, '..'), 0o755);
  chmodSync(dir, 0o755);
  writeFileSync(
    join(conf, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${queue}`,
      `data_directory = ${data}`,
      'mail_owner = postfix',
      'myhostname = lab.smtp-probe.test',
      'inet_interfaces = loopback-only',
      'inet_protocols = ipv4',
      `maillog_file_prefixes = ${dir}`,
      `maillog_file = ${join(dir, 'postfix.log')}`,
      `smtpd_tls_cert_file = ${pki.serverCert}`,
      `smtpd_tls_key_file = ${pki.serverKey}`,
      'smtpd_tls_security_level = may',
      'smtpd_peername_lookup = no',
      // The fleet bench's runners all probe at once: past Postfix's default 100 smtpd
      // processes, the rest wait and their probes time out on the banner.
      'default_process_limit = 300',
      // Loopback is not a trusted network here, so relaying is refused as on a real submission port.
      'mynetworks = 127.0.0.254/32',
      'smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination',
      'mydestination =',
      'alias_maps =',
      'alias_database =',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(conf, 'master.cf'),
    `${host}:${starttlsPort} inet n - n - - smtpd\n${host}:${implicitPort} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes\n${extraServices.map((l) => `${l}\n`).join('')}${SERVICES}`,
  );
  try {
    const [cmd, ...args] = [...exec, 'postfix', '-c', conf, 'start'];
    execFileSync(cmd!, args, { stdio: 'ignore' });
  } catch {
    const log = existsSync(join(dir, 'postfix.log')) ? readFileSync(join(dir, 'postfix.log'), 'utf8').trim().split('\n').slice(-5).join('\n') : '(no log)';
    throw new Error(`lab: postfix did not start:\n${log}`);
  }
  return {
    host,
    starttlsPort,
    implicitPort,
    stop: () => {
      try {
        execFileSync('postfix', ['-c', conf, 'abort'], { stdio: 'ignore' });
      } catch {
        /* already stopped */
      }
    },
  };
}

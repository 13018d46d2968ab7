// Every failure class the probe names, reproduced on loopback: the probe arguments that
// produce it, and the class, hint and evidence a support engineer should get. docs/testing.md
// carries the same table (a test keeps the two in step).
import type { LabInfo } from '../lab/index.js';
import { LAB_PASSWORD } from '../lab/fault-servers.js';

export interface Scenario {
  group: string;
  name: string;
  args: (lab: LabInfo) => string[];
  env?: (lab: LabInfo) => Record<string, string>;
  stdin?: string;
  expect: { class: string; hint: string; evidence: RegExp };
}

const f = (lab: LabInfo, name: string) => String(lab.faults.ports[name]);
const at = (lab: LabInfo, name: string, mode: string) => ['--host', lab.faults.host, '--port', `${f(lab, name)}:${mode}`];
const gmailVia = (dns: string, port: number, mode = 'starttls') => ['--resolver', dns, '--port', `${port}:${mode}`];
const pw = () => ({ SMTP_PROBE_PASSWORD: LAB_PASSWORD });
const auth = (lab: LabInfo, user: string, port = 'auth') => [...at(lab, port, 'starttls'), '--ca', lab.caFile, '--auth-test', '--user', user];

export const SCENARIOS: Scenario[] = [
  // ---- dns ----
  { group: 'dns', name: 'NXDOMAIN', args: (l) => ['--host', 'nonexistent.smtp-probe.test', '--resolver', l.dns.spec], expect: { class: 'dns', hint: 'dns-nxdomain', evidence: /ENOTFOUND/ } },
  { group: 'dns', name: 'resolver timeout', args: (l) => ['--resolver', l.dnsSilent.spec, '--timeout', 'dns=800ms'], expect: { class: 'dns', hint: 'dns-timeout', evidence: /ETIMEOUT/ } },
  { group: 'dns', name: 'SERVFAIL', args: (l) => ['--resolver', l.faults.dns.servfail], expect: { class: 'dns', hint: 'dns-servfail', evidence: /ESERVFAIL/ } },
  {
    group: 'dns',
    name: 'resolver in use and --dns disagree (the one in use is wrong)',
    args: (l) => [...gmailVia(l.faults.dns.wrong, l.gmail.starttlsPort), '--dns', l.dns.spec, '--ca', l.caFile],
    expect: { class: 'dns', hint: 'dns-wrong-resolver', evidence: /gave 127\.0\.0\.7 .*gives 127\.0\.0\.2, 127\.0\.0\.3/ },
  },
  {
    group: 'dns',
    name: 'hosts-file override of the target',
    args: (l) => [...gmailVia(l.dns.spec, l.gmail.starttlsPort), '--hosts-file', `${l.dir}/hosts`, '--ca', l.caFile],
    expect: { class: 'dns', hint: 'dns-hosts-override', evidence: /hosts line 3: 127\.0\.0\.7 smtp\.gmail\.com/ },
  },
  {
    group: 'dns',
    name: 'AAAA first while IPv6 is unreachable, IPv4 works',
    args: (l) => [...gmailVia(l.faults.dns.dual, l.gmail.starttlsPort), '--ca', l.caFile, '--timeout', 'connect=700ms'],
    expect: { class: 'connect', hint: 'connect-ipv6-unreachable', evidence: /IPv6 \[::1\]:\d+ fails \(timeout\) while IPv4 works/ },
  },
  // ---- connect ----
  { group: 'connect', name: 'refused', args: (l) => ['--host', '127.0.0.7', '--port', String(l.closedPort)], expect: { class: 'connect', hint: 'connect-refused', evidence: /ECONNREFUSED/ } },
  { group: 'connect', name: 'timeout (SYN never answered)', args: (l) => ['--host', l.blackhole.host, '--port', `${l.blackhole.port}:starttls`, '--timeout', 'connect=600ms'], expect: { class: 'connect', hint: 'connect-timeout', evidence: /ETIMEDOUT/ } },
  { group: 'connect', name: 'reset after accept', args: (l) => ['--host', l.gmail.resetting, '--port', `${l.gmail.starttlsPort}:starttls`], expect: { class: 'connect', hint: 'connect-reset', evidence: /ECONNRESET/ } },
  {
    group: 'connect',
    name: 'one address of several resets intermittently',
    args: (l) => ['--host', l.faults.flakyHost, '--port', `${l.gmail.starttlsPort}:starttls`, '--attempts', '4', '--concurrency', '1', '--sni', 'smtp.gmail.com', '--ca', l.caFile],
    expect: { class: 'connect', hint: 'connect-reset', evidence: /127\.0\.0\.5/ },
  },
  // ---- tls ----
  { group: 'tls', name: 'expired certificate', args: (l) => [...at(l, 'expired', 'implicit'), '--sni', 'smtp.gmail.com', '--ca', l.caFile], expect: { class: 'tls', hint: 'tls-cert-expired', evidence: /CERT_HAS_EXPIRED; leaf CN=smtp\.gmail\.com/ } },
  { group: 'tls', name: 'not yet valid (clock skew)', args: (l) => [...at(l, 'notYetValid', 'implicit'), '--sni', 'smtp.gmail.com', '--ca', l.caFile], expect: { class: 'tls', hint: 'tls-cert-not-yet-valid', evidence: /CERT_NOT_YET_VALID/ } },
  { group: 'tls', name: 'name mismatch (SNI / host name)', args: (l) => [...gmailVia(l.dns.spec, l.gmail.implicitPort, 'implicit'), '--sni', 'smtp.example.org', '--ca', l.caFile], expect: { class: 'tls', hint: 'tls-name-mismatch', evidence: /asked for smtp\.example\.org/ } },
  { group: 'tls', name: 'unknown CA', args: (l) => gmailVia(l.dns.spec, l.gmail.implicitPort, 'implicit'), expect: { class: 'tls', hint: 'tls-untrusted', evidence: /UNABLE_TO_VERIFY_LEAF_SIGNATURE.*smtp-probe Lab Root CA/ } },
  { group: 'tls', name: 'server speaks only TLS 1.0/1.1', args: (l) => at(l, 'tls11Only', 'implicit'), expect: { class: 'tls', hint: 'tls-protocol-version', evidence: /protocol|version/i } },
  { group: 'tls', name: 'no shared cipher', args: (l) => at(l, 'noSharedCipher', 'implicit'), expect: { class: 'tls', hint: 'tls-handshake-failure', evidence: /handshake failure/i } },
  { group: 'tls', name: 'TLS off in the bot (--mode plain) where the server wants STARTTLS before AUTH', args: (l) => at(l, 'gmailCleartext', 'plain'), expect: { class: 'tls', hint: 'tls-plain-starttls-required', evidence: /S: 250-STARTTLS \(EHLO in clear text: STARTTLS offered, no AUTH before it\)/ } },
  { group: 'tls', name: 'implicit TLS spoken to a plaintext (STARTTLS) port', args: (l) => ['--host', '127.0.0.1', '--port', `${l.postfix.starttlsPort}:implicit`], expect: { class: 'tls', hint: 'tls-implicit-on-plaintext-port', evidence: /wrong version number|packet length/i } },
  {
    group: 'tls',
    name: 'STARTTLS mode on an implicit-TLS port',
    args: (l) => ['--host', '127.0.0.1', '--port', `${l.postfix.implicitPort}:starttls`, '--timeout', 'smtp=1s'],
    expect: { class: 'tls', hint: 'tls-starttls-on-implicit-port', evidence: /answered a TLS ClientHello/ },
  },
  // ---- auth ----
  { group: 'auth', name: '535 5.7.8 bad credentials / invalid app password', args: (l) => auth(l, 'bad@lab.test'), env: pw, expect: { class: 'auth', hint: 'gmail-535-bad-credentials', evidence: /^S: 535 5\.7\.8 Username and Password not accepted.*\(reply to AUTH PLAIN\)$/ } },
  { group: 'auth', name: '534 5.7.9 application-specific password required (MFA)', args: (l) => auth(l, 'mfa@lab.test'), env: pw, expect: { class: 'auth', hint: 'gmail-534-app-password', evidence: /534 5\.7\.9 Application-specific password required/ } },
  { group: 'auth', name: '534 5.7.14 web login required (less secure apps off)', args: (l) => auth(l, 'weblogin@lab.test'), env: pw, expect: { class: 'auth', hint: 'gmail-534-web-login-required', evidence: /534 5\.7\.14 .*Please log in via your web browser/ } },
  {
    group: 'auth',
    name: 'XOAUTH2 token expired (334 challenge, then 535)',
    args: (l) => [...auth(l, 'good@lab.test'), '--xoauth2'],
    stdin: 'ya29.expired-token-planted-secret\n',
    expect: { class: 'auth', hint: 'auth-xoauth2-rejected', evidence: /reply to AUTH XOAUTH2\), after a 334 error challenge/ },
  },
  {
    group: 'auth',
    name: '530 5.7.0 authentication required',
    args: (l) => [...at(l, 'auth', 'starttls'), '--ca', l.caFile, '--send-test', '--from', 'good@lab.test', '--to', 'someone@lab.test'],
    expect: { class: 'auth', hint: 'gmail-530-auth-required', evidence: /530 5\.7\.0 Authentication Required.*reply to MAIL FROM/ },
  },
  { group: 'auth', name: 'AUTH mechanism not offered', args: (l) => [...auth(l, 'good@lab.test', 'authXoauthOnly'), '--auth-mech', 'plain'], env: pw, expect: { class: 'auth', hint: 'auth-mechanism-not-offered', evidence: /AUTH PLAIN is not offered \(server offers: XOAUTH2\)/ } },
  // ---- smtp-policy ----
  { group: 'smtp-policy', name: 'daily sending limit exceeded', args: (l) => auth(l, 'limit@lab.test'), env: pw, expect: { class: 'smtp-policy', hint: 'gmail-550-daily-sending-limit', evidence: /550 5\.4\.5 Daily user sending limit exceeded/ } },
  {
    group: 'smtp-policy',
    name: 'attachment blocked for content',
    args: (l) => [...auth(l, 'good@lab.test'), '--send-test', '--to', 'someone@lab.test', '--attach', `${l.dir}/invoice.exe`],
    env: pw,
    expect: { class: 'smtp-policy', hint: 'gmail-552-content-blocked', evidence: /552 5\.7\.0 This message was blocked .*reply to the message/ },
  },
  {
    group: 'smtp-policy',
    name: 'relay denied (real Postfix)',
    args: (l) => ['--host', '127.0.0.1', '--port', `${l.postfix.starttlsPort}:starttls`, '--ca', l.caFile, '--send-test', '--from', 'bot@lab.smtp-probe.test', '--to', 'someone@example.org'],
    expect: { class: 'smtp-policy', hint: 'generic-relay-denied', evidence: /554 5\.7\.1 <someone@example\.org>: Relay access denied/ },
  },
  { group: 'smtp-policy', name: 'sender rejected', args: (l) => [...auth(l, 'good@lab.test'), '--send-test', '--from', 'ceo@lab.test', '--to', 'someone@lab.test'], env: pw, expect: { class: 'smtp-policy', hint: 'generic-sender-rejected', evidence: /553 5\.7\.1 <ceo@lab\.test>: Sender address rejected/ } },
  // ---- rate-limit ----
  { group: 'rate-limit', name: '421 4.7.0 try again later (greeting)', args: (l) => at(l, 'banner421', 'starttls'), expect: { class: 'rate-limit', hint: 'generic-421-try-again-later', evidence: /^S: 421 4\.7\.0 Try again later/ } },
  { group: 'rate-limit', name: 'Gmail 421 4.7.0 right after EHLO (bad EHLO name)', args: (l) => at(l, 'ehlo421', 'starttls'), expect: { class: 'rate-limit', hint: 'gmail-421-ehlo-rejected', evidence: /\(EHLO\).*reply to EHLO/ } },
  { group: 'rate-limit', name: '454 4.7.0 too many login attempts', args: (l) => auth(l, 'toomany@lab.test'), env: pw, expect: { class: 'rate-limit', hint: 'gmail-454-too-many-logins', evidence: /454 4\.7\.0 Too many login attempts/ } },
  { group: 'rate-limit', name: 'greylisting 450', args: (l) => [...auth(l, 'good@lab.test'), '--send-test', '--to', 'greylist@lab.test'], env: pw, expect: { class: 'rate-limit', hint: 'generic-greylisting', evidence: /450 4\.2\.0 .*Greylisted/ } },
  // ---- proxy ----
  { group: 'proxy', name: 'proxy demanded (proxy variables set, direct connection blocked)', args: (l) => ['--host', '127.0.0.7', '--port', String(l.closedPort)], env: () => ({ HTTPS_PROXY: 'http://proxy.corp.invalid:3128' }), expect: { class: 'proxy', hint: 'proxy-direct-blocked', evidence: /proxy variables are set/ } },
  { group: 'proxy', name: 'HTTP proxy answering on the SMTP port (407)', args: (l) => at(l, 'httpProxy', 'starttls'), expect: { class: 'proxy', hint: 'proxy-http-on-smtp-port', evidence: /^S: HTTP\/1\.1 407 Proxy Authentication Required$/ } },
  { group: 'proxy', name: 'middlebox strips STARTTLS from Gmail\'s EHLO reply', args: (l) => at(l, 'stripped', 'starttls'), expect: { class: 'proxy', hint: 'proxy-starttls-stripped', evidence: /EHLO reply without STARTTLS/ } },
  { group: 'proxy', name: 'TLS interception, issuer of a known product', args: (l) => [...at(l, 'zscaler', 'implicit'), '--sni', 'smtp.gmail.com'], expect: { class: 'proxy', hint: 'proxy-tls-interception', evidence: /issuer looks like Zscaler/ } },
  {
    group: 'proxy',
    name: 'TLS interception root trusted by the OS store, not the bundled roots',
    args: (l) => [...at(l, 'corporate', 'implicit'), '--sni', 'smtp.gmail.com'],
    env: (l) => ({ SSL_CERT_FILE: l.faults.corporateCaFile }),
    expect: { class: 'proxy', hint: 'proxy-tls-interception', evidence: /trusted by the operating system's store but not by the bundled roots/ },
  },
  // ---- unknown ----
  { group: 'unknown', name: 'garbage banner', args: (l) => at(l, 'garbage', 'starttls'), expect: { class: 'unknown', hint: 'unknown-garbage', evidence: /^S: SSH-2\.0-OpenSSH_9\.2p1/ } },
  // ---- ok ----
  { group: 'ok', name: 'ok, with AUTH, MAIL FROM and RSET', args: (l) => auth(l, 'good@lab.test'), env: pw, expect: { class: 'ok', hint: 'ok-auth', evidence: /AUTH PLAIN 235, MAIL FROM 250/ } },
  { group: 'ok', name: 'ok, with AUTH LOGIN', args: (l) => [...auth(l, 'good@lab.test'), '--auth-mech', 'login'], env: pw, expect: { class: 'ok', hint: 'ok-auth', evidence: /AUTH LOGIN 235, MAIL FROM 250/ } },
  { group: 'ok', name: 'ok, test message with attachment sent', args: (l) => [...auth(l, 'good@lab.test'), '--send-test', '--to', 'someone@lab.test', '--attach', `${l.dir}/report.pdf`], env: pw, expect: { class: 'ok', hint: 'ok-auth', evidence: /message 250/ } },
];

// The faults every real client is run against in test/client-texts.lab.test.ts: where in the
// lab each one is, what the client is asked to do there, and the class `explain` must give
// whatever the client prints. `evidence` says what the quoted line must be about, so a
// reading that rests on an outer "sending failed" line does not pass.
import type { FailureClass } from '../payload/classify/classes.js';
import { LAB_PASSWORD } from '../lab/fault-servers.js';
import type { LabInfo } from '../lab/index.js';
import type { Target } from '../lab/mail-clients.js';

/** Servers the client-text test starts beside the lab (a STARTTLS port for what the fault lab offers implicit only). */
export interface ExtraServers {
  expiredStarttls: number;
  tls10Starttls: number;
  /** The lab's certificate on an address its SAN does not list. */
  mismatch: { host: string; port: number };
  /**
   * STARTTLS neither offered nor accepted, as a stripping middlebox leaves it (the fault
   * lab's `stripped` only hides it from EHLO, and clients that try STARTTLS anyway get TLS).
   */
  stripped: number;
}

/** Another class or evidence for one client; or it is not run (skip); or it does not fail at all (succeeds: why). */
export type ClientExpectation = { class?: FailureClass; evidence?: RegExp } | { skip: string } | { succeeds: string };

export interface ClientTextScenario {
  id: string;
  what: string;
  target(lab: LabInfo, x: ExtraServers): Target;
  /** Logs in or sends: clients that only set up a connection (openssl) skip it. */
  sends: boolean;
  class: FailureClass;
  evidence: RegExp;
  clients?: Record<string, ClientExpectation>;
}

// Generous by default (a loaded CI machine, and SmtpClient.Timeout covers the whole send); short where waiting is the fault.
const TIMEOUT = 20_000;
const SHORT = 2500;
const base = { from: 'good@lab.test', to: 'someone@lab.test', timeoutMs: TIMEOUT, trust: true } as const;
/**
 * System.Net.Mail tries the next AUTH mechanism after a 535/534, then sends MAIL FROM
 * unauthenticated: what it reports is the server's 530 to MAIL, not the refused login.
 */
const DOTNET_AUTH = { evidence: /5\.7\.0 Authentication Required/ };
const faults = (lab: LabInfo, name: string) => ({ host: lab.faults.host, port: lab.faults.ports[name]! });

export const CLIENT_TEXT_SCENARIOS: readonly ClientTextScenario[] = [
  {
    id: 'wrong-password',
    what: 'Gmail-like 535 5.7.8 for a wrong password',
    target: (l) => ({ ...base, ...faults(l, 'auth'), mode: 'starttls', user: 'bad@lab.test', password: 'not the password' }),
    sends: true,
    class: 'auth',
    evidence: /535|Username and Password not accepted|Login denied/i,
    clients: { 'dotnet-smtpclient': DOTNET_AUTH },
  },
  {
    id: 'app-password-required',
    what: 'Gmail-like 534 5.7.9 application-specific password required',
    target: (l) => ({ ...base, ...faults(l, 'auth'), mode: 'starttls', user: 'mfa@lab.test', password: LAB_PASSWORD }),
    sends: true,
    class: 'auth',
    evidence: /534|Application-specific password/i,
    // curl prints no reply text for a refused login.
    clients: { curl: { evidence: /Login denied/ }, 'dotnet-smtpclient': DOTNET_AUTH },
  },
  {
    id: 'auth-required',
    what: 'Gmail-like 530 5.7.0 to MAIL FROM without AUTH',
    target: (l) => ({ ...base, ...faults(l, 'auth'), mode: 'starttls' }),
    sends: true,
    class: 'auth',
    evidence: /530|Authentication Required/i,
  },
  {
    id: 'sender-rejected',
    what: '553 5.7.1 sender address not owned by the logged-in user',
    target: (l) => ({ ...base, ...faults(l, 'auth'), mode: 'starttls', user: 'good@lab.test', password: LAB_PASSWORD, from: 'ceo@lab.test' }),
    sends: true,
    class: 'smtp-policy',
    evidence: /553|Sender address rejected/i,
  },
  {
    id: 'relay-denied',
    what: 'real Postfix: 554 5.7.1 Relay access denied to an outside recipient',
    target: (l) => ({ ...base, host: '127.0.0.1', port: l.postfix.starttlsPort, mode: 'starttls', from: 'bot@lab.smtp-probe.test', to: 'someone@example.org' }),
    sends: true,
    class: 'smtp-policy',
    evidence: /554|Relay access denied/i,
  },
  {
    id: 'connection-refused',
    what: 'a closed port',
    target: (l) => ({ ...base, host: '127.0.0.7', port: l.closedPort, mode: 'starttls' }),
    sends: false,
    class: 'connect',
    evidence: /refused|\(7\)/i,
  },
  {
    id: 'connect-timeout',
    what: 'a listener that never accepts (SYNs dropped, like a filtering firewall)',
    target: (l) => ({ ...base, host: l.blackhole.host, port: l.blackhole.port, mode: 'starttls', timeoutMs: SHORT }),
    sends: false,
    class: 'connect',
    evidence: /time[d ]? ?out|\(28\)/i,
    clients: { 'openssl-s_client': { skip: 's_client has no connect timeout: it waits for the kernel (minutes)' } },
  },
  {
    id: 'unknown-host',
    what: 'a .invalid name the lab DNS answers NXDOMAIN',
    target: () => ({ ...base, host: 'smtp.no-such-host.invalid', port: 587, mode: 'starttls', labResolver: true }),
    sends: false,
    class: 'dns',
    evidence: /no-such-host|resolve|not known|ENOTFOUND|UnknownHost/i,
  },
  {
    id: 'untrusted-ca',
    what: 'STARTTLS to a certificate from a CA the client does not trust (the lab CA, like a self-signed one)',
    target: (l) => ({ ...base, host: l.gmail.healthy[0]!, port: l.gmail.starttlsPort, mode: 'starttls', trust: false }),
    sends: false,
    class: 'tls',
    evidence: /certif|PKIX|verify|trust/i,
  },
  {
    id: 'expired-certificate',
    what: 'STARTTLS to an expired certificate from the trusted lab CA',
    target: (_l, x) => ({ ...base, host: '127.0.0.1', port: x.expiredStarttls, mode: 'starttls' }),
    sends: false,
    class: 'tls',
    evidence: /expired|NotTimeValid|validity|certif/i,
  },
  {
    id: 'name-mismatch',
    what: 'STARTTLS to a trusted certificate whose SAN does not list the address connected to',
    target: (_l, x) => ({ ...base, ...x.mismatch, mode: 'starttls' }),
    sends: false,
    class: 'tls',
    evidence: /name|mismatch|altname|match|identity|IP address/i,
    clients: {
      javamail: { succeeds: 'JavaMail 1.6 checks no server identity unless mail.smtp.ssl.checkserveridentity=true' },
      'jakarta-mail': { succeeds: 'Jakarta Mail 2.0 checks no server identity unless mail.smtp.ssl.checkserveridentity=true' },
      swaks: { succeeds: 'swaks 20201014 --tls-verify checks the chain, not the IP address against the certificate' },
      // s_client prints the mismatch above its generic "certificate verify failed" line, which is read first.
      'openssl-s_client': { evidence: /certificate verify failed/ },
    },
  },
  {
    id: 'tls-version-too-old',
    what: 'STARTTLS to a server that speaks only TLS 1.0',
    target: (_l, x) => ({ ...base, host: '127.0.0.1', port: x.tls10Starttls, mode: 'starttls' }),
    sends: false,
    class: 'tls',
    evidence: /protocol|version|handshake|legacy sigalg/i,
  },
  {
    id: 'implicit-tls-on-starttls-port',
    what: 'implicit TLS to real Postfix\'s plaintext (STARTTLS) port',
    target: (l) => ({ ...base, host: '127.0.0.1', port: l.postfix.starttlsPort, mode: 'implicit' }),
    sends: false,
    class: 'tls',
    evidence: /wrong version number|plaintext|SSL|TLS/i,
  },
  {
    id: 'starttls-on-implicit-port',
    what: 'a STARTTLS client waiting for a greeting on real Postfix\'s implicit-TLS port',
    target: (l) => ({ ...base, host: '127.0.0.1', port: l.postfix.implicitPort, mode: 'starttls', timeoutMs: SHORT }),
    sends: false,
    class: 'connect',
    evidence: /time[d ]? ?out|greeting|\(28\)/i,
    clients: { 'openssl-s_client': { skip: 's_client waits for the greeting without a timeout' } },
  },
  {
    id: 'greeting-421',
    what: '421 4.7.0 try again later as the greeting',
    target: (l) => ({ ...base, ...faults(l, 'banner421'), mode: 'starttls' }),
    sends: false,
    class: 'rate-limit',
    evidence: /421|4\.7\.0 Try again later/,
    // s_client does not print the greeting: all it says is that no STARTTLS came.
    clients: { 'openssl-s_client': { class: 'tls', evidence: /STARTTLS/ } },
  },
  {
    id: 'starttls-stripped',
    what: 'STARTTLS required by the client, missing from the EHLO reply (stripped by a middlebox)',
    target: (_l, x) => ({ ...base, host: '127.0.0.1', port: x.stripped, mode: 'starttls' }),
    sends: false,
    class: 'tls',
    evidence: /STARTTLS|secure connection|TLS/i,
  },
];

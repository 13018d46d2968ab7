// Real mail clients a bot is built on, driven against the lab so the tests see the exact
// error texts they print: Python smtplib, nodemailer, curl, openssl s_client, swaks, .NET
// System.Net.Mail and MailKit (lab/clients/dotnet), JavaMail 1.6 and Jakarta Mail 2.0
// (lab/clients/java, Debian's libmail-java and libjakarta-mail-java).
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type Mode = 'plain' | 'starttls' | 'implicit';

/** What one client is asked to do: connect, maybe log in, send one message. */
export interface Target {
  mode: Mode;
  host: string;
  port: number;
  /** Log in with these; none: send without AUTH. */
  user?: string;
  password?: string;
  from: string;
  to: string;
  /** Trust the lab's CA (each client through its own setting); false: the client's defaults only. */
  trust: boolean;
  /** The client's connect/read timeout. */
  timeoutMs: number;
  /** Resolve names through the lab's NXDOMAIN-only DNS (a private mount of /etc/resolv.conf). */
  labResolver?: boolean;
}

/** Files the clients need, made once per run by `prepareClients`. */
export interface ClientKit {
  caFile: string;
  /** The lab CA in a PKCS12 store, for Java (which reads no PEM bundle). */
  javaTrustStore: string;
  /** resolv.conf naming the lab's DNS on port 53 (see Target.labResolver). */
  resolvConf: string;
  dotnetDll: string;
  javaClasses: { javax: string; jakarta: string };
}

export interface MailClient {
  id: string;
  modes: readonly Mode[];
  /** Can log in and send a message (openssl s_client only sets up the connection). */
  sends: boolean;
  /** Has a connect timeout of its own (openssl s_client waits for the kernel). */
  connectTimeout: boolean;
  command(t: Target, kit: ClientKit): { cmd: string; args: string[]; env?: Record<string, string> };
  version(kit: ClientKit): Promise<string>;
}

const ROOT = new URL('..', import.meta.url).pathname;
const CLIENTS_DIR = join(ROOT, 'lab/clients');
const JAVAX_CP = ['/usr/share/java/javax.mail.jar', '/usr/share/java/javax.activation.jar'];
const JAKARTA_CP = ['/usr/share/java/jakarta-mail.jar', '/usr/share/java/jakarta-activation.jar'];
const BODY = 'Subject: smtp-probe client text\r\n\r\nharvested by test/client-texts.lab.test.ts\r\n';
const user = (t: Target) => t.user ?? '-';
const pass = (t: Target) => t.password ?? '-';
const secs = (t: Target) => String(t.timeoutMs / 1000);
// swaks takes whole seconds only.
const wholeSecs = (t: Target) => `${Math.ceil(t.timeoutMs / 1000)}s`;
const first = async (cmd: string, args: string[]) => (await run(cmd, args)).stdout.trim().split('\n')[0]!;

const dotnet = (lib: string): MailClient['command'] => (t, kit) => ({
  cmd: 'dotnet',
  args: [kit.dotnetDll, lib, t.mode, t.host, String(t.port), user(t), pass(t), t.from, t.to, String(t.timeoutMs)],
  // .NET on Linux reads its roots from OpenSSL's locations, which SSL_CERT_FILE replaces.
  env: t.trust ? { SSL_CERT_FILE: kit.caFile } : undefined,
});

const java = (flavour: 'javax' | 'jakarta'): MailClient['command'] => (t, kit) => ({
  cmd: 'java',
  args: [
    '-XX:TieredStopAtLevel=1',
    '-Xshare:auto',
    ...(t.trust ? [`-Djavax.net.ssl.trustStore=${kit.javaTrustStore}`, '-Djavax.net.ssl.trustStorePassword=changeit', '-Djavax.net.ssl.trustStoreType=PKCS12'] : []),
    '-cp',
    [kit.javaClasses[flavour], ...(flavour === 'javax' ? JAVAX_CP : JAKARTA_CP)].join(':'),
    'SendMail',
    t.mode,
    t.host,
    String(t.port),
    user(t),
    pass(t),
    t.from,
    t.to,
    String(t.timeoutMs),
  ],
});

export const MAIL_CLIENTS: readonly MailClient[] = [
  {
    id: 'python-smtplib',
    modes: ['plain', 'starttls', 'implicit'],
    sends: true,
    connectTimeout: true,
    command: (t, kit) => ({ cmd: '/usr/bin/python3', args: [join(CLIENTS_DIR, 'smtplib-send.py'), t.mode, t.host, String(t.port), user(t), pass(t), t.from, t.to, secs(t)], env: t.trust ? { SSL_CERT_FILE: kit.caFile } : undefined }),
    version: async () => first('/usr/bin/python3', ['-c', 'import sys, ssl; print(f"Python {sys.version.split()[0]} smtplib, {ssl.OPENSSL_VERSION}")']),
  },
  {
    id: 'nodemailer',
    modes: ['plain', 'starttls', 'implicit'],
    sends: true,
    connectTimeout: true,
    command: (t, kit) => ({ cmd: process.execPath, args: [join(CLIENTS_DIR, 'nodemailer-send.mjs'), t.mode, t.host, String(t.port), user(t), pass(t), t.from, t.to, String(t.timeoutMs)], env: t.trust ? { NODE_EXTRA_CA_CERTS: kit.caFile } : undefined }),
    version: async () => `nodemailer ${(JSON.parse(readFileSync(join(ROOT, 'node_modules/nodemailer/package.json'), 'utf8')) as { version: string }).version}, Node ${process.version}`,
  },
  {
    id: 'curl',
    modes: ['plain', 'starttls', 'implicit'],
    sends: true,
    connectTimeout: true,
    command: (t, kit) => ({
      cmd: 'curl',
      args: [
        '-sS',
        '--url',
        `${t.mode === 'implicit' ? 'smtps' : 'smtp'}://${t.host}:${t.port}`,
        ...(t.mode === 'starttls' ? ['--ssl-reqd'] : []),
        ...(t.trust ? ['--cacert', kit.caFile] : []),
        ...(t.user ? ['--user', `${t.user}:${t.password ?? ''}`] : []),
        '--mail-from',
        t.from,
        '--mail-rcpt',
        t.to,
        '--upload-file',
        '-',
        '--connect-timeout',
        secs(t),
        '--max-time',
        String(t.timeoutMs / 1000 + 3),
      ],
    }),
    version: async () => first('curl', ['--version']),
  },
  {
    id: 'openssl-s_client',
    modes: ['starttls', 'implicit'],
    sends: false,
    connectTimeout: false,
    command: (t, kit) => ({
      cmd: 'openssl',
      args: [
        's_client',
        '-connect',
        `${t.host}:${t.port}`,
        ...(t.mode === 'starttls' ? ['-starttls', 'smtp'] : []),
        '-verify_return_error',
        ...(t.trust ? ['-CAfile', kit.caFile] : []),
        ...(/^[\d.]+$/.test(t.host) ? ['-verify_ip', t.host] : ['-verify_hostname', t.host]),
      ],
    }),
    version: async () => first('openssl', ['version']),
  },
  {
    id: 'swaks',
    modes: ['plain', 'starttls', 'implicit'],
    sends: true,
    connectTimeout: true,
    command: (t, kit) => ({
      cmd: 'swaks',
      args: [
        '--server',
        t.host,
        '--port',
        String(t.port),
        ...(t.mode === 'starttls' ? ['--tls'] : t.mode === 'implicit' ? ['--tlsc'] : []),
        ...(t.mode !== 'plain' ? ['--tls-verify', ...(t.trust ? ['--tls-ca-path', kit.caFile] : [])] : []),
        ...(t.user ? ['--auth', 'LOGIN', '--auth-user', t.user, '--auth-password', t.password ?? ''] : []),
        '--from',
        t.from,
        '--to',
        t.to,
        '--timeout',
        wholeSecs(t),
        '--body',
        BODY,
      ],
    }),
    version: async () => `${await first('swaks', ['--version'])}, ${await first('perl', ['-MIO::Socket::SSL', '-e', 'print "IO::Socket::SSL $IO::Socket::SSL::VERSION, Perl $^V"'])}`,
  },
  {
    id: 'dotnet-smtpclient',
    modes: ['plain', 'starttls'],
    sends: true,
    connectTimeout: true,
    command: dotnet('smtpclient'),
    version: async (kit) => `System.Net.Mail.SmtpClient, ${(await first('dotnet', [kit.dotnetDll, 'version'])).split(';')[0]}`,
  },
  {
    id: 'mailkit',
    modes: ['plain', 'starttls', 'implicit'],
    sends: true,
    connectTimeout: true,
    command: dotnet('mailkit'),
    version: async (kit) => {
      const [net, mk] = (await first('dotnet', [kit.dotnetDll, 'version'])).split('; ');
      return `${mk}, ${net}`;
    },
  },
  { id: 'javamail', modes: ['plain', 'starttls', 'implicit'], sends: true, connectTimeout: true, command: java('javax'), version: async (kit) => first('java', ['-cp', [kit.javaClasses.javax, ...JAVAX_CP].join(':'), 'SendMail', 'version']) },
  { id: 'jakarta-mail', modes: ['plain', 'starttls', 'implicit'], sends: true, connectTimeout: true, command: java('jakarta'), version: async (kit) => first('java', ['-cp', [kit.javaClasses.jakarta, ...JAKARTA_CP].join(':'), 'SendMail', 'version']) },
];

export interface ClientRun {
  code: number | null;
  /** stdout and stderr as they came, interleaved: what a terminal (or a bot's log) shows. */
  text: string;
}

/** Runs one client against one target; killed after `killMs` (openssl waits without limit). */
export function runClient(c: MailClient, t: Target, kit: ClientKit, killMs = 20_000): Promise<ClientRun> {
  const { cmd, args, env } = c.command(t, kit);
  // Only what the client needs: no proxy or CA variables leak in from the test run.
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8', DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' };
  const [file, argv] = t.labResolver ? ['unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', kit.resolvConf, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file as string, argv as string[], { env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), killMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, text: Buffer.concat(chunks).toString('utf8') });
    });
    // curl reads the message from stdin; s_client would wait on an open stdin. A client that
    // has already failed and exited closes its end first (EPIPE): nothing to report then.
    child.stdin.on('error', () => {});
    child.stdin.end(c.id === 'curl' ? `From: ${t.from}\r\nTo: ${t.to}\r\n${BODY}` : '');
  });
}

function newer(out: string, sources: string[]): boolean {
  if (!existsSync(out)) return false;
  const built = statSync(out).mtimeMs;
  return sources.every((s) => statSync(s).mtimeMs < built);
}

/** Builds the .NET and Java drivers into `cacheDir` (skipped when up to date) and the trust files into `dir`. */
export async function prepareClients(o: { caFile: string; dir: string; cacheDir: string; resolver: string }): Promise<ClientKit> {
  const dotnetSrc = join(CLIENTS_DIR, 'dotnet');
  const dotnetOut = join(o.cacheDir, 'dotnet');
  const dotnetDll = join(dotnetOut, 'bin/SendMail/release/SendMail.dll');
  const javaSrc = join(CLIENTS_DIR, 'java/SendMail.java');
  const javaOut = { javax: join(o.cacheDir, 'java/javax'), jakarta: join(o.cacheDir, 'java/jakarta') };
  const buildDotnet = async () => {
    if (newer(dotnetDll, [join(dotnetSrc, 'Program.cs'), join(dotnetSrc, 'SendMail.csproj')])) return;
    await run('dotnet', ['build', dotnetSrc, '-c', 'Release', '--artifacts-path', dotnetOut, '--nologo', '-v', 'q'], { env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' } });
  };
  const buildJava = async (flavour: 'javax' | 'jakarta') => {
    const out = javaOut[flavour];
    if (newer(join(out, 'SendMail.class'), [javaSrc])) return;
    rmSync(out, { recursive: true, force: true });
    const src = join(out, 'src');
    mkdirSync(src, { recursive: true });
    // One source for both: Jakarta Mail 2.0 is JavaMail 1.6 with the packages renamed.
    const text = readFileSync(javaSrc, 'utf8');
    writeFileSync(join(src, 'SendMail.java'), flavour === 'javax' ? text : text.replace(/javax\.mail/g, 'jakarta.mail'));
    await run('javac', ['-nowarn', '-d', out, '-cp', (flavour === 'javax' ? JAVAX_CP : JAKARTA_CP).join(':'), join(src, 'SendMail.java')]);
  };
  const javaTrustStore = join(o.dir, 'lab-ca.p12');
  const trust = async () => {
    rmSync(javaTrustStore, { force: true });
    await run('keytool', ['-importcert', '-noprompt', '-alias', 'smtp-probe-lab', '-file', o.caFile, '-keystore', javaTrustStore, '-storepass', 'changeit', '-storetype', 'PKCS12']);
  };
  await Promise.all([buildDotnet(), buildJava('javax'), buildJava('jakarta'), trust()]);
  const resolvConf = join(o.dir, 'resolv.conf');
  writeFileSync(resolvConf, `nameserver ${o.resolver}\noptions timeout:1 attempts:1\n`);
  return { caFile: o.caFile, javaTrustStore, resolvConf, dotnetDll, javaClasses: javaOut };
}

// Bad input: one clear line on stderr, exit code 2, no stack trace, nothing written.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLASSES, EXIT_CODES } from '../payload/classify/classes.js';
import { EXIT_INTERNAL, EXIT_USAGE } from '../payload/util/errors.js';
import { VERSION } from '../payload/version.js';
import { CLI, ROOT, runCli, tempDir } from './helpers.js';

describe('smtp-probe command line', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    const r = await runCli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('lists every exit code in --help, from the constants', async () => {
    for (const args of [['--help'], ['probe', '--help']]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      for (const c of CLASSES) expect(r.stdout).toContain(`${EXIT_CODES[c]} ${c}`);
      expect(r.stdout).toContain(`${EXIT_USAGE} bad usage`);
      expect(r.stdout).toContain(`${EXIT_INTERNAL} internal error`);
    }
  });

  it('sends no escape sequence to a pipe or a dumb terminal, whatever TERM and NO_COLOR say', async () => {
    for (const env of [{ TERM: 'dumb' }, { TERM: 'xterm-256color' }, { TERM: 'xterm-256color', FORCE_COLOR: '1' }]) {
      const r = await runCli(['probe', '--host', '127.0.0.1', '--port', '1', '--timeout', '2s', '--out', tempDir()], env);
      expect(r.code).toBe(11);
      expect(r.stdout).toMatch(/^verdict: {4}connect - /);
      expect(r.stdout + r.stderr).not.toContain('\x1b');
    }
  });

  it('a DNS failure says "no address to connect to" once, with no 0/0 and no empty table', async () => {
    const out = tempDir();
    const r = await runCli(['probe', '--host', 'nothing.invalid', '--timeout', 'dns=3s', '--out', out], { TERM: 'dumb' });
    expect(r.code).toBe(10);
    expect(r.stdout).toMatch(/^success: {4}no address to connect to$/m);
    expect(r.stdout).not.toMatch(/0\/0/);
    const run = readdirSync(out).find((n) => n.startsWith('smtp-probe-'))!;
    const report = readFileSync(join(out, run, 'report.md'), 'utf8');
    expect(report.match(/no address to connect to/g)).toHaveLength(1);
    expect(report).not.toMatch(/0\/0|dns 0|## Connections|## Sweep/);
    expect(report).not.toContain('\n\n\n');
    // Every table left has a row under its header.
    const lines = report.split('\n');
    for (const [i, l] of lines.entries()) if (/^\|---/.test(l)) expect(lines[i + 1], report).toMatch(/^\| /);
  });

  it('prints the JSON Schema of probe_summary.json', async () => {
    const r = await runCli(['schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as { $schema: string; properties: Record<string, unknown>; required: string[] };
    expect(schema.$schema).toContain('2020-12');
    expect(schema.required).toEqual(expect.arrayContaining(['schema_version', 'attempts', 'verdict', 'sweep']));
  });

  const notAFile = join(tempDir(), 'file');
  writeFileSync(notAFile, 'x');
  const cases: Array<[string, string[], RegExp]> = [
    ['a malformed host', ['--host', 'smtp..gmail com'], /invalid --host "smtp\.\.gmail com"/],
    ['a port out of range', ['--port', '70000'], /invalid --port "70000": port out of range/],
    ['a port that is not a number', ['--port', 'smtp'], /invalid --port "smtp"/],
    ['an unknown mode on a port', ['--port', '25:tls'], /invalid --port mode "tls"/],
    ['a bad duration', ['--timeout', '5 parsecs'], /invalid --timeout "5 parsecs"/],
    ['an unknown timeout stage', ['--timeout', 'auth=5s'], /stage must be one of dns, connect, tls, smtp/],
    ['an unreadable --ca', ['--ca', '/nonexistent/ca.pem'], /cannot read --ca "\/nonexistent\/ca\.pem": ENOENT/],
    ['a --ca without certificates', ['--ca', notAFile], /holds no PEM certificate/],
    ['an unwritable --out', ['--out', join(notAFile, 'sub')], /cannot write to --out .*: (ENOTDIR|EEXIST)/],
    ['an unknown option', ['--frobnicate'], /unknown option '--frobnicate'/],
    ['a bad resolver', ['--resolver', 'dns.google'], /invalid --resolver "dns\.google"/],
    ['a bad family', ['--family', '5'], /argument '5' is invalid/],
    ['zero attempts', ['--attempts', '0'], /invalid --attempts "0"/],
    ['a password in the --proxy URL', ['--proxy', 'http://botsvc:Pl4nted-pw@127.0.0.1:3128'], /^smtp-probe: error: --proxy must not carry a password \(argv/],
    ['a --proxy-password option', ['--proxy-password', 'Pl4nted-pw'], /proxy passwords are never taken on the command line/],
    ['an unsupported proxy scheme', ['--proxy', 'https://127.0.0.1:443'], /invalid --proxy: unsupported scheme "https"/],
    ['a proxy user without a password source', ['--proxy', 'socks5://botsvc@127.0.0.1:1080'], /--proxy names user "botsvc": give its password with --proxy-password-env/],
    ['an unset --proxy-password-env', ['--proxy', 'http://botsvc@127.0.0.1:3128', '--proxy-password-env', 'NOT_SET_ANYWHERE'], /--proxy-password-env NOT_SET_ANYWHERE: the variable is not set/],
    ['a proxy password option without --proxy', ['--proxy-password-file', notAFile], /only apply with --proxy URL/],
  ];
  for (const [what, args, message] of cases) {
    it(`rejects ${what} with exit 2 and one line`, async () => {
      const out = tempDir();
      const r = await runCli(['probe', '--out', out, '--host', '127.0.0.1', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toContain('Pl4nted-pw');
      expect(readdirSync(out)).toEqual([]);
    });
  }
});

describe('smtp-probe with its stdout closed early (`smtp-probe schema | head -1`)', () => {
  it.each([['schema'], ['--help'], ['--version'], ['completion bash'], ['man'], ['explain 550 5.7.1 relay denied'], ['probe --help']])('%s exits quietly, without an EPIPE stack trace', async (cmd) => {
    const child = spawn(process.execPath, [CLI, ...cmd.split(' ')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the first line is written
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect([0, EXIT_CODES['smtp-policy']]).toContain(code);
  });
});

describe('smtp-probe tee command line', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a non-loopback --listen without --allow-remote', ['--listen', '0.0.0.0:2525'], /not a loopback address: .* add --allow-remote/],
    ['a --listen without a port', ['--listen', '127.0.0.1'], /invalid --listen "127\.0\.0\.1": expected host:port/],
    ['an --upstream port out of range', ['--upstream', 'smtp.gmail.com:99999'], /invalid --upstream .*port must be 1 to 65535/],
    ['an unknown --bot-tls', ['--bot-tls', 'tls'], /argument 'tls' is invalid/],
    ['zero --max-sessions', ['--max-sessions', '0'], /invalid --max-sessions "0"/],
    ['a bad --max-message-bytes', ['--max-message-bytes', 'lots'], /invalid --max-message-bytes "lots"/],
    ['a bad --idle-timeout', ['--idle-timeout', 'soon'], /invalid --idle-timeout "soon"/],
  ];
  for (const [what, args, message] of cases) {
    it(`rejects ${what} with exit 2 and one line`, async () => {
      const out = tempDir();
      const r = await runCli(['tee', '--out', out, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
      expect(readdirSync(out)).toEqual([]);
    });
  }

  it('prints the JSON Schema of tee_summary.json', async () => {
    const r = await runCli(['schema', '--file', 'tee_summary']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { required: string[] }).required).toEqual(expect.arrayContaining(['sessions', 'certificate', 'verdict']));
  });
});

describe('smtp-probe explain', () => {
  it('explains a reply given as arguments, in text', async () => {
    const r = await runCli(['explain', '--stage', 'auth', '534-5.7.9 Application-specific password required. Learn more at', '534 5.7.9 https://support.google.com/mail/?p=InvalidSecondFactor x - gsmtp']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^class: +auth$/m);
    expect(r.stdout).toMatch(/rule gmail-534-app-password/);
  });

  it('reads a pasted bounce from stdin and prints JSON', async () => {
    const bounce = 'Delivery incomplete\nThe response was:\n550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852 x - gsmtp\n';
    const r = await runCli(['explain', '--json'], {}, bounce);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { class: string; rule: string; code: number; enhanced: string[]; provider: string };
    expect(out).toMatchObject({ class: 'smtp-policy', rule: 'gmail-550-daily-sending-limit', code: 550, provider: 'gmail' });
    expect(out.enhanced).toEqual(['5.4.5']);
  });

  it('reads a pasted Java stack trace from stdin: library, innermost cause, and the text form', async () => {
    const trace = [
      'javax.mail.MessagingException: Could not connect to SMTP host: smtp.example.com, port: 587;',
      '  nested exception is:',
      '\tjava.net.ConnectException: Connection refused (Connection refused)',
      '\tat com.sun.mail.smtp.SMTPTransport.openServer(SMTPTransport.java:2209)',
      '',
    ].join('\n');
    const j = await runCli(['explain', '--json'], {}, trace);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ class: 'connect', rule: 'java-connection-refused', library: 'javamail', evidence_line: 'java.net.ConnectException: Connection refused (Connection refused)', code: null });
    const t = await runCli(['explain'], {}, trace);
    expect(t.stdout).toMatch(/^library: +javamail$/m);
    expect(t.stdout).toMatch(/^evidence: +java\.net\.ConnectException: Connection refused/m);
  });

  it('rejects empty input and unknown stages with exit 2', async () => {
    expect((await runCli(['explain'], {}, '')).code).toBe(2);
    const r = await runCli(['explain', '--stage', 'helo', '550 x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid --stage "helo"/);
  });
});

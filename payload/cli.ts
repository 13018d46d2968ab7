#!/usr/bin/env node
// smtp-probe: the payload's command line. Kept light at start-up: each command loads
// its own modules only when it runs, so `--version` stays fast on a cold runner.
import { Command, CommanderError, Option } from 'commander';
import { exitCodeRows, exitCodesHelp } from './classify/classes.js';
import { addDocCommands } from './util/doc-commands.js';
import { DEFAULT_NTP } from './diagnose/defaults.js';
import { expandArgsB64 } from './util/args-b64.js';
import { EXIT_INTERNAL, EXIT_USAGE, SmtpProbeError, UsageError, errorMessage } from './util/errors.js';
import { VERSION } from './version.js';
import { PRESET_NAMES } from './probe/preset-names.js';

// Repeatable flags start undefined (not []) so --help shows no meaningless default.
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

const EXIT_CODES_HELP = exitCodesHelp();

const DIAGNOSE_HELP = `Automation Anywhere use:
  Pre-flight (before enabling a bot; keep the ZIP with the run artifacts):
    smtp-probe diagnose --aa-config C:\\Bots\\mail.json --aa-activity "Send invoices" --out C:\\BotArtifacts
  On failure (the bot's error handler, same server/port/mode as the bot):
    smtp-probe diagnose --host smtp.gmail.com --port 587:starttls --aa-activity "Send invoices"
      --aa-run-id <bot run id> --aa-host https://cr.example.com --since 2h --out C:\\BotArtifacts --zip-to C:\\BotArtifacts\\smtp-diagnose.zip
  The run folder smtp-probe-YYYYMMDD_HHMMSS is created under --out; attach its
  attachments/all_files.zip (or the --zip-to copy) to the incident. Every file is redacted.`;

/** The flags probe and diagnose share: diagnose runs the same probe. */
function addProbeOptions(cmd: Command): Command {
  return cmd
    .option('--host <host>', 'SMTP server host name or IP', 'smtp.gmail.com')
    .option('--provider <name>', `take host, ports and modes from a provider preset (${PRESET_NAMES.join(', ')}); --host/--port still win`)
    .option('--region <region>', 'the region of a regional preset (ses; default us-east-1)')
    .option('--port <port[:mode]>', 'port to probe, repeatable; a port may carry its own mode, e.g. 2525:starttls (default: 587 and 465)', collect)
    .addOption(new Option('--mode <mode>', 'TLS mode for ports without their own: auto = 465 implicit, others STARTTLS').choices(['auto', 'starttls', 'implicit', 'plain']).default('auto'))
    .option('--attempts <n>', 'rounds over every address and port', '1')
    .option('--concurrency <n>', 'attempts in flight at once', '4')
    .option('--timeout <duration|stage=duration>', 'per-stage timeout (stages: dns, connect, tls, smtp), e.g. 5s, 500ms, connect=3s; repeatable', collect)
    .option('--dns <server[:port]>', 'also ask this resolver and compare its answers with the system one; repeatable', collect)
    .option('--resolver <server[:port]>', 'resolve the target with this DNS server instead of the system resolver (which is then not asked)')
    .option('--hosts-file <file>', 'hosts file to check for overrides of the host (default: the OS one)')
    .addOption(new Option('--family <family>', 'address family to probe').choices(['4', '6', 'any']).default('any'))
    .option('--sni <name>', 'TLS server name to send and verify (default: the host, none for an IP)')
    .option('--ehlo-name <name>', 'name to send in EHLO (default: this machine\'s host name)')
    .option('--ca <file>', 'extra trusted CA certificates (PEM), added to the bundled roots; repeatable', collect)
    .option('--out <dir>', 'folder in which the run folder smtp-probe-YYYYMMDD_HHMMSS is created', '.')
    .option('--zip-to <file>', 'also copy the run\'s all_files.zip to this exact path (used by smtp-fleet to fetch it)')
    .option('--json', 'print probe_summary.json on stdout instead of the human summary')
    .option('-q, --quiet', 'print nothing; the exit code carries the verdict')
    .option('--auth-test', 'also authenticate (PLAIN/LOGIN, or XOAUTH2 with --xoauth2), then MAIL FROM and RSET; only over verified TLS')
    .option('--user <address>', 'account for --auth-test')
    .option('--password-env <var>', 'environment variable holding the password (default SMTP_PROBE_PASSWORD, else a no-echo prompt)')
    .option('--password-file <file>', 'file holding the password')
    .option('--password-stdin', 'read the password from standard input (first line); how smtp-fleet hands it over')
    .option('--xoauth2', 'authenticate with an OAuth 2.0 access token, read from standard input (or from --password-env / --password-file when given)')
    .option('--auth-mech <mech>', 'auto, plain, login or xoauth2', 'auto')
    .option('--auth-max <n>', 'AUTH attempts in this run at most, to stay clear of login lockouts', '1')
    .option('--send-test', 'send one small test message (MAIL FROM, RCPT TO, DATA) to reproduce content or policy rejections')
    .option('--to <address>', 'recipient of --send-test')
    .option('--from <address>', 'sender of --send-test (default: --user)')
    .option('--attach <file>', 'attach this file to the --send-test message (25 MB at most)')
    .option('--no-starttls-check', 'do not send MAIL FROM and RSET on the plain channel before STARTTLS (the check that TLS is required)')
    .option('--greylist-wait <duration>', 'longest greylisting delay to wait for before the next round retries (needs --attempts 2+ and --send-test)', '6m')
    .option('--tarpit-threshold <duration>', 'a banner or reply slower than this is reported as a tarpit (default: esmtp-timing.json, 10s)')
    .option('--proxy <url|auto>', 'go through a proxy: http://[user@]host:port (HTTP CONNECT), socks5://... (names resolved here), socks5h://... (the proxy resolves); auto = the proxy this machine is configured for, probed next to the direct path')
    .option('--proxy-password-env <var>', 'environment variable holding the proxy password (for a user in --proxy)')
    .option('--proxy-password-file <file>', 'file holding the proxy password (first line)')
    .option('--tls-matrix', 'also find which TLS versions (1.0-1.3) and suites each TLS port accepts, next to what this runtime offers (bounded: 60 handshakes, 60 s per port)')
    .option('--sender-domain <domain>', 'also audit the domain the bot sends as (MX, SPF, DMARC, MTA-STS, TLS-RPT, DANE) and the egress IP against the DNSBLs, alongside the probe; does not change the exit code')
    .option('--dkim-selector <selector>', 'with --sender-domain: also check the DKIM key at <selector>._domainkey.<domain>')
    .option('--egress-ip <ip>', 'with --sender-domain: check this public address against the DNSBLs (default: the one the server\'s EHLO greeting names, as Gmail\'s does)')
    .option('--pcap', 'capture the probe\'s own packets (tcpdump, dumpcap on Windows) into capture.pcap in the run folder and ZIP; needs capture rights')
    .addOption(new Option('--proxy-password <secret>').hideHelp().argParser(() => {
      throw new UsageError('proxy passwords are never taken on the command line: use --proxy-password-env VAR or --proxy-password-file FILE');
    }))
    .addOption(new Option('--password <secret>').hideHelp().argParser(() => {
      throw new UsageError('passwords are never taken on the command line: use --password-env VAR, --password-file FILE or the prompt');
    }));
}

function buildProgram(): Command {
  const program = new Command('smtp-probe')
    .description('Reproduce and explain SMTP sending failures (Gmail and others) from the machine where a bot runs.')
    .version(VERSION, '-V, --version')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`smtp-probe: ${str.replace(/^error: /, 'error: ')}`) });

  addProbeOptions(
    program
      .command('probe')
      .description('Resolve, connect to every address, do TLS and the SMTP dialogue up to AUTH; write evidence and a verdict.'),
  )
    .option('--junit <file>', 'also write the attempts as JUnit XML (one testcase per address, port and attempt) for Jenkins or GitLab')
    .option('--jsonl <file|->', 'also write one JSON object per attempt, one per line (- for stdout, instead of the summary)')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .action(async (opts, cmd: Command) => {
      const [{ probeCommand }, { applyPreset }] = await Promise.all([import('./probe/run.js'), import('./probe/presets.js')]);
      applyPreset(opts, (flag) => cmd.getOptionValueSource(flag) === 'cli');
      process.exitCode = await probeCommand(opts);
    });

  addProbeOptions(
    program
      .command('diagnose')
      .description('Probe with the bot\'s settings, then collect DNS, network, clock, proxy, OS TLS and AA evidence into one redacted ZIP for the incident.'),
  )
    .option('--aa-config <file>', 'the bot\'s saved SMTP configuration (JSON or key=value: server, port, ssl, username...); sets --host/--port/--mode unless given')
    .option('--aa-activity <name>', 'the AA activity (task bot / step) that failed')
    .option('--aa-run-id <id>', 'the AA bot run (deployment) id')
    .option('--aa-host <host>', 'the AA Control Room the runner belongs to')
    .option('--aa-logs <glob>', 'AA logs to include, repeatable (default: the bot agent\'s documented log folder)', collect)
    .option('--aa-logs-max <size>', 'total size of AA logs kept, newest first', '10MB')
    .option('--since <span|date>', 'time window for logs and OS events: 24h, 90m, 2d or an ISO date', '24h')
    .option('--ntp <host[:port]>', 'SNTP server for the clock offset', DEFAULT_NTP)
    .option('--no-ntp', 'do not measure the clock offset')
    .option('--collect-timeout <d>', 'time limit of each collector', '8s')
    .option('--max-file <size>', 'size cap of each collected file (logs keep their newest end)', '2MB')
    .option('--skip <collector>', 'leave a collector out (dns, network, clock, proxy, os-tls, aa); repeatable', collect)
    .addHelpText('after', `\n${DIAGNOSE_HELP}\n\n${EXIT_CODES_HELP}`)
    .action(async (opts, cmd: Command) => {
      const [{ diagnoseCommand }, { applyPreset }] = await Promise.all([import('./diagnose/command.js'), import('./probe/presets.js')]);
      const given = (flag: string) => cmd.getOptionValueSource(flag) === 'cli';
      // A preset's host and ports count as given: the bot's saved configuration does not override them.
      const preset = applyPreset(opts, given);
      process.exitCode = await diagnoseCommand(opts, (flag) => given(flag) || (!!preset && (flag === 'host' || flag === 'port')));
    });

  program
    .command('health')
    .description('Probe several providers\' documented endpoints at once; one line each, and whether a failure is the network (a blocked port, blocked egress) or the provider.')
    .option('--provider <name>', `a preset to probe, repeatable (default: all: ${PRESET_NAMES.join(', ')})`, collect)
    .option('--region <region>', 'the SES region (default us-east-1)')
    .option('--concurrency <n>', 'endpoints probed at once (1-32)', '4')
    .option('--timeout <duration|stage=duration>', 'per-stage timeout (stages: dns, connect, tls, smtp), e.g. 5s, connect=3s; repeatable', collect)
    .option('--resolver <server[:port]>', 'resolve the provider names with this DNS server instead of the system resolver')
    .addOption(new Option('--family <family>', 'address family to probe').choices(['4', '6', 'any']).default('any'))
    .option('--ca <file>', 'extra trusted CA certificates (PEM), added to the bundled roots; repeatable', collect)
    .option('--ehlo-name <name>', 'name to send in EHLO (default: this machine\'s host name)')
    .option('--out <dir>', 'folder in which the run folder smtp-probe-health-YYYYMMDD_HHMMSS is created', '.')
    .option('--zip-to <file>', 'also copy the run\'s all_files.zip to this exact path')
    .option('--json', 'print health_summary.json on stdout instead of the lines')
    .option('-q, --quiet', 'print nothing; the exit code carries the verdict')
    .addHelpText('after', '\nExit codes: 0 every provider ok on every port, 20 network block of some port(s) (the providers are fine), 21 egress block (no provider reachable), 22 provider problem, 23 no provider name resolves, 2 bad usage, 1 internal error.')
    .action(async (opts) => {
      const { healthCommand } = await import('./health/command.js');
      process.exitCode = await healthCommand(opts);
    });

  for (const protocol of ['imap', 'pop3'] as const) {
    const d = protocol === 'imap' ? { host: 'imap.gmail.com', ports: '993 implicit and 143 STARTTLS', tls: 'STARTTLS' } : { host: 'pop.gmail.com', ports: '995 implicit and 110 STLS', tls: 'STLS' };
    program
      .command(protocol)
      .description(`Probe ${protocol.toUpperCase()} the way a mail-reading bot does: connect, TLS (${d.tls} or implicit), capabilities and, with --login, one login; same classes and hints as probe.`)
      .option('--host <host>', 'server host name or IP', d.host)
      .option('--port <port[:mode]>', `port to probe, repeatable, e.g. 143:starttls (default: ${d.ports})`, collect)
      .option('--mode <mode>', 'TLS mode for ports without their own: auto (the implicit-TLS port implicit, others STARTTLS), starttls, implicit, plain', 'auto')
      .option('--sni <name>', 'TLS server name to send and verify (default: the host, none for an IP)')
      .option('--ca <file>', 'extra trusted CA certificates (PEM), added to the bundled roots; repeatable', collect)
      .option('--timeout <duration>', 'time limit of each stage: connect, TLS, each command (default 5s, 5s, 10s)')
      .option('--login', 'also log in once (only over TLS whose certificate verified)')
      .option('--user <account>', 'account for --login')
      .option('--password-env <var>', 'environment variable holding the password (default SMTP_PROBE_PASSWORD, else a no-echo prompt)')
      .option('--password-file <file>', 'file holding the password')
      .option('--password-stdin', 'read the password from standard input (first line)')
      .option('--xoauth2', 'log in with an OAuth 2.0 access token (XOAUTH2), read from standard input (or from --password-env / --password-file when given)')
      .option('--mech <mech>', `auto, login (${protocol === 'imap' ? 'the LOGIN command' : 'USER/PASS'}), plain or xoauth2`, 'auto')
      .option('--out <dir>', `folder in which the run folder smtp-probe-${protocol}-YYYYMMDD_HHMMSS is created`, '.')
      .option('--zip-to <file>', 'also copy the run\'s all_files.zip to this exact path')
      .option('--json', 'print mailread_summary.json on stdout instead of the human summary')
      .option('-q, --quiet', 'print nothing; the exit code carries the verdict')
      .addOption(new Option('--password <secret>').hideHelp().argParser(() => {
        throw new UsageError('passwords are never taken on the command line: use --password-env VAR, --password-file FILE or the prompt');
      }))
      .addHelpText('after', `\n${EXIT_CODES_HELP}`)
      .action(async (opts) => {
        const { mailCommand } = await import('./mailread/command.js');
        process.exitCode = await mailCommand(protocol, opts);
      });
  }

  program
    .command('tee')
    .description('Testing only: a local SMTP listener the bot is pointed at; relays each session to the real server and records the bot\'s own dialogue before encryption.')
    .option('--listen <host:port>', 'where the bot connects (loopback unless --allow-remote)', '127.0.0.1:2525')
    .option('--upstream <host:port>', 'the real SMTP server', 'smtp.gmail.com:587')
    .addOption(new Option('--bot-tls <mode>', 'TLS toward the bot (default: the upstream\'s mode)').choices(['none', 'starttls', 'implicit']))
    .addOption(new Option('--upstream-tls <mode>', 'TLS toward the server (default: 465 implicit, others STARTTLS)').choices(['starttls', 'implicit', 'none']))
    .option('--sni <name>', 'TLS server name to send upstream and verify (default: the upstream host)')
    .option('--ca <file>', 'extra trusted CA certificates (PEM) for the upstream, added to the bundled roots; repeatable', collect)
    .option('--max-sessions <n>', 'bot sessions at once; more are answered 421', '10')
    .option('--max-message-bytes <size>', 'largest message relayed; larger ones are answered 552', '35MB')
    .option('--idle-timeout <d>', 'silence from the bot or the server after which a session ends', '2m')
    .option('--duration <d>', 'stop after this long (default: at Ctrl-C / SIGTERM)')
    .option('--allow-remote', 'accept a non-loopback --listen address (testing only)')
    .option('--out <dir>', 'folder in which the run folder smtp-probe-YYYYMMDD_HHMMSS is created', '.')
    .option('--json', 'print tee_summary.json on stdout at the end instead of the human summary')
    .option('-q, --quiet', 'print only the warning; the exit code carries the verdict')
    .addHelpText('after', `\nExit codes: as probe, for the verdict over the bot's sessions (17 when no session came).`)
    .action(async (opts) => {
      const { teeCommand } = await import('./tee/command.js');
      process.exitCode = await teeCommand(opts);
    });

  program
    .command('domain')
    .description('Audit a sender domain (MX, SPF with its lookup count, DMARC, MTA-STS, TLS-RPT, DANE) and, with --egress-ip, the runner\'s address against the common DNSBLs.')
    .argument('<domain>', 'the domain the bot sends as, e.g. example.com')
    .option('--resolver <server[:port]>', 'ask this DNS server instead of the system resolver')
    .option('--egress-ip <ip>', 'check this address against the DNSBL zones')
    .option('--dkim-selector <selector>', 'also check the DKIM key at <selector>._domainkey.<domain>')
    .option('--ca <file>', 'extra trusted CA certificates (PEM) for the MTA-STS policy\'s HTTPS server, added to the bundled roots; repeatable', collect)
    .option('--timeout <duration>', 'time limit of each DNS query and of the MTA-STS policy fetch', '5s')
    .option('--json', 'print the findings as JSON')
    .addHelpText('after', '\nExit codes: 0 no failing finding, 3 at least one failing finding, 4 none failing but some check could not be made (resolver silent or failing, audit over its time limit), 2 bad input.')
    .action(async (domain: string, opts) => {
      const { domainCommand } = await import('./probe/sender/audit.js');
      process.exitCode = await domainCommand(domain, opts);
    });

  program
    .command('explain')
    .description('Explain a pasted SMTP reply or bounce text (or IMAP/POP response): class, meaning, next step. Reads stdin without text.')
    .argument('[text...]', 'the reply, e.g. "535-5.7.8 Username and Password not accepted"')
    .option('--provider <name>', 'auto, or a provider of the knowledge files (gmail, microsoft, ses, yahoo, icloud, zoho, fastmail, sendgrid, mailgun, postmark) or generic', 'auto')
    .option('--stage <stage>', 'where the reply came: banner, ehlo, starttls, auth, mail, rcpt, data or any', 'any')
    .option('--host <host>', 'the SMTP host, to tell the provider')
    .option('--json', 'print the explanation as JSON')
    .action(async (words: string[], opts) => {
      const { explainCommand } = await import('./explain.js');
      process.exitCode = await explainCommand(words, opts);
    });

  program
    .command('schema')
    .description('Print the JSON Schema of an output file (default: probe_summary.json).')
    .addOption(new Option('--file <name>', 'which file').choices(['probe_summary', 'dns_resolution', 'env_snapshot', 'tee_summary', 'dns_snapshot', 'network_snapshot', 'clock', 'proxy', 'os_tls', 'aa_context', 'manifest', 'health_summary', 'mailread_summary', 'sender_audit']).default('probe_summary'))
    .action(async (opts: { file: string }) => {
      const { jsonSchemaOf } = await import('./schema/json-schema.js');
      process.stdout.write(JSON.stringify(jsonSchemaOf(opts.file), null, 2) + '\n');
    });
  addDocCommands(program, () => ({
    program: 'smtp-probe',
    version: VERSION,
    summary: 'reproduce and explain SMTP sending failures of RPA runners',
    // The per-command notes (health's 20-23, domain's 3) are in each command's section.
    exitCodes: exitCodeRows(),
    seeAlso: ['smtp-fleet(1)', 'openssl-s_client(1)', 'swaks(1)'],
  }));
  return program;
}

async function main(argv: string[]): Promise<void> {
  // Ctrl-C or a bot's kill: exit through 'exit' handlers so no half-written folder stays.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  // `smtp-probe schema | head`: a reader that goes away is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : EXIT_INTERNAL));
  try {
    await buildProgram().parseAsync(expandArgsB64(argv));
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
    } else if (err instanceof SmtpProbeError && err.exit !== 'internal') {
      process.stderr.write(`smtp-probe: error: ${err.message}\n`);
      process.exitCode = EXIT_USAGE;
    } else {
      process.stderr.write(`smtp-probe: internal error: ${errorMessage(err)}\n`);
      if (process.env.SMTP_PROBE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = EXIT_INTERNAL;
    }
  }
}

// No top-level await: the runner bundle is CommonJS (what a single executable accepts).
void main(process.argv);

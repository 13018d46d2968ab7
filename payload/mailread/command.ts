// `smtp-probe imap|pop3`: settings -> address lookup -> one attempt per address and port
// (sequential: a handful of attempts, and logins stay at one per run) -> run folder with
// mailread_summary.json, report.md, report.html, transcripts and the ZIP -> exit code.
import { lookup } from 'node:dns/promises';
import { EXIT_CODES } from '../classify/classes.js';
import { RunFolder, runFolderName } from '../report/output.js';
import { finishRunPaths } from './finish.js';
import { MAILREAD_SCHEMA_VERSION, MailreadSummarySchema, type MailreadAttempt, type MailreadSummary } from '../schema/mailread.js';
import { readSecret } from '../probe/secrets.js';
import { trustContext } from '../probe/tls.js';
import { VERSION } from '../version.js';
import { errorMessage } from '../util/errors.js';
import { classifyMail } from './classify.js';
import type { Dialect, LoginPlan } from './dialect.js';
import { Imap } from './imap.js';
import { mailSettings, type MailFlags, type MailProtocol } from './options.js';
import { Pop3 } from './pop3.js';
import { renderMailHtml, renderMailReport } from './report.js';
import { runMailSession } from './session.js';
import { jsonText } from '../report/json-text.js';
import { ipFamily } from '../util/ip-family.js';

const MAX_ADDRESSES = 8;
const DNS_TIMEOUT_MS = 5000;

export async function mailCommand(protocol: MailProtocol, flags: MailFlags): Promise<number> {
  const s = mailSettings(protocol, flags);
  let plan: LoginPlan | null = null;
  let secretFrom: string | null = null;
  if (s.login) {
    const secret = await readSecret({ passwordEnv: flags.passwordEnv, passwordFile: flags.passwordFile, passwordStdin: flags.passwordStdin, xoauth2: s.mech === 'xoauth2' });
    plan = { user: s.user!, secret: secret.value, isToken: s.mech === 'xoauth2', mechanism: s.mech };
    secretFrom = secret.from;
  }
  const started = new Date();
  const folder = RunFolder.open(flags.out, runFolderName(started, `smtp-probe-${protocol}`));
  try {
    const { addresses, error } = await resolve(s.host);
    const trust = trustContext(s.ca);
    const attempts: MailreadAttempt[] = [];
    const transcripts: Array<{ name: string; text: string }> = [];
    // One login per run: repeated logins are what trip lockouts (Gmail's, Microsoft's).
    let loginLeft = plan !== null;
    for (const address of addresses)
      for (const { port, mode } of s.ports) {
        const dialect: Dialect = protocol === 'imap' ? new Imap() : new Pop3();
        const r = await runMailSession(dialect, { address, port, mode, sni: s.sni, verifyName: s.verifyName, trust, timeouts: s.timeouts, login: loginLeft ? plan : null });
        if (r.login && r.login.status !== 'not-tried' && mode !== 'plain') loginLeft = false;
        const classification = classifyMail(protocol, r);
        const file = `transcript_${protocol}_${address.replace(/[^0-9A-Za-z.]/g, '_')}_${port}.txt`;
        const { transcript, error: _e, evidence: _v, ...rest } = r;
        attempts.push({ ...rest, classification, transcript_file: file });
        transcripts.push({
          name: file,
          text: transcript.render([
            `smtp-probe ${VERSION} ${protocol} transcript: ${address}:${port} ${mode}, host ${s.host}`,
            `result: ${classification.class} (${classification.rule ?? '-'})`,
            'C: client, S: server, **: probe event; credentials are never written',
          ]),
        });
      }
    const verdictOf = attempts.find((a) => a.classification.class !== 'ok')?.classification ?? attempts[0]?.classification;
    const verdict = verdictOf
      ? { ...verdictOf, exit_code: EXIT_CODES[verdictOf.class] }
      : { class: 'dns' as const, summary: `the name ${s.host} did not resolve`, evidence: error ?? 'no address', next_step: 'Check the host name and this machine\'s DNS resolver (smtp-probe probe --host with the same name shows the DNS stage in full).', exit_code: EXIT_CODES.dns };
    const finished = new Date();
    const names = ['report.md', 'report.html', 'mailread_summary.json', ...transcripts.map((t) => t.name)];
    const summary: MailreadSummary = MailreadSummarySchema.parse({
      schema: 'smtp-probe/mailread-summary',
      schema_version: MAILREAD_SCHEMA_VERSION,
      tool: { name: 'smtp-probe', version: VERSION },
      protocol,
      run: { id: folder.name, started_at: started.toISOString(), finished_at: finished.toISOString(), duration_ms: finished.getTime() - started.getTime() },
      settings: { host: s.host, ports: s.ports, sni: s.sni, login: s.login, user: s.user, mechanism: s.login ? s.mech : null, secret_from: secretFrom },
      addresses,
      dns_error: error,
      attempts,
      verdict: { class: verdict.class, summary: verdict.summary, evidence: verdict.evidence, next_step: verdict.next_step, exit_code: verdict.exit_code },
      files: [...names, 'attachments/all_files.zip'],
    } satisfies MailreadSummary);
    folder.add('mailread_summary.json', jsonText(summary));
    for (const t of transcripts) folder.add(t.name, t.text);
    folder.add('report.md', renderMailReport(summary));
    folder.add('report.html', renderMailHtml(summary, transcripts));
    const path = await folder.commit();
    finishRunPaths(flags, summary, path);
    return summary.verdict.exit_code;
  } finally {
    folder.abandon();
  }
}

async function resolve(host: string): Promise<{ addresses: string[]; error: string | null }> {
  if (ipFamily(host)) return { addresses: [host], error: null };
  try {
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${DNS_TIMEOUT_MS} ms`)), DNS_TIMEOUT_MS).unref());
    const found = await Promise.race([lookup(host, { all: true }), timer]);
    return { addresses: [...new Set(found.map((a) => a.address))].slice(0, MAX_ADDRESSES), error: null };
  } catch (err) {
    return { addresses: [], error: `${host}: ${errorMessage(err)}` };
  }
}

// Where --auth-test gets its secret: an environment variable, a file, standard input or
// a no-echo prompt. Never the command line: argv shows up in process lists and logs.
import { readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { UsageError, errorCode } from '../util/errors.js';

export const DEFAULT_PASSWORD_ENV = 'SMTP_PROBE_PASSWORD';

export interface Secret {
  value: string;
  /** Where it came from, for the summary: never the value. */
  from: string;
}

/** Asked of the descriptor, not process.stdin: creating that stream can fail on some pipes (wine). */
export function stdinIsTerminal(): boolean {
  return isatty(0);
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of process.stdin) chunks.push(c as Buffer);
  } catch (err) {
    // Some pipe handles cannot become a Node stream (seen under wine: "open EBADF");
    // a plain blocking read of descriptor 0 still works there.
    if (chunks.length || errorCode(err) !== 'EBADF') throw err;
    return readFileSync(0, 'utf8');
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new UsageError('cancelled at the password prompt'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    stdin.on('data', onData);
  });
}

export interface SecretSources {
  passwordEnv?: string;
  passwordFile?: string;
  passwordStdin?: boolean;
  xoauth2?: boolean;
}

export async function readSecret(s: SecretSources, env: NodeJS.ProcessEnv = process.env): Promise<Secret> {
  // An OAuth token can also sit in a named variable or a file (a token cache a job refreshes);
  // without either, XOAUTH2 reads standard input as before.
  if (s.xoauth2 && !s.passwordEnv && !s.passwordFile) {
    const token = stdinIsTerminal() ? await promptHidden('OAuth access token: ') : (await readStdin()).trim();
    if (!token) throw new UsageError('--xoauth2 reads the access token from standard input, which was empty');
    return { value: token, from: 'stdin' };
  }
  if (s.passwordStdin) {
    const v = (await readStdin()).split(/\r?\n/)[0] ?? '';
    if (!v) throw new UsageError('--password-stdin: standard input held no password');
    return { value: v, from: 'stdin' };
  }
  if (s.passwordFile) {
    try {
      const v = readFileSync(s.passwordFile, 'utf8').replace(/\r?\n$/, '');
      if (!v) throw new UsageError(`--password-file "${s.passwordFile}" is empty`);
      return { value: v, from: `file ${s.passwordFile}` };
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`cannot read --password-file "${s.passwordFile}": ${errorCode(err) ?? 'read error'}`);
    }
  }
  const name = s.passwordEnv ?? DEFAULT_PASSWORD_ENV;
  const v = env[name];
  if (v) return { value: v, from: `env ${name}` };
  if (s.passwordEnv) throw new UsageError(`--password-env ${name}: that environment variable is not set`);
  if (stdinIsTerminal()) return { value: await promptHidden('SMTP password: '), from: 'prompt' };
  throw new UsageError(`--auth-test needs a password: set ${DEFAULT_PASSWORD_ENV}, or use --password-env VAR, --password-file FILE or --xoauth2 (token on stdin)`);
}

// The SASL exchanges of --auth-test (RFC 4954): PLAIN, LOGIN and Google's XOAUTH2.
// Every client line goes through the transcript, which withholds it; the secret itself
// lives only in this call's arguments.

export type AuthMechanism = 'PLAIN' | 'LOGIN' | 'XOAUTH2';

export interface AuthSecret {
  user: string;
  /** The password (PLAIN, LOGIN) or the OAuth access token (XOAUTH2). */
  secret: string;
  mechanism: AuthMechanism;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The client lines of the exchange, in order; `null` marks "wait for a 334". */
export function authLines(a: AuthSecret): string[] {
  switch (a.mechanism) {
    case 'PLAIN':
      return [`AUTH PLAIN ${b64(`\0${a.user}\0${a.secret}`)}`];
    case 'LOGIN':
      return ['AUTH LOGIN', b64(a.user), b64(a.secret)];
    case 'XOAUTH2':
      return [`AUTH XOAUTH2 ${b64(`user=${a.user}\x01auth=Bearer ${a.secret}\x01\x01`)}`];
  }
}

/** The mechanism to use: the one asked for, or the best the server offers for this secret. */
export function pickMechanism(wanted: 'auto' | AuthMechanism, offered: readonly string[], isToken: boolean): AuthMechanism | null {
  if (isToken) return 'XOAUTH2';
  if (wanted !== 'auto') return wanted;
  if (offered.includes('PLAIN')) return 'PLAIN';
  if (offered.includes('LOGIN')) return 'LOGIN';
  return null;
}

// The EHLO reply the bot gets: the upstream's, with the extensions the tee does not carry
// through taken out, and STARTTLS offered exactly when the tee itself offers it on the bot
// leg (the two legs negotiate TLS independently).

// CHUNKING/BINARYMIME would send the message as BDAT, which the tee does not parse.
const DROPPED = /^(STARTTLS|CHUNKING|BINARYMIME)\b/i;

export function rewriteEhlo(lines: readonly string[], offerStartTls: boolean): { lines: string[]; changes: string[] } {
  const code = lines[0]!.slice(0, 3);
  const texts = lines.map((l) => l.slice(4));
  const kept = [texts[0]!, ...texts.slice(1).filter((t) => !DROPPED.test(t))];
  const changes = texts.slice(1).filter((t) => DROPPED.test(t) && !(offerStartTls && /^STARTTLS\b/i.test(t))).map((t) => `removed ${t.split(/\s/)[0]!.toUpperCase()}`);
  if (offerStartTls) {
    kept.push('STARTTLS');
    if (!texts.slice(1).some((t) => /^STARTTLS\b/i.test(t))) changes.push('added STARTTLS (offered by the tee on the bot leg)');
  }
  return { lines: kept.map((t, i) => `${code}${i === kept.length - 1 ? ' ' : '-'}${t}`), changes };
}

/** Envelope and reply addresses keep their domain only: the local part names a person. */
export function maskAddresses(text: string): string {
  // Letters of any script (SMTPUTF8), and the backslash of the \xNN escapes the wire reader writes for 8-bit bytes.
  return text.replace(/[\p{L}\p{N}._%+=!#$&'*/?^`{|}~\\-]{1,64}@([\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+)/gu, '***@$1');
}

// RFC 3463 enhanced status codes (class.subject.detail) in a reply's text: one reader for the
// wire (the code of a reply's first line) and the classifier (every code of a reply).

/** Every enhanced code in the text, in order, without duplicates, with leading zeros dropped. */
export function enhancedCodes(text: string): string[] {
  const out: string[] = [];
  // Not inside a longer dotted number (an IP address, a version) nor glued to a word.
  for (const m of text.matchAll(/(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)/g)) {
    const c = `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

/** The first enhanced code in the text, if any. */
export function enhancedCode(text: string): string | null {
  return enhancedCodes(text)[0] ?? null;
}

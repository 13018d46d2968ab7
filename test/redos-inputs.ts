// Adversarial texts for a regex, derived from the regex's own source: long runs of its
// literal words (the usual trigger of backtracking in `a.*b.*c` or `(?:\w+\s)+x`
// shapes), of spaces, of repeated tokens, and of those words almost matching. Shared by
// the ReDoS test and by anyone timing a new rule by hand.

/** Literal words (letters, digits, dots) that appear in a regex's source. */
export function literalWords(re: RegExp): string[] {
  const src = re.source.replace(/\\[a-zA-Z]/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  const words = src.match(/[A-Za-z0-9.]{2,}/g) ?? [];
  return [...new Set(words)].slice(0, 12);
}

/** Repeats `unit` until the result is at least `size` characters long. */
export function fill(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / Math.max(unit.length, 1))).slice(0, size);
}

/** Named adversarial inputs of about `size` characters for one regex. */
export function adversarialInputs(re: RegExp, size: number): Array<{ name: string; text: string }> {
  const out: Array<{ name: string; text: string }> = [
    { name: 'spaces', text: fill(' ', size) },
    { name: 'letters', text: fill('a', size) },
    { name: 'word-space', text: fill('ab ', size) },
    { name: 'digits-dots', text: fill('5.7.', size) },
    { name: 'punctuation', text: fill('(#:;.,)-', size) },
    { name: 'tail-bang', text: `${fill('a ', size - 1)}!` },
  ];
  for (const w of literalWords(re)) {
    out.push({ name: `run:${w}`, text: fill(`${w} `, size) });
    out.push({ name: `glued:${w}`, text: fill(w, size) });
    // Almost the word: the last letter missing, so every start fails late.
    out.push({ name: `almost:${w}`, text: fill(`${w.slice(0, -1)} `, size) });
  }
  const words = literalWords(re);
  if (words.length > 1) out.push({ name: 'all-words', text: fill(`${words.join(' ')} `, size) });
  if (words.length > 1) out.push({ name: 'words-reversed', text: fill(`${[...words].reverse().join(' ')} `, size) });
  return out;
}

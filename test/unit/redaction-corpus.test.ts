// The redactor on a corpus of realistic inputs (test/fixtures/redaction-corpus.ts), each with
// a planted secret the run does not know: every secret, and every 6-character piece of it
// that is not ordinary text of the input, is gone from the output, whether the text is
// redacted whole or kept with its head cut off at the size cap; JSON inputs stay valid JSON;
// the negatives come out unchanged. The figures are printed.
import { describe, expect, it } from 'vitest';
import { Recorder } from '../../payload/diagnose/collector.js';
import { Redactor } from '../../payload/diagnose/redact.js';
import { CORPUS, NEGATIVES } from '../fixtures/redaction-corpus.js';

const cases = CORPUS.map((e, i) => {
  const secret = e.secret ?? `Zq${i}-pl4nted!Xv${i}`;
  const blob = Buffer.from(`bot:${secret}`).toString('base64');
  const text = e.text.split('{S}').join(secret).split('{B}').join(blob);
  return { ...e, i, secret, text, secrets: e.text.includes('{B}') ? [secret, blob] : [secret] };
});

/** The planted secret, or a 6-character piece of it that the input has nowhere else, in `out`. */
function leaks(input: string, out: string, secret: string): string[] {
  const rest = input.split(secret).join('\n');
  const found: string[] = [];
  if (out.includes(secret)) found.push(secret);
  for (let k = 0; k + 6 <= secret.length; k++) {
    const piece = secret.slice(k, k + 6);
    if (!rest.includes(piece) && out.includes(piece)) found.push(piece);
  }
  return found;
}

describe('redaction corpus: secrets unknown to the run', () => {
  it(`has at least 100 inputs in many styles`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
    expect(new Set(cases.map((c) => c.style)).size).toBeGreaterThanOrEqual(15);
  });

  it('leaves no planted secret in any output (whole text, .json file, cut at the cap)', () => {
    const r = new Redactor();
    const failures: string[] = [];
    let outputs = 0;
    for (const c of cases) {
      const outs: Array<[string, string]> = [['text', r.text(c.text)]];
      let json = false;
      try {
        JSON.parse(c.text);
        json = true;
      } catch {
        // not JSON
      }
      if (json) {
        outs.push(['file', r.file('x.json', Buffer.from(c.text)).toString('utf8')]);
        try {
          JSON.parse(outs[0]![1]);
        } catch {
          failures.push(`#${c.i} ${c.style}: text redaction broke the JSON: ${outs[0]![1]}`);
        }
      }
      // A log kept with its newest end: the cap falls before the key, inside it, inside the value.
      const log = `${'2026-03-12 10:00:00 INFO filler line\n'.repeat(4)}${c.text}\n2026-03-12 10:00:09 INFO done\n`;
      const at = log.indexOf(c.secret);
      for (const cut of [at - 12, at - 3, at + 2, at + Math.floor(c.secret.length / 2)]) {
        const rec = new Recorder(log.length - Math.max(0, cut), new AbortController().signal, 1000, (_n, d) => r.file('aa_logs/x.log', d));
        rec.keep('aa_logs/x.log', Buffer.from(log, 'latin1'), true);
        outs.push([`cut@${cut}`, rec.files[0]!.data.toString('latin1')]);
      }
      for (const [how, out] of outs) {
        outputs++;
        for (const s of c.secrets) {
          const l = leaks(c.text, out, s);
          if (l.length) failures.push(`#${c.i} ${c.style} (${how}): ${JSON.stringify(l)} in ${JSON.stringify(out)}`);
        }
      }
    }
    console.log(`redaction corpus: ${cases.length} inputs, ${outputs} outputs, ${failures.length} leaks`);
    expect(failures).toEqual([]);
  });

  it('keeps the key names and marks the value', () => {
    const r = new Redactor();
    const out = r.text('mail.smtp.password=abc123xyz\n<SmtpPassword>abc123xyz</SmtpPassword>\n{"apiKey": "abc123xyz"}\nServer=x;Password=a b c;');
    expect(out).toBe('mail.smtp.password=[redacted]\n<SmtpPassword>[redacted]</SmtpPassword>\n{"apiKey": "[redacted]"}\nServer=x;Password=[redacted];');
  });

  it('leaves ordinary text alone', () => {
    const r = new Redactor();
    const changed = NEGATIVES.filter((n) => r.text(n) !== n).map((n) => [n, r.text(n)]);
    console.log(`redaction corpus: ${NEGATIVES.length} negatives, ${NEGATIVES.length - changed.length} kept`);
    expect(changed).toEqual([]);
  });
});

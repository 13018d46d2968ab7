// `smtp-probe explain`: what a pasted server reply or bounce means and what to do next.
import { readError } from './classify/client-errors.js';
import { providerIds, STAGES, type Provider, type ReplyStage } from './classify/replies.js';
import { readStdin, stdinIsTerminal } from './probe/secrets.js';
import { UsageError } from './util/errors.js';
import { jsonText } from './report/json-text.js';

export interface ExplainFlags {
  provider?: string;
  stage?: string;
  host?: string;
  json?: boolean;
}

export interface ExplainOutput {
  class: string;
  rule: string | null;
  summary: string;
  next_step: string;
  provider: Provider;
  stage: ReplyStage;
  code: number | null;
  enhanced: string[];
  source: string | null;
  /** The client library whose error this is (javamail, dotnet-smtpclient, ...), or null. */
  library: string | null;
  /** The load-bearing line: a trace's innermost cause, or the reply line read. */
  evidence_line: string | null;
}

export function explainText(text: string, f: ExplainFlags = {}): ExplainOutput {
  const x = readError(text, {
    provider: f.provider && f.provider !== 'auto' ? (f.provider as Provider) : undefined,
    stage: (f.stage as ReplyStage | undefined) ?? 'any',
    host: f.host ?? null,
  });
  return {
    class: x.class,
    rule: x.rule,
    summary: x.summary,
    next_step: x.next_step,
    provider: x.provider,
    stage: x.stage,
    code: x.code,
    enhanced: x.enhanced,
    source: x.source,
    library: x.library,
    evidence_line: x.evidence_line,
  };
}

export async function explainCommand(words: string[], f: ExplainFlags): Promise<number> {
  if (f.provider && f.provider !== 'auto' && !providerIds().includes(f.provider)) {
    throw new UsageError(`invalid --provider "${f.provider}": expected auto, ${providerIds().join(', ')}`);
  }
  if (f.stage && !(STAGES as readonly string[]).includes(f.stage)) throw new UsageError(`invalid --stage "${f.stage}": expected one of ${STAGES.join(', ')}`);
  const fromStdin = !words.length || (words.length === 1 && words[0] === '-');
  if (fromStdin && stdinIsTerminal()) throw new UsageError('pass the reply as an argument, or pipe it in: smtp-probe explain < bounce.txt');
  const text = fromStdin ? await readStdin() : words.join(' ');
  if (!text.trim()) throw new UsageError('nothing to explain: pass the reply as an argument or on standard input');
  const out = explainText(text, f);
  if (f.json) process.stdout.write(jsonText(out));
  else {
    process.stdout.write(
      [
        `class:      ${out.class}`,
        `meaning:    ${out.summary}`,
        `next step:  ${out.next_step}`,
        ...(out.library ? [`library:    ${out.library}`] : []),
        ...(out.evidence_line && out.library ? [`evidence:   ${out.evidence_line}`] : []),
        `read as:    ${out.code ?? 'no reply code'}${out.enhanced.length ? `, enhanced ${out.enhanced.join(' ')}` : ''}; provider ${out.provider}; stage ${out.stage}${out.rule ? `; rule ${out.rule}` : ''}`,
        ...(out.source ? [`source:     ${out.source}`] : []),
        '',
      ].join('\n'),
    );
  }
  return 0;
}

// What a terminal may be sent: colour and cursor control, decided the way gh and kubectl do.
// A pure function of the stream's TTY-ness and the environment, so it is tested without a TTY.

export interface TerminalStyle {
  /** SGR colour sequences (verdicts in green, red, yellow). */
  color: boolean;
  /** Cursor control (`\r` + erase line) for self-rewriting progress lines. */
  cursor: boolean;
}

/**
 * Only a TTY gets escape sequences, and never one whose TERM is `dumb` (Emacs shells, CI logs
 * that fake a TTY). NO_COLOR (https://no-color.org: set and not empty) turns colour off and
 * leaves cursor control alone.
 */
export function terminalStyle(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): TerminalStyle {
  const capable = isTTY === true && env.TERM !== 'dumb';
  return { color: capable && !env.NO_COLOR, cursor: capable };
}

export type Tone = 'ok' | 'bad' | 'partial';
const SGR: Record<Tone, string> = { ok: '32', bad: '31', partial: '33' };

/** `text` in the tone's colour when colour is on, else unchanged. */
export function paint(style: Pick<TerminalStyle, 'color'>, tone: Tone, text: string): string {
  return style.color ? `\x1b[${SGR[tone]}m${text}\x1b[0m` : text;
}

/** The tone of a verdict: ok green, partial yellow, any other failure red. */
export function verdictTone(cls: string, partial: boolean): Tone {
  return cls === 'ok' ? 'ok' : partial ? 'partial' : 'bad';
}

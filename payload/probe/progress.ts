// One self-rewriting line on stderr while a sweep runs; silent when stderr is not a TTY.
// Notes still show on a terminal without cursor control (TERM=dumb); the rewriting line does not.
import { terminalStyle } from '../util/terminal.js';

export class Progress {
  private shown = false;
  private counts: Record<string, number> = {};

  /** `enabled`: show anything at all; `cursor`: the terminal takes cursor control (see terminalStyle). */
  constructor(
    private readonly enabled: boolean,
    private readonly cursor = true,
  ) {}

  /** Progress on stderr unless `quiet`, shaped by what stderr is. */
  static forStderr(quiet: boolean, env: NodeJS.ProcessEnv = process.env): Progress {
    const style = terminalStyle(process.stderr.isTTY, env);
    return new Progress(!quiet && process.stderr.isTTY === true, style.cursor);
  }

  note(text: string): void {
    if (!this.enabled) return;
    this.clear();
    process.stderr.write(`${text}\n`);
  }

  tick(done: number, total: number, cls: string): void {
    if (!this.enabled || !this.cursor) return;
    this.counts[cls] = (this.counts[cls] ?? 0) + 1;
    const parts = Object.entries(this.counts).map(([k, n]) => `${k} ${n}`).join(', ');
    process.stderr.write(`\r\x1b[2Kprobing ${done}/${total}: ${parts}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[2K');
    this.shown = false;
  }
}

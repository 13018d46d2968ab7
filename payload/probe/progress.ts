// One self-rewriting line on stderr while a sweep runs; silent when stderr is not a TTY.
export class Progress {
  private shown = false;
  private counts: Record<string, number> = {};

  constructor(private readonly enabled: boolean) {}

  note(text: string): void {
    if (!this.enabled) return;
    this.clear();
    process.stderr.write(`${text}\n`);
  }

  tick(done: number, total: number, cls: string): void {
    if (!this.enabled) return;
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

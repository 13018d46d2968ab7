// The sanitized record of one SMTP dialogue. Everything the client sends passes through
// `client()`, which withholds credentials: after AUTH only the verb (and mechanism name)
// and the server's reply codes are written, never a base64 payload.

export type Direction = 'C' | 'S' | '**';

export interface TranscriptLine {
  at: number; // epoch ms
  dir: Direction;
  text: string;
}

const WITHHELD = '[withheld]';

export class Transcript {
  readonly lines: TranscriptLine[] = [];
  private inAuth = false;

  private dropped = 0;

  /** `maxLines` bounds a long-lived dialogue (the tee's); the probe's are short. */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxLines = Infinity,
  ) {}

  event(text: string): void {
    this.push('**', text);
  }

  client(line: string): void {
    const m = /^(AUTH)(?:\s+(\S+))?/i.exec(line);
    if (m) {
      this.inAuth = true;
      const mech = m[2] ? ` ${m[2].toUpperCase()}` : '';
      this.push('C', `${m[1]!.toUpperCase()}${mech}${line.trim().split(/\s+/).length > 2 ? ` ${WITHHELD}` : ''}`);
    } else if (this.inAuth) {
      // An empty line carries nothing: it is the answer to an error challenge (RFC 7628) or a cancel, worth seeing.
      this.push('C', line === '' ? '' : WITHHELD);
    } else {
      this.push('C', line);
    }
  }

  /** One reply line from the server. */
  server(line: string, final: boolean): void {
    if (this.inAuth) {
      const code = /^\d{3}/.exec(line)?.[0];
      if (code === '334') {
        // A challenge is base64 (XOAUTH2 errors, LOGIN prompts): keep only the code.
        this.push('S', `334 ${WITHHELD}`);
        return;
      }
      if (final) this.inAuth = false;
      this.push('S', maskBase64(line));
      return;
    }
    this.push('S', line);
  }

  private push(dir: Direction, text: string): void {
    if (this.lines.length < this.maxLines) this.lines.push({ at: this.now(), dir, text });
    else this.dropped++;
  }

  render(header: string[]): string {
    const head = header.map((h) => `# ${h}`);
    const body = this.lines.map((l) => `${new Date(l.at).toISOString()} ${l.dir.padEnd(2)} ${l.text}`);
    const cut = this.dropped ? [`** ${this.dropped} more lines not kept (transcript limit ${this.maxLines})`] : [];
    return [...head, ...body, ...cut, ''].join('\n');
  }
}

/** Long base64-looking runs inside a server line are masked: they carry tokens or challenges. */
export function maskBase64(text: string): string {
  return text.replace(/[A-Za-z0-9+/]{24,}={0,2}/g, WITHHELD);
}

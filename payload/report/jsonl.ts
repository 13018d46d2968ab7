// One JSON object per line, for `--jsonl` of the probe and of a fleet sweep.
import { jsonLine } from './json-text.js';
/**
 * JSON lines. JSON.stringify escapes control characters but leaves U+2028/U+2029 raw, and
 * some line readers (Python's splitlines) break lines there: those are escaped too.
 */
export const jsonLines = (lines: readonly unknown[]): string => lines.map((l) => `${jsonLine(l).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}\n`).join('');

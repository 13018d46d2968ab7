// `--args-b64 VALUE`: the probe's settings as base64 of a JSON array of arguments, how
// smtp-fleet hands them over. Base64 has no character any shell or Windows' native-argument
// quoting treats specially, so a value such as `x y" --zip-to "C:\p` stays one argument
// wherever the command line passes through; the array is checked here before commander
// sees it. The check is written out rather than a zod schema: every fleet probe passes here,
// and loading zod would cost it ~30 ms of start-up for four conditions.
import { UsageError } from './errors.js';

const FLAG = '--args-b64';
const MAX_B64 = 256 * 1024;

const MAX_ARGS = 512;
const MAX_ARG = 8192;

/** argv with each `--args-b64 VALUE` (or `--args-b64=VALUE`) replaced by the arguments it encodes. */
export function expandArgsB64(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let value: string | undefined;
    if (a === FLAG) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`${FLAG} needs a value`);
    } else if (a.startsWith(`${FLAG}=`)) value = a.slice(FLAG.length + 1);
    else {
      out.push(a);
      continue;
    }
    out.push(...decode(value));
  }
  return out;
}

function decode(value: string): string[] {
  if (value.length > MAX_B64 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new UsageError(`${FLAG}: not base64 (or over ${MAX_B64} characters)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw new UsageError(`${FLAG}: the decoded value is not JSON`);
  }
  if (!Array.isArray(parsed)) throw new UsageError(`${FLAG}: not an array of strings`);
  if (parsed.length > MAX_ARGS) throw new UsageError(`${FLAG}: over ${MAX_ARGS} arguments`);
  parsed.forEach((a: unknown, k) => {
    if (typeof a !== 'string') throw new UsageError(`${FLAG}: argument ${k} is not a string`);
    if (a.length > MAX_ARG) throw new UsageError(`${FLAG}: argument ${k} is over ${MAX_ARG} characters`);
    if (a.includes('\0')) throw new UsageError(`${FLAG}: argument ${k} holds a NUL character`);
  });
  return parsed as string[];
}

// `--args-b64 VALUE`: the probe's settings as base64 of a JSON array of arguments, how
// smtp-fleet hands them over. Base64 has no character any shell or Windows' native-argument
// quoting treats specially, so a value such as `x y" --zip-to "C:\p` stays one argument
// wherever the command line passes through; the array is checked here before commander
// sees it.
import { z } from 'zod';
import { UsageError } from './errors.js';

const FLAG = '--args-b64';
const MAX_B64 = 256 * 1024;

const ArgsSchema = z
  .array(
    z
      .string()
      .max(8192)
      .refine((s) => !s.includes('\0'), 'holds a NUL character'),
  )
  .max(512);

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
  const r = ArgsSchema.safeParse(parsed);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UsageError(`${FLAG}: ${issue?.path.length ? `argument ${issue.path.join('.')} ` : ''}${issue?.message ?? 'not an array of strings'}`);
  }
  return r.data;
}

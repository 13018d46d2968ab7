// The remote scripts live as files in transport/scripts/ (read once, at first use); this
// module turns a script and its parameters into what a transport sends. Values never enter
// script text: on Linux they are positional arguments of `sh -c`, on Windows typed values
// splatted into the script's param() block by the launcher (launcher.ps1), which itself is
// the only command line ever given to powershell.exe.
import { readFileSync } from 'node:fs';

export type ShScript = 'deploy.sh' | 'remove-work.sh';
export type PsScript = 'deploy.ps1' | 'remove-work.ps1' | 'upload.ps1' | 'download.ps1' | 'append-chunk.ps1';
export type PsParam = string | number | boolean | string[];

/** One Windows script run: the file and its named parameters. */
export interface PsCall {
  script: PsScript;
  params: Record<string, PsParam>;
}

/** cmd.exe (the shell of Windows OpenSSH) refuses command lines past 8,191 characters. */
export const CMD_EXE_LIMIT = 8191;

const cache = new Map<string, string>();

/** The text of a script file; the folder sits next to this module in the source tree and in dist/. */
export function scriptText(name: ShScript | PsScript | 'launcher.ps1'): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./scripts/${name}`, import.meta.url), 'utf8').replace(/\r\n/g, '\n');
    cache.set(name, text);
  }
  return text;
}

export function quoteSh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `sh -c SCRIPT NAME ARGS...`: the script is one quoted word, its values the positional ones. */
export function shCommand(script: ShScript, args: readonly string[]): string {
  return ['sh', '-c', quoteSh(scriptText(script)), script.replace(/\.sh$/, ''), ...args.map(quoteSh)].join(' ');
}

export const POWERSHELL = 'powershell.exe';

let launcherArgs: string | undefined;

/** powershell.exe's arguments: always the same launcher, whatever is run. */
export function launcherArguments(): string {
  if (launcherArgs === undefined) {
    // Its comment lines stay in the file: on the command line they would only cost characters.
    const code = scriptText('launcher.ps1')
      .split('\n')
      .filter((l) => !/^\s*#/.test(l))
      .join('\n');
    // -OutputFormat Text: errors as plain lines on stderr, not CLIXML (the default under -EncodedCommand).
    launcherArgs = `-NoProfile -NonInteractive -ExecutionPolicy Bypass -OutputFormat Text -EncodedCommand ${Buffer.from(code, 'utf16le').toString('base64')}`;
  }
  return launcherArgs;
}

/** The whole Windows command line (what cmd.exe sees over SSH). */
export function launcherCommandLine(): string {
  return `${POWERSHELL} ${launcherArguments()}`;
}

/**
 * The launcher's first stdin line for a call. A string is an ad-hoc script without
 * parameters (tests and probes of the endpoint); product code passes a PsCall.
 */
export function launcherInput(call: PsCall | string): Buffer {
  const body = typeof call === 'string' ? { script: call, params: {} } : { script: scriptText(call.script), params: call.params };
  return Buffer.from(Buffer.from(JSON.stringify(body), 'utf8').toString('base64') + '\n', 'latin1');
}

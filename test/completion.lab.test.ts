// Shell completion and man pages, as a user gets them from the built CLIs, read by the real
// programs: bash (the script sourced, its completion function driven with COMP_WORDS), zsh
// (`zsh -n`, then the function driven with compadd recording the candidates), PowerShell 7
// (the script loaded, TabExpansion2 asked), groff and man.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, tempDir } from './helpers.js';

const run = promisify(execFile);
const FLEET = join(ROOT, 'dist/controller/cli.js');
const CLIS = { 'smtp-probe': CLI, 'smtp-fleet': FLEET } as const;
type Program = keyof typeof CLIS;
const PWSH = process.env.PWSH ?? 'pwsh';
const pwshEnv = { ...process.env, PATH: `${process.env.PATH}:/root/.dotnet/tools`, POWERSHELL_TELEMETRY_OPTOUT: '1' };
const dir = tempDir('completion-');

async function script(program: Program, shell: string): Promise<string> {
  const file = join(dir, `${program}.${shell === 'powershell' ? 'ps1' : shell}`); // PowerShell runs only .ps1 files as scripts
  writeFileSync(file, (await run(process.execPath, [CLIS[program], 'completion', shell])).stdout);
  return file;
}

/** The subcommands --help lists, as a user reads them. */
async function helpCommands(program: Program, ...path: string[]): Promise<string[]> {
  const help = (await run(process.execPath, [CLIS[program], ...path, '--help'])).stdout;
  const section = help.split(/^Commands:\n/m)[1]!.split(/\n\n/)[0]!;
  return [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}

// Each line: the words typed, the last one being completed.
const CASES: Array<[Program, string[], string[]]> = [
  ['smtp-probe', ['pr'], ['probe']],
  ['smtp-probe', ['probe', '--ti'], ['--timeout']],
  ['smtp-probe', ['probe', '--mode', 's'], ['starttls']],
  ['smtp-probe', ['schema', '--file', 'probe_s'], ['probe_summary']],
  ['smtp-probe', ['completion', '--h'], ['--help']],
  ['smtp-fleet', ['inv'], ['inventory']],
  ['smtp-fleet', ['inventory', 'sc'], ['schema']],
  ['smtp-fleet', ['--store', 'x', 'sweep', '--dead'], ['--deadline']],
  ['smtp-fleet', ['inventory', 'import', '--dry'], ['--dry-run']],
];

describe('bash completion (real bash)', () => {
  async function complete(program: Program, words: string[]): Promise<string[]> {
    const file = await script(program, 'bash');
    const fn = `_${program.replace('-', '_')}`;
    const driver = `source ${JSON.stringify(file)}
complete -p ${program}
COMP_WORDS=(${[program, ...words].map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}; COMPREPLY=()
${fn}
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout } = await run('bash', ['--norc', '--noprofile', '-c', driver]);
    const [registration, ...candidates] = stdout.trim().split('\n');
    expect(registration).toBe(`complete -o filenames -F ${fn} ${program}`);
    return candidates.filter(Boolean);
  }

  it.each(CASES)('%s %j completes to %j', async (program, words, want) => {
    expect(await complete(program, words)).toEqual(want);
  });

  it.each([['smtp-probe'], ['smtp-fleet']] as const)('%s: an empty word offers every subcommand --help lists', async (program) => {
    expect((await complete(program, [''])).sort()).toEqual((await helpCommands(program)).sort());
  });

  it('a file option completes file names', async () => {
    writeFileSync(join(dir, 'inventory-for-completion.yml'), 'x');
    expect(await complete('smtp-fleet', ['--inventory', join(dir, 'inventory-for-c')])).toEqual([join(dir, 'inventory-for-completion.yml')]);
  });
});

describe('zsh completion (real zsh)', () => {
  it.each([['smtp-probe'], ['smtp-fleet']] as const)('%s: the script passes zsh -n and offers the expected candidates', async (program) => {
    const file = await script(program, 'zsh');
    await run('zsh', ['-n', file]);
    // compadd recorded: zsh itself filters candidates by the typed prefix.
    const driver = `compdef() { print -r -- "compdef $*"; }
source ${JSON.stringify(file)}
compadd() { [[ $1 == -- ]] && shift; print -r -- "$*"; }
_files() { print -r -- FILES; }
words=(${program} ${program === 'smtp-probe' ? 'probe --mode ""' : 'inventory ""'}); CURRENT=\${#words}; _${program.replace('-', '_')}
words=(${program} ${program === 'smtp-probe' ? 'probe --out ""' : '--store ""'}); CURRENT=\${#words}; _${program.replace('-', '_')}`;
    const { stdout } = await run('zsh', ['-f', '-c', driver]);
    const [registration, values, files] = stdout.trim().split('\n');
    expect(registration).toBe(`compdef _${program.replace('-', '_')} ${program}`);
    expect(values).toBe(program === 'smtp-probe' ? 'auto starttls implicit plain' : 'import schema');
    expect(files).toBe('FILES');
  });
});

describe('PowerShell completion (real PowerShell 7)', () => {
  it('loads, registers a native completer and TabExpansion2 returns the expected candidates', async () => {
    const files = { 'smtp-probe': await script('smtp-probe', 'powershell'), 'smtp-fleet': await script('smtp-fleet', 'powershell') };
    const lines = CASES.map(([program, words]) => [program, ...words].join(' '));
    const ps1 = join(dir, 'drive.ps1');
    writeFileSync(
      ps1,
      `$ErrorActionPreference = 'Stop'
. '${files['smtp-probe']}'
. '${files['smtp-fleet']}'
foreach ($line in @(${lines.map((l) => `'${l}'`).join(', ')})) {
  $r = TabExpansion2 -inputScript $line -cursorColumn $line.Length
  ($r.CompletionMatches | ForEach-Object { $_.CompletionText }) -join ' '
}
`,
    );
    const { stdout } = await run(PWSH, ['-NoProfile', '-NonInteractive', '-File', ps1], { env: pwshEnv, timeout: 120_000 });
    expect(stdout.trim().split(/\r?\n/)).toEqual(CASES.map(([, , want]) => want.join(' ')));
  }, 150_000);
});

describe('completion usage errors', () => {
  it('an unknown shell is a usage error (exit 2, one line)', async () => {
    const err = await run(process.execPath, [CLI, 'completion', 'fish']).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
    expect((err as { stderr: string }).stderr).toMatch(/bash, zsh, powershell/);
  });
});

describe('man pages', () => {
  it.each([['smtp-probe'], ['smtp-fleet']] as const)('%s.1 renders with groff -man without a warning, and man -l shows every command', async (program) => {
    const page = join(ROOT, 'dist/man', `${program}.1`);
    // The build wrote it from the CLI's own tree: it is what `man` prints now.
    expect(readFileSync(page, 'utf8')).toBe((await run(process.execPath, [CLIS[program], 'man'])).stdout);
    const groff = await run('groff', ['-man', '-Tutf8', '-ww', '-z', page]);
    expect(groff.stderr).toBe('');
    const shown = (await run('man', ['-l', page], { env: { ...process.env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '', PAGER: 'cat' } })).stdout;
    expect(shown).toMatch(new RegExp(`^NAME\\n\\s+${program} - `, 'm'));
    for (const section of ['SYNOPSIS', 'OPTIONS', 'COMMANDS', 'EXIT STATUS', 'SEE ALSO']) expect(shown).toMatch(new RegExp(`^${section}$`, 'm'));
    for (const cmd of await helpCommands(program)) if (cmd !== 'inventory') expect(shown, cmd).toContain(`${program} ${cmd}`);
    expect(shown).toMatch(program === 'smtp-probe' ? /^\s+13\s+auth$/m : /^\s+5\s+Redis unreachable$/m);
  });

  it('package.json installs both pages from the build', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { man: string[]; files: string[]; scripts: Record<string, string> };
    expect(pkg.man).toEqual(['./dist/man/smtp-probe.1', './dist/man/smtp-fleet.1']);
    expect(pkg.files).toContain('dist');
    for (const s of ['build', 'build:payload', 'prepare']) expect(pkg.scripts[s]).toContain('packaging/man-pages.js');
  });
});

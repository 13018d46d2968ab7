// A man(7) page made from the commander tree (`smtp-probe man`, `smtp-fleet man`; the build
// writes dist/man/*.1 with them). Small code: the roff a command tree needs is a few macros,
// and the packages that write man pages start from markdown, not from the parser itself.
import { allCommands, type CommandInfo, type OptionInfo } from './command-tree.js';

/** Text made safe for roff: backslashes, dashes, and a leading `.` or `'` that would read as a request. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

function option(o: OptionInfo): string {
  const [names, value] = [o.flags.replace(/\s*[<[].*$/, ''), /([<[].*)$/.exec(o.flags)?.[1]];
  const choices = o.choices.length ? ` (one of: ${o.choices.join(', ')})` : '';
  return ['.TP', `\\fB${roff(names)}\\fR${value ? ` \\fI${roff(value)}\\fR` : ''}`, roff(o.description + choices)].join('\n');
}

/** Free text (a command's notes after --help): blank lines start paragraphs, indented lines keep their own line. */
function paragraphs(text: string): string[] {
  if (!text) return [];
  return ['.PP', ...text.split('\n').flatMap((l) => (!l.trim() ? ['.PP'] : /^\s/.test(l) ? ['.br', roff(l.trim())] : [roff(l.trim())]))];
}

function commandSection(program: string, c: CommandInfo): string[] {
  return [
    `.SS "${roff([program, ...c.path, c.usage].join(' '))}"`,
    roff(c.description),
    ...c.options.filter((o) => o.names[0] !== '--help').map(option),
    ...paragraphs(c.after),
  ];
}

export interface ManPageInfo {
  program: string;
  version: string;
  /** One line for NAME. */
  summary: string;
  exitCodes: ReadonlyArray<readonly [number, string]>;
  seeAlso: string[];
}

/** The page, in man(7) macros; `man -l` and `groff -man` read it. */
export function manPage(tree: CommandInfo, info: ManPageInfo): string {
  const commands = allCommands(tree).slice(1).filter((c) => c.commands.length === 0 || c.options.length > 1);
  return [
    `.TH ${info.program.toUpperCase()} 1 "" "${info.program} ${info.version}" "User Commands"`,
    '.SH NAME',
    `${info.program} \\- ${roff(info.summary)}`,
    '.SH SYNOPSIS',
    `.B ${info.program}`,
    roff(tree.usage),
    '.SH DESCRIPTION',
    roff(tree.description),
    '.SH OPTIONS',
    ...tree.options.map(option),
    '.SH COMMANDS',
    ...commands.flatMap((c) => commandSection(info.program, c)),
    '.SH EXIT STATUS',
    ...info.exitCodes.flatMap(([code, meaning]) => ['.TP', `.B ${code}`, roff(meaning)]),
    '.SH SEE ALSO',
    info.seeAlso.map((s) => `.BR ${s.replace(/\((\d)\)$/, ' ($1)')}`).join(' ,\n'),
    '',
  ].join('\n');
}

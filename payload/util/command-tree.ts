// The commander definitions as plain data, for what is generated from them (shell completion,
// the man page): one walk of the Command tree, so neither can drift from the options parsed.
import type { Command, Option } from 'commander';

export interface OptionInfo {
  flags: string;
  names: string[]; // `--out`, `-o`
  description: string;
  /** The option takes a value (`--out <dir>`); `file` when its placeholder names a path. */
  value: 'none' | 'word' | 'file';
  choices: string[];
}

export interface CommandInfo {
  /** Words after the program name: `[]` for the program, `['inventory', 'import']`. */
  path: string[];
  usage: string;
  description: string;
  /** Text the command adds after its --help (`addHelpText('after')`: exit codes, notes). */
  after: string;
  options: OptionInfo[];
  commands: CommandInfo[];
}

const FILE_PLACEHOLDER = /<[^>]*(file|dir|path|folder)[^>]*>/i;

function optionInfo(o: Option): OptionInfo {
  const takes = o.required || o.optional;
  return {
    flags: o.flags,
    names: [o.long, o.short].filter((n): n is string => Boolean(n)),
    description: o.description,
    value: !takes ? 'none' : FILE_PLACEHOLDER.test(o.flags) ? 'file' : 'word',
    choices: o.argChoices ?? [],
  };
}

/** What --help prints beyond the generated part; commander keeps it only as a help event. */
function helpAfter(cmd: Command): string {
  const saved = cmd.configureOutput();
  let out = '';
  let generated = '';
  cmd.configureOutput({ ...saved, writeOut: (s) => (out += s), getOutHelpWidth: () => 1000 });
  try {
    generated = cmd.helpInformation();
    cmd.outputHelp();
  } finally {
    cmd.configureOutput(saved);
  }
  const at = out.indexOf(generated);
  return (at >= 0 ? out.slice(at + generated.length) : '').trim();
}

/** The tree below `cmd`, without hidden commands and options; help options included, as commander parses them. */
export function commandTree(cmd: Command, path: string[] = []): CommandInfo {
  const help = cmd.createHelp();
  return {
    path,
    usage: cmd.usage(),
    description: cmd.description(),
    after: helpAfter(cmd),
    options: help.visibleOptions(cmd).map(optionInfo),
    commands: help
      .visibleCommands(cmd)
      .filter((c) => c.name() !== 'help')
      .map((c) => commandTree(c, [...path, c.name()])),
  };
}

/** Every command of the tree, depth first, the program first. */
export function allCommands(tree: CommandInfo): CommandInfo[] {
  return [tree, ...tree.commands.flatMap(allCommands)];
}

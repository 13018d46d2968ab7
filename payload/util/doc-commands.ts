// `completion <shell>` and `man`, the same on both CLIs: made from the program's own tree when
// they run, so they list exactly what the parser accepts.
import { Argument, type Command } from 'commander';
import { COMPLETION_SHELLS, type CompletionShell } from './completion.js';
import type { ManPageInfo } from './man-page.js';

export function addDocCommands(program: Command, info: () => ManPageInfo): void {
  program
    .command('completion')
    .description('Print the shell completion script (bash, zsh or powershell); see the README for where to put it.')
    .addArgument(new Argument('<shell>', 'the shell').choices(COMPLETION_SHELLS))
    .action(async (shell: CompletionShell) => {
      const [{ commandTree }, { completionScript }] = await Promise.all([import('./command-tree.js'), import('./completion.js')]);
      process.stdout.write(completionScript(shell, program.name(), commandTree(program)));
    });
  // Hidden: the build writes its output to dist/man/; `man smtp-probe` is how people read it.
  program
    .command('man', { hidden: true })
    .description('Print the man page (roff).')
    .action(async () => {
      const [{ commandTree }, { manPage }] = await Promise.all([import('./command-tree.js'), import('./man-page.js')]);
      process.stdout.write(manPage(commandTree(program), info()));
    });
}

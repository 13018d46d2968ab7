// The roff the man pages are made of: text that would read as a request or an escape stays text.
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { commandTree } from '../../payload/util/command-tree.js';
import { manPage, roff } from '../../payload/util/man-page.js';

describe('man page', () => {
  it('escapes backslashes, dashes and a leading dot or quote', () => {
    expect(roff('C:\\Bots\\mail.json')).toBe('C:\\eBots\\email.json');
    expect(roff('--out <dir>')).toBe('\\-\\-out <dir>');
    expect(roff('.TH not a request\n\'also not')).toBe('\\&.TH not a request\n\\&\'also not');
  });

  it('lists each command with its options, choices and after-help notes, and the exit codes given', () => {
    const p = new Command('demo').description('a demo');
    p.command('run')
      .description('run it')
      .option('--mode <mode>', 'how')
      .addHelpText('after', '\nExit codes: 0 fine, 3 not.');
    const page = manPage(commandTree(p), { program: 'demo', version: '1.0', summary: 'demo tool', exitCodes: [[0, 'fine'], [3, 'not']], seeAlso: ['ls(1)'] });
    expect(page).toMatch(/^\.TH DEMO 1 "" "demo 1\.0" "User Commands"$/m);
    expect(page).toContain('.SS "demo run [options]"');
    expect(page).toContain('\\fB\\-\\-mode\\fR \\fI<mode>\\fR\nhow');
    expect(page).toContain('Exit codes: 0 fine, 3 not.');
    expect(page).toContain('.TP\n.B 3\nnot');
    expect(page).toContain('.BR ls (1)');
  });
});

// The npm-installed `smtp-probe` (package.json bin: dist/payload/bin.js) runs the one-file
// bundle dist/payload/smtp-probe.cjs that `npm run build` makes (issue 16: start-up), and
// must behave exactly as the module CLI does.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../payload/version.js';
import { CLI, ROOT } from './helpers.js';

const BIN = join(ROOT, 'dist/payload/bin.js');
const run = (file: string, args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', env });

describe('npm bin', () => {
  it('package.json points smtp-probe at the bin, which has a shebang and a bundle beside it', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['smtp-probe']).toBe('dist/payload/bin.js');
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    expect(existsSync(join(ROOT, 'dist/payload/smtp-probe.cjs'))).toBe(true);
  });

  it('answers as the module CLI does: --version, explain, a usage error and its exit code', () => {
    expect(run(BIN, ['--version']).stdout.trim()).toBe(VERSION);
    const reply = ['explain', '535-5.7.8 Username and Password not accepted. For more information, go to', '--json'];
    const viaBin = run(BIN, reply);
    const viaModules = run(CLI, reply);
    expect(viaBin.status).toBe(viaModules.status);
    expect(JSON.parse(viaBin.stdout)).toEqual(JSON.parse(viaModules.stdout));
    const bad = run(BIN, ['probe', '--port', 'nope']);
    expect(bad.status).toBe(run(CLI, ['probe', '--port', 'nope']).status);
    expect(bad.stderr).toMatch(/^smtp-probe: error/m);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('loads the bundle, not the modules (the modules would show in a module trace)', () => {
    // NODE_DEBUG=module lists each CommonJS file and require; the bundle is one of them, cli.js never.
    const r = run(BIN, ['--version'], { ...process.env, NODE_DEBUG: 'module' });
    expect(r.stdout.trim()).toBe(VERSION);
    const trace = r.stderr;
    expect(trace).toMatch(/smtp-probe\.cjs/);
    expect(trace).not.toMatch(/payload\/cli\.js/);
  });
});

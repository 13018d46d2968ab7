// zod's namespace export carries every locale it ships (z.locales: some 50 message
// catalogues, ~300 KB of the 1.2 MB bundle, most of it escaped non-ASCII text). smtp-probe
// uses zod's default English messages only, and every byte of the bundle is read and held at
// each start, which on a machine with slow page faults is the largest part of it (issue 16).
// In the bundle, zod's locale index exports English alone.
import { readFileSync } from 'node:fs';
import type { Plugin } from 'esbuild';
import { PackagingError } from './fetch-runtimes.js';

const LINE = /^export \{ default as ([A-Za-z]+) \} from "\.\/([A-Za-z-]+)\.js";$/;

/** zod's v4/locales/index.js reduced to its English export; fails the build when the file is not the list of re-exports it expects. */
export function englishOnlyLocales(source: string): string {
  const lines = source.split('\n').filter((l) => l.trim());
  const en = lines.find((l) => LINE.exec(l)?.[1] === 'en');
  if (!en || lines.some((l) => !LINE.test(l))) {
    throw new PackagingError("zod's v4/locales/index.js is no longer a list of locale re-exports with English among them: update packaging/zod-english-only.ts");
  }
  return `${en}\n`;
}

export const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      loader: 'js',
      contents: englishOnlyLocales(readFileSync(args.path, 'utf8')),
    }));
  },
};

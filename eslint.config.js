// Flat config: typescript-eslint's recommended set plus the house boundary rule:
// payload/ runs alone on a runner, so it may not import the fleet's folders.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['payload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'node:net',
              importNames: ['isIP'],
              message: 'use ipFamily (payload/util/ip-family.ts): isIP compiles its IPv6 pattern for every host name (issue 16).',
            },
            {
              name: 'node:perf_hooks',
              message: "use payload/util/clock.ts: perf_hooks loads nine modules at every start (issue 16).",
            },
          ],
          patterns: [
            {
              regex: '^(\\.\\./)+(controller|queue|store|transport|inventory|packaging|test|lab|bench)(/|$)',
              message: 'payload/ must bundle alone: it may not import controller/, queue/, store/, transport/, inventory/, packaging/, test/, lab/ or bench/.',
            },
          ],
        },
      ],
    },
  },
);

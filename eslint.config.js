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

// Lint runs as part of `npm test`; type-aware rules would double the type check, so the
// recommended (syntax-level) rules plus a few that catch real bugs in async code are used.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.local/', 'artifacts/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      eqeqeq: ['error', 'smart'],
      'prefer-const': 'error',
    },
  },
  {
    // One error tree (src/errors.ts): every error the product throws carries a registered code.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ThrowStatement > NewExpression[callee.name=/^(Error|TypeError|RangeError)$/]",
          message: 'throw an InsiderError subclass from src/errors.ts (a registered code), not a bare Error',
        },
      ],
    },
  },
  // One front door per folder: a file imports another src folder only through that folder's index.ts
  // (a folder's own files import each other directly). One block per depth, as the path is relative.
  ...[
    ['src/*.ts', '^\\./[^/]+/.+'],
    ['src/*/*.ts', '^\\.\\./[^/.][^/]*/.+'],
    ['src/*/*/*.ts', '^\\.\\./\\.\\./[^/.][^/]*/.+'],
  ].map(([files, regex]) => ({
    files: [files],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex, message: "import another src folder through its index.ts (e.g. '../detect'), not one of its files" }] }],
    },
  })),
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The dashboard runs in the browser.
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['test/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
  },
);

// Lint: type-aware rules that matter for socket and promise-heavy code.

import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import n from 'eslint-plugin-n'
import globals from 'globals'

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.d.ts', '.cache/**'] },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.cts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test's test()/describe() return promises the runner itself awaits.
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }]
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': 'off'
    }
  },
  {
    files: ['**/*.ts', '**/*.cts', '**/*.js', '**/*.mjs'],
    plugins: { n },
    languageOptions: { globals: globals.node },
    rules: {
      'n/prefer-node-protocol': 'error',
      'n/no-process-exit': 'error'
    }
  },
  {
    // CommonJS TypeScript (the git-sync bin): `import x = require()` is its import syntax.
    files: ['**/*.cts'],
    rules: { '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }] }
  },
  {
    // CLIs and scripts decide their exit codes.
    files: ['**/src/main.ts', 'scripts/**', 'bench/**', 'examples/**/*.mjs'],
    rules: { 'n/no-process-exit': 'off' }
  },
  {
    // The services depend on the runtime, never on each other.
    files: ['packages/*/src/**/*.ts', 'packages/*/src/**/*.cts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@pod-patterns/git-sync', '@pod-patterns/redis-ambassador', '@pod-patterns/metrics-adapter'], message: 'services must not depend on each other; share code through @pod-patterns/runtime' }]
      }]
    }
  }
)

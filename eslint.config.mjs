// Type-aware lint. `npm run check` runs it with --max-warnings 0.
import js from '@eslint/js';
import checkFile from 'eslint-plugin-check-file';
import tseslint from 'typescript-eslint';

// File names: kebab-case `<thing>.<role>.ts` with a fixed set of roles (STYLE.md, rule 2).
const roles = [
  'module',
  'service',
  'repository',
  'entity',
  'resolver',
  'model',
  'input',
  'consumer',
  'connector',
  'client',
  'mapper',
  'use-case',
  'exception',
  'controller',
  'health',
  'indicator',
  'guard',
  'decorator',
  'publisher',
  'producer',
  'schema',
  'loader',
  'factory',
  'tokens',
  'types',
  'util',
  'command',
  'bootstrap',
  'env',
  'bench',
  'generator',
  'catalog',
  'codec',
  'config',
  'double',
  'runner',
  'relay',
  'scheduler',
  'strategy',
  'constants',
  'validator',
  'normalizer',
  'interceptor',
  'migration',
  'manager',
  'spec',
  'int-spec',
  'e2e-spec',
];
const fileName = `+([a-z0-9])*(-+([a-z0-9])).@(${roles.join('|')})?(.@(spec|int-spec|e2e-spec))`;

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.cache/', '.stack/', '**/generated/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Nest's decorators and DI use classes whose imports look type-only; consistent-type-imports keeps them values.
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-console': 'error',
    },
  },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    // Migrations follow TypeORM's <timestamp>-<PascalCaseName>.ts convention (STYLE rule 10).
    ignores: ['**/index.ts', '**/main.ts', '**/migrations/*.ts'],
    plugins: { 'check-file': checkFile },
    rules: { 'check-file/filename-naming-convention': ['error', { '**/*.ts': fileName }] },
  },
  {
    files: ['scripts/**/*.mts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);

// Type-aware lint. `npm run check` runs it with --max-warnings 0.
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import checkFile from 'eslint-plugin-check-file';
import reactHooks from 'eslint-plugin-react-hooks';
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
  'sink',
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
  'hook',
  'context',
  'spec',
  'int-spec',
  'e2e-spec',
  'cluster-spec',
];
const fileName = `+([a-z0-9])*(-+([a-z0-9])).@(${roles.join('|')})?(.@(spec|int-spec|e2e-spec|cluster-spec))`;

// Lib boundaries (docs/architecture.md): which @vigil lib each lib may import. A DAG, lowest layer first; a lib
// outside its list is a lint error, so a new dependency is a decision made here, not a habit. @vigil/testing is
// open to every lib's tests (specs) only.
const libLayers = {
  common: [],
  config: [],
  observability: ['config', 'common'],
  events: ['common'],
  formats: ['common', 'events'],
  kafka: ['config', 'common', 'observability', 'events'],
  store: ['config', 'common', 'events', 'observability', 'integrity'],
  'audit-sdk': ['config', 'common', 'observability', 'events', 'kafka'],
  connector: ['config', 'common', 'observability', 'events', 'formats', 'kafka'],
  sinks: ['config', 'common', 'observability', 'events', 'formats', 'connector'],
  operations: ['config', 'common', 'observability', 'events', 'formats', 'kafka', 'store', 'connector', 'sinks', 'integrity'],
  streams: ['config', 'common', 'observability', 'events', 'formats', 'kafka', 'store', 'connector', 'sinks'],
  ingest: ['common', 'events'],
  integrity: ['events'],
  testing: [
    'config',
    'common',
    'observability',
    'events',
    'formats',
    'kafka',
    'store',
    'connector',
    'sinks',
    'operations',
    'audit-sdk',
    'streams',
    'ingest',
    'integrity',
  ],
};
const specFiles = (dir) => [`${dir}/**/*.spec.ts`, `${dir}/**/*.int-spec.ts`, `${dir}/**/*.e2e-spec.ts`];
const kafkajsOnlyInLibsKafka = {
  regex: '^kafkajs(/|$)',
  message: 'kafkajs is wrapped by libs/kafka: use what @vigil/kafka exports (or add it there).',
};
const noRelativeApps = {
  regex: '^(\\.\\./)+apps/',
  message: 'Nothing imports an app: move what is shared into a lib and import it as @vigil/<lib>.',
};
const noRelativeLibs = {
  regex: `^(\\.\\./)+(libs/|(${Object.keys(libLayers).join('|')})/src(/|$))`,
  message: 'Import a lib through its alias (@vigil/<lib>), never by relative path.',
};
const libPatterns = (lib, extra = []) => {
  const allowed = [...libLayers[lib], ...extra];
  return [
    {
      group: ['@vigil/*', ...allowed.map((name) => `!@vigil/${name}`)],
      message: `libs/${lib} may import only ${allowed.map((name) => `@vigil/${name}`).join(', ') || 'no @vigil lib'} (libLayers in eslint.config.mjs).`,
    },
    ...(lib === 'kafka' ? [] : [kafkajsOnlyInLibsKafka]),
    noRelativeApps,
    noRelativeLibs,
  ];
};
const restrict = (files, patterns, ignores = []) => ({ files, ignores, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const appNames = readdirSync(`${import.meta.dirname}/apps`, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? [d.name] : []));
// One Splunk sink never imports the webhook's files (or the reverse): each sink stands alone, as one novu provider.
const sinkNames = readdirSync(`${import.meta.dirname}/libs/sinks/src`).flatMap((file) => /^(.+)\.sink\.ts$/.exec(file)?.[1] ?? []);
// Later entries override earlier ones for the files they match, so each entry carries the full list of patterns.
const boundaries = [
  ...appNames.flatMap((app) => {
    const otherApps = {
      regex: `^(\\.\\./)+(apps/)?(${appNames.filter((other) => other !== app).join('|')})/`,
      message: 'An app never imports another app: move what both need into a lib.',
    };
    return [
      restrict(
        [`apps/${app}/**/*.ts`],
        [
          { group: ['@vigil/testing'], message: 'Test helpers are for tests (*.spec.ts).' },
          kafkajsOnlyInLibsKafka,
          noRelativeLibs,
          otherApps,
        ],
      ),
      restrict(specFiles(`apps/${app}`), [kafkajsOnlyInLibsKafka, noRelativeLibs, otherApps]),
    ];
  }),
  // A new lib imports no other until it has its line in libLayers.
  restrict(
    ['libs/**/*.ts'],
    [{ group: ['@vigil/*'], message: 'Give this lib its line in libLayers (eslint.config.mjs).' }, kafkajsOnlyInLibsKafka, noRelativeApps],
  ),
  ...Object.keys(libLayers).map((lib) => restrict([`libs/${lib}/**/*.ts`], libPatterns(lib))),
  ...sinkNames.map((name) =>
    restrict(
      [`libs/sinks/src/${name}.*.ts`],
      [
        ...libPatterns('sinks'),
        {
          regex: `^\\./(${sinkNames.filter((other) => other !== name).join('|')})\\.`,
          message: 'A sink never imports another sink.',
        },
      ],
      specFiles('libs/sinks'),
    ),
  ),
  ...Object.keys(libLayers).map((lib) => restrict(specFiles(`libs/${lib}`), libPatterns(lib, ['testing']))),
  restrict(['test/**/*.ts', 'bench/**/*.ts'], [kafkajsOnlyInLibsKafka, noRelativeApps, noRelativeLibs]),
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    ignores: ['libs/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read the environment through @vigil/config (a schema and loadConfig).' },
      ],
    },
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.cache/', '.stack/', '.stack-test/', '**/generated/', 'bench/results/'] },
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
  ...boundaries,
  // The audit console (apps/console): React's rules of hooks and exhaustive effect dependencies. The plugin's React
  // Compiler rules are left out: the console is not compiled by it, and they forbid the plain fetch-in-effect pattern.
  {
    files: ['apps/console/**/*.ts', 'apps/console/**/*.tsx', 'apps/console/**/*.mts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    files: ['apps/console/**/*.tsx'],
    plugins: { 'check-file': checkFile },
    rules: { 'check-file/filename-naming-convention': ['error', { '**/*.tsx': '+([a-z0-9])*(-+([a-z0-9]))' }] },
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

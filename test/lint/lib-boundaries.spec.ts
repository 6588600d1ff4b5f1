import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { repoRoot } from '@vigil/testing';

const BOUNDARY_RULES = new Set(['no-restricted-imports', 'no-restricted-properties']);

/**
 * Lints snippets as if they were files of the tree, with the repository's own eslint.config.mjs. Type information is
 * switched off (the snippets are not on disk for the project service); the boundary rules do not need it.
 */
describe('lib boundaries (eslint.config.mjs)', () => {
  let eslint: ESLint;

  before(() => {
    eslint = new ESLint({
      cwd: repoRoot,
      overrideConfigFile: path.join(repoRoot, 'eslint.config.mjs'),
      overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }],
    });
  });

  async function problems(filePath: string, ...lines: string[]): Promise<string[]> {
    const [result] = await eslint.lintText(`${lines.join('\n')}\n`, { filePath });
    const messages = result?.messages ?? [];
    const fatal = messages.find((m) => m.fatal === true);
    assert.equal(fatal, undefined, `the snippet for ${filePath} should parse: ${fatal?.message}`);
    return messages.filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId)).map((m) => m.message);
  }

  const use = (name: string): string => `export const used = ${name};`;
  // Built at run time: the build's alias rewriting would turn a literal @vigil import in a string into a relative path.
  const importLib = (name: string, lib: string): string => `import { ${name} } from '${['@vigil', lib].join('/')}';`;

  it('lets a lib import the libs below it, and an app import any lib', async () => {
    assert.deepEqual(await problems('libs/events/src/x.util.ts', importLib('Clock', 'common'), use('Clock')), []);
    assert.deepEqual(
      await problems(
        'libs/store/src/x.util.ts',
        importLib('loadConfig', 'config'),
        importLib('CATEGORIES', 'events'),
        use('[loadConfig, CATEGORIES]'),
      ),
      [],
    );
    assert.deepEqual(await problems('apps/query-api/src/x.util.ts', importLib('runMigrations', 'store'), use('runMigrations')), []);
    assert.deepEqual(await problems('libs/kafka/src/x.client.ts', "import { Kafka } from 'kafkajs';", use('Kafka')), []);
  });

  it('refuses kafkajs outside libs/kafka', async () => {
    for (const file of ['libs/store/src/x.util.ts', 'apps/cli/src/x.command.ts', 'test/kafka/x.int-spec.ts', 'bench/x.bench.ts']) {
      const found = await problems(file, "import { Kafka } from 'kafkajs';", use('Kafka'));
      assert.equal(found.length, 1, `${file}: ${found.join('; ')}`);
      assert.match(found[0] ?? '', /kafkajs is wrapped by libs\/kafka/);
    }
  });

  it('refuses a lib outside the importing lib’s layer, naming what it may import', async () => {
    const found = await problems('libs/events/src/x.util.ts', importLib('KafkaModule', 'kafka'), use('KafkaModule'));
    assert.deepEqual(found, [
      "'@vigil/kafka' import is restricted from being used by a pattern. libs/events may import only @vigil/common (libLayers in eslint.config.mjs).",
    ]);
    assert.equal((await problems('libs/store/src/x.util.ts', importLib('KafkaModule', 'kafka'), use('KafkaModule'))).length, 1);
    assert.equal((await problems('libs/config/src/x.util.ts', importLib('Clock', 'common'), use('Clock'))).length, 1);
  });

  it('keeps @vigil/testing for tests', async () => {
    const helper = [importLib('waitFor', 'testing'), use('waitFor')];
    assert.equal((await problems('libs/store/src/x.util.ts', ...helper)).length, 1);
    assert.equal((await problems('apps/query-api/src/x.util.ts', ...helper)).length, 1);
    assert.deepEqual(await problems('libs/store/src/x.util.spec.ts', ...helper), []);
    assert.deepEqual(await problems('libs/store/src/x.util.int-spec.ts', ...helper), []);
  });

  it('refuses app internals and relative paths into libs from tests, benchmarks and libs', async () => {
    const app = ["import { QueryApiModule } from '../../apps/query-api/src/query-api.module';", use('QueryApiModule')];
    assert.match((await problems('test/query-api/x.util.ts', ...app))[0] ?? '', /Nothing imports an app/);
    assert.match(
      (await problems('bench/x.bench.ts', "import { M } from '../apps/query-api/src/query-api.module';", use('M')))[0] ?? '',
      /Nothing imports an app/,
    );
    assert.match(
      (await problems('libs/store/src/x.util.ts', "import { M } from '../../../apps/query-api/src/m.module';", use('M')))[0] ?? '',
      /Nothing imports an app/,
    );
    const relativeLib = ["import { runMigrations } from '../../libs/store/src/migrations.util';", use('runMigrations')];
    assert.match((await problems('test/store/x.int-spec.ts', ...relativeLib))[0] ?? '', /through its alias/);
    assert.match(
      (await problems('libs/store/src/x.util.ts', "import { Clock } from '../../common/src/clock.service';", use('Clock')))[0] ?? '',
      /through its alias/,
    );
    assert.deepEqual(
      await problems(
        'test/connectors/x.int-spec.ts',
        "import { SplunkHecDouble } from '../doubles/splunk-hec.double';",
        use('SplunkHecDouble'),
      ),
      [],
    );
  });

  it('refuses an app importing another app', async () => {
    const found = await problems('apps/cli/src/x.command.ts', "import { M } from '../../materializer/src/materializer.module';", use('M'));
    assert.match(found[0] ?? '', /An app never imports another app/);
    assert.deepEqual(await problems('apps/cli/src/sub/x.command.ts', "import { CliError } from '../cli.util';", use('CliError')), []);
  });

  it('refuses a sink importing another sink, not its own files', async () => {
    const found = await problems(
      'libs/sinks/src/splunk-hec.sink.ts',
      "import { webhookSpec } from './webhook.schema';",
      use('webhookSpec'),
    );
    assert.deepEqual(found, ["'./webhook.schema' import is restricted from being used by a pattern. A sink never imports another sink."]);
    assert.deepEqual(
      await problems('libs/sinks/src/splunk-hec.sink.ts', "import { splunkHecSpec } from './splunk-hec.schema';", use('splunkHecSpec')),
      [],
    );
  });

  it('refuses process.env outside libs/config', async () => {
    const read = ["export const level = process.env['LOG_LEVEL'];"];
    assert.match((await problems('libs/observability/src/x.factory.ts', ...read))[0] ?? '', /through @vigil\/config/);
    assert.match((await problems('test/docs/x.util.ts', ...read))[0] ?? '', /through @vigil\/config/);
    assert.deepEqual(await problems('libs/config/src/x.loader.ts', ...read), []);
  });
});

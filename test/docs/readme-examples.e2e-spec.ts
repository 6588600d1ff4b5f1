import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inheritedEnvironment } from '@vigil/config';
import { AppProcess, repoRoot, requireStack, testEnv } from '@vigil/testing';
import { assignedName, runShell, shellBlocks, type ShellBlock } from './doc-examples.util';

const DOCUMENTS = ['README.md', ...readdirSync(path.join(repoRoot, 'docs')).flatMap((f) => (f.endsWith('.md') ? [`docs/${f}`] : []))];
const blocks: ShellBlock[] = DOCUMENTS.flatMap((file) => shellBlocks(readFileSync(path.join(repoRoot, file), 'utf8'), file));
// The documents address the query API of `npm start`; the test's own runs on a free port.
const DOCUMENTED_API = 'localhost:4000';
// The documents address the development stack's OpenSearch node; the examples run against the test stack's.
const DOCUMENTED_OPENSEARCH = 'localhost:9200';
// And the ingest gateway of `npm start`.
const DOCUMENTED_GATEWAY = 'localhost:4300';
const KEY_PLACEHOLDER = '<key>';
const PRINTED_KEY = /key \(shown once; store it now\): (\S+)/;

function parseJson(text: string, output: string): { data?: unknown; errors?: unknown } {
  try {
    return JSON.parse(text) as { data?: unknown; errors?: unknown };
  } catch {
    return assert.fail(`the answer is not JSON:\n${output}`);
  }
}

/**
 * Runs the shell examples of README.md and docs/*.md as a reader pastes them, against the real stack and the test
 * database: each command must exit 0, a GraphQL answer must carry data and no errors. A block that cannot run here
 * says why in a `<!-- not-run: reason -->` line above it; every other block runs.
 */
describe('README and docs shell examples', () => {
  // The test stack's addresses in the apps' own variables: an example never reaches the development stack.
  const stack = {
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
    DATABASE_URL: testEnv.databaseUrl,
  };
  const api = new AppProcess('query-api', { ...stack, QUERY_API_LIVE: 'false' });
  const gateway = new AppProcess('ingest-gateway', stack);
  const env = { ...inheritedEnvironment(), ...stack };

  before(async () => {
    await requireStack(['kafka', 'registry', 'postgres', 'opensearch']);
    await api.start();
    await gateway.start();
  });
  after(async () => {
    await api.stop();
    await gateway.stop();
  });

  it('marks every block it does not run, with a reason', () => {
    const unmarked = blocks.filter((b) => b.notRun === undefined);
    assert.ok(
      unmarked.some((b) => b.file === 'README.md'),
      'the README’s first look runs',
    );
    for (const block of blocks.filter((b) => b.notRun !== undefined))
      assert.ok((block.notRun ?? '').length > 3, `${block.file}:${block.line}`);
  });

  for (const block of blocks) {
    it(`${block.file}:${block.line} runs as written`, { skip: block.notRun }, async () => {
      let key: string | undefined;
      // An assignment runs once, as in the reader's shell; later commands get its value (a create is not repeated).
      const variables: Record<string, string> = {};
      for (const written of block.commands) {
        if (written.includes(KEY_PLACEHOLDER)) assert.ok(key !== undefined, `${written}: no earlier \`apikeys create\` printed a key`);
        const command = written
          .replaceAll(KEY_PLACEHOLDER, key ?? '')
          .replaceAll(DOCUMENTED_API, `127.0.0.1:${api.port}`)
          .replaceAll(DOCUMENTED_OPENSEARCH, new URL(testEnv.opensearchUrl).host)
          .replaceAll(DOCUMENTED_GATEWAY, `127.0.0.1:${gateway.port}`);
        const name = assignedName(command);
        const script = name === undefined ? command : `${command}\nprintf '%s' "$${name}"`;
        const result = await runShell(script, { cwd: repoRoot, env: { ...env, ...variables }, timeoutMs: 180_000 });
        const output = `$ ${written}\n${result.stdout}\n${result.stderr}`.slice(-4000);
        assert.equal(result.code, 0, output);
        if (name !== undefined) variables[name] = result.stdout;
        key = PRINTED_KEY.exec(result.stdout)?.[1] ?? key;
        if (/^curl\b/.test(command) && command.includes('/graphql')) {
          const answer = parseJson(result.stdout, output);
          assert.equal(answer.errors, undefined, output);
          assert.ok(typeof answer.data === 'object' && answer.data !== null, output);
        }
      }
    });
  }
});

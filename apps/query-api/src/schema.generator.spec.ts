import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { printQueryApiSchema } from './schema.generator';

describe(printQueryApiSchema.name, () => {
  it('generates the committed apps/query-api/schema.gql', async () => {
    // From dist/apps/query-api/src to the repository root.
    const committed = readFileSync(path.resolve(__dirname, '..', '..', '..', '..', 'apps', 'query-api', 'schema.gql'), 'utf8');
    assert.equal(await printQueryApiSchema(), committed, 'apps/query-api/schema.gql is stale: run `npm run codegen`');
  });
});

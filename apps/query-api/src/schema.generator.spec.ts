import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { RESOLVER_TYPE_METADATA } from '@nestjs/graphql';
import { LIVE_RESOLVERS, QueryApiModule, RESOLVERS } from './query-api.module';
import { printQueryApiSchema } from './schema.generator';

describe(printQueryApiSchema.name, () => {
  it('generates the committed apps/query-api/schema.gql', async () => {
    // From dist/apps/query-api/src to the repository root.
    const committed = readFileSync(path.resolve(__dirname, '..', '..', '..', '..', 'apps', 'query-api', 'schema.gql'), 'utf8');
    assert.equal(await printQueryApiSchema(), committed, 'apps/query-api/schema.gql is stale: run `npm run codegen`');
  });

  it('prints every resolver the module registers (a resolver left out would be missing from schema.gql)', async () => {
    const env = { VIGIL_API_KEY_PEPPER: 'schema-generator-spec-pepper', QUERY_API_LIVE: 'true' };
    const registered = (QueryApiModule.forRoot(env).providers ?? []).filter(
      (provider) => typeof provider === 'function' && Reflect.hasMetadata(RESOLVER_TYPE_METADATA, provider),
    );
    const printed: readonly unknown[] = [...RESOLVERS, ...LIVE_RESOLVERS];
    assert.ok(registered.length >= 6, String(registered.length));
    for (const resolver of registered)
      assert.ok(printed.includes(resolver), `${String((resolver as { name?: string }).name)} is not printed`);
    const sdl = await printQueryApiSchema();
    for (const field of ['streams(', 'checkpoints(', 'createStream(', 'createViewerToken(', 'me: Me!', 'eventAdded(', 'events(']) {
      assert.ok(sdl.includes(field), `schema.gql lacks ${field}`);
    }
  });
});

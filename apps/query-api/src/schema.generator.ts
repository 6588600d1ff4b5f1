import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { GRAPHQL_SDL_FILE_HEADER, GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { LIVE_RESOLVERS, RESOLVERS } from './query-api.module';

/**
 * The API's schema as SDL, from the code-first resolvers and models, exactly as Nest would write it. `npm run
 * codegen` writes it to apps/query-api/schema.gql and `npm run check` fails when that file is stale; the running
 * service only builds the schema in memory, so it never writes into its checkout.
 */
export async function printQueryApiSchema(): Promise<string> {
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  try {
    // Every resolver the module registers, the live tail's included (it is registered when QUERY_API_LIVE is on).
    const schema = await app.get(GraphQLSchemaFactory).create([...RESOLVERS, ...LIVE_RESOLVERS]);
    return GRAPHQL_SDL_FILE_HEADER + printSchema(lexicographicSortSchema(schema));
  } finally {
    await app.close();
  }
}

// Run by scripts/codegen.mts (compiled): the SDL on stdout.
if (require.main === module) {
  printQueryApiSchema()
    .then((sdl) => process.stdout.write(sdl))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}

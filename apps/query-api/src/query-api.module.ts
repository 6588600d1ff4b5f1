import { IntegrityKeysController } from './integrity/integrity-keys.controller';
import { IntegrityResolver } from './integrity/integrity.resolver';
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import type { GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import type { ServerOptions } from 'graphql-ws';
import { GraphQLError, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate, type GraphQLFormattedError } from 'graphql';
import type { Request } from 'express';
import { ClockModule } from '@vigil/common';
import { OPERATIONS_OPTIONS, VerifyUseCase } from '@vigil/operations';
import { APP_CONFIG, ConfigModule, loadConfig } from '@vigil/config';
import { ConsumerHostModule, KafkaHealthIndicator, KafkaModule } from '@vigil/kafka';
import { ObservabilityModule, type ReadinessIndicator } from '@vigil/observability';
import {
  AuditEventQueryRepository,
  AuditEventRepository,
  DatabaseModule,
  EVENT_QUERY_OPTIONS,
  PostgresHealthIndicator,
  type EventQueryOptions,
} from '@vigil/store';
import { ExpressApolloDriver, type LiveSocketOptions } from './apollo-express.strategy';
import { ConsoleModule } from './console/console.module';
import { AuthGuard } from './auth/auth.guard';
import { precheckCredential } from './auth/authenticator.service';
import { QueryAccessModule } from './auth/query-access.module';
import { EventQueryService } from './events/event-query.service';
import { EventsResolver } from './events/events.resolver';
import { EventsExportController } from './export/events-export.controller';
import { LIMIT_EXTENSION, queryLimitsRule } from './graphql-limits.validator';
import { LiveEventsConsumer } from './live/live-events.consumer';
import { LiveEventsService } from './live/live-events.service';
import { LiveEventsResolver } from './live/live-events.resolver';
import { LiveSessions, type LiveContext } from './live/live-sessions.service';
import { queryApiConfigSchema, type QueryApiConfig } from './query-api.config';
import { formatQueryError, graphqlRefusal, HttpQueryErrorMapper } from './query-error.mapper';
import { QueryException } from './query.exception';
import { QuerySessionSettings } from './query-session.service';
import { streamAdminProviders } from './streams/stream-admin.factory';
import { StreamsResolver } from './streams/streams.resolver';
import { MeResolver } from './auth/me.resolver';
import { ViewerTokensResolver } from './viewer/viewer-tokens.resolver';

/** Every resolver the API registers but the live tail's; `schema.generator.ts` prints the schema from these and LIVE_RESOLVERS. */
export const RESOLVERS = [EventsResolver, IntegrityResolver, StreamsResolver, ViewerTokensResolver, MeResolver] as const;
/** The live tail's resolvers, registered when QUERY_API_LIVE is on (and always in the committed schema). */
export const LIVE_RESOLVERS = [LiveEventsResolver] as const;

/**
 * An HTTP request's context, made before Apollo parses or validates the document: a request without a
 * credential of an acceptable shape is refused here (401), so an anonymous caller costs no validation CPU.
 */
function preCheckedRequest(req: Request, config: QueryApiConfig): { req: Request } {
  try {
    // A JWS may be an identity provider's JWT or a viewer token: either configured, the shape is acceptable.
    const jwsAccepted =
      config.QUERY_API_JWKS_URL !== undefined ||
      config.QUERY_API_JWT_SECRET !== undefined ||
      config.QUERY_API_VIEWER_TOKEN_SECRET !== undefined;
    precheckCredential(req.headers, jwsAccepted);
  } catch (err) {
    throw err instanceof QueryException ? graphqlRefusal(err) : err;
  }
  return { req };
}

/**
 * graphql-ws runs outside Apollo: it gets the same validation rules and error formatting here, and its
 * connections authenticate at connection_init and are re-checked by LiveSessions.
 */
function liveOptions(config: QueryApiConfig, sessions: LiveSessions): GraphQLWsSubscriptionsConfig {
  const rules = [...specifiedRules, queryLimitsRule(config.QUERY_API_MAX_DEPTH, config.QUERY_API_MAX_COMPLEXITY)];
  if (!config.QUERY_API_INTROSPECTION) rules.push(NoSchemaIntrospectionCustomRule); // what Apollo does for HTTP
  const format = (errors: readonly GraphQLError[]): GraphQLFormattedError[] => errors.map((e) => formatQueryError(e.toJSON(), e));
  const options: Partial<ServerOptions<Record<string, unknown> | undefined>> = {
    onConnect: (ctx) => sessions.connect(ctx),
    onClose: (ctx) => sessions.disconnect(ctx),
    parse: (source) => parse(source, { maxTokens: config.QUERY_API_MAX_TOKENS }),
    // A document past the token limit (or otherwise unparseable) is answered as an error of that subscription,
    // as over HTTP, instead of graphql-ws closing the whole connection with 4500.
    onSubscribe: (_ctx, _id, payload) => {
      try {
        parse(payload.query, { maxTokens: config.QUERY_API_MAX_TOKENS });
        return undefined;
      } catch (err) {
        if (!(err instanceof GraphQLError)) throw err;
        return [new GraphQLError(err.message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
      }
    },
    // graphql-js's own rule errors carry no code: they get GRAPHQL_VALIDATION_FAILED, as Apollo gives them over HTTP.
    validate: (schema, document) =>
      validate(schema, document, rules).map((e) =>
        e.extensions['code'] !== undefined || e.extensions[LIMIT_EXTENSION] === true
          ? e
          : new GraphQLError(e.message, { nodes: e.nodes, extensions: { ...e.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } }),
      ),
    onError: (_ctx, _id, _payload, errors) => format(errors),
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
  };
  // Nest's type names a few of graphql-ws's options, but it passes them all through to useServer.
  return options;
}

const graphql = GraphQLModule.forRootAsync<ApolloDriverConfig>({
  driver: ExpressApolloDriver,
  imports: [QueryAccessModule],
  inject: [APP_CONFIG, LiveSessions],
  useFactory: (config: QueryApiConfig, sessions: LiveSessions): ApolloDriverConfig & LiveSocketOptions => ({
    path: '/graphql',
    liveMaxMessageBytes: config.QUERY_API_LIVE_MAX_MESSAGE_BYTES,
    // In memory only: a running service never writes into its checkout (codegen writes schema.gql, schema.generator.ts).
    autoSchemaFile: true,
    sortSchema: true,
    playground: false,
    introspection: config.QUERY_API_INTROSPECTION,
    parseOptions: { maxTokens: config.QUERY_API_MAX_TOKENS },
    includeStacktraceInErrorResponses: false,
    formatError: formatQueryError,
    validationRules: [queryLimitsRule(config.QUERY_API_MAX_DEPTH, config.QUERY_API_MAX_COMPLEXITY)],
    subscriptions: config.QUERY_API_LIVE ? { 'graphql-ws': liveOptions(config, sessions) } : undefined,
    // An HTTP request ({ req }) or, for a subscription, graphql-ws's connection context.
    context: (arg: { req: Request } | LiveContext) =>
      'req' in arg && arg.req ? preCheckedRequest(arg.req, config) : { req: sessions.requestOf(arg as LiveContext) },
  }),
});

@Module({})
export class QueryApiModule {
  /**
   * The app; `env` overrides the process environment (tests). The live tail (Kafka) is on unless QUERY_API_LIVE is
   * false: the module's shape follows the validated config, read through libs/config like every other setting.
   */
  static forRoot(env?: Readonly<Record<string, string | undefined>>): DynamicModule {
    const config = loadConfig(queryApiConfigSchema, env);
    const live = config.QUERY_API_LIVE;
    const readiness: Type<ReadinessIndicator>[] = live ? [PostgresHealthIndicator, KafkaHealthIndicator] : [PostgresHealthIndicator];
    return {
      module: QueryApiModule,
      imports: [
        ConfigModule.forRoot(queryApiConfigSchema, env),
        ObservabilityModule.forRoot({ name: 'query-api', readiness }),
        ClockModule,
        DatabaseModule,
        QueryAccessModule,
        ...(live ? [KafkaModule, ConsumerHostModule] : []),
        graphql,
        ConsoleModule.forRoot({
          enabled: config.QUERY_API_CONSOLE,
          dir: config.QUERY_API_CONSOLE_DIR,
          frameAncestors: config.QUERY_API_CONSOLE_FRAME_ANCESTORS,
        }),
      ],
      controllers: [EventsExportController, IntegrityKeysController],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: HttpQueryErrorMapper },
        QuerySessionSettings,
        AuditEventRepository,
        AuditEventQueryRepository,
        {
          provide: EVENT_QUERY_OPTIONS,
          inject: [APP_CONFIG],
          useFactory: (config: QueryApiConfig): EventQueryOptions => ({
            statementTimeoutMs: config.QUERY_API_STATEMENT_TIMEOUT_MS,
            exportTimeoutMs: config.QUERY_API_EXPORT_TIMEOUT_MS,
          }),
        },
        EventQueryService,
        // verifyIntegrity runs `vigil verify`'s use case, which reads only the database URL of the operations' options.
        {
          provide: OPERATIONS_OPTIONS,
          inject: [APP_CONFIG],
          useFactory: (config: QueryApiConfig) => ({ databaseUrl: config.DATABASE_URL }),
        },
        VerifyUseCase,
        ...streamAdminProviders,
        ...RESOLVERS,
        ...(live ? [LiveEventsService, LiveEventsConsumer, ...LIVE_RESOLVERS] : []),
      ],
    };
  }
}

import path from 'node:path';
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import type { GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import type { ServerOptions } from 'graphql-ws';
import { specifiedRules, validate, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Request } from 'express';
import { APP_CONFIG, ConfigModule } from '@vigil/config';
import { ConsumerHostModule, KafkaHealthIndicator, KafkaModule } from '@vigil/kafka';
import { ObservabilityModule, type ReadinessIndicator } from '@vigil/observability';
import { ApiKeyRepository, DatabaseModule, PostgresHealthIndicator } from '@vigil/store';
import { ExpressApolloDriver } from './apollo-express.strategy';
import { AuthGuard } from './auth/auth.guard';
import { Authenticator } from './auth/authenticator.service';
import { JwtVerifier } from './auth/jwt-verifier.service';
import { RateLimiter } from './auth/rate-limiter.service';
import { EventQueryRepository } from './events/event-query.repository';
import { EventQueryService } from './events/event-query.service';
import { EventsResolver } from './events/events.resolver';
import { EventsExportController } from './export/events-export.controller';
import { queryLimitsRule } from './graphql-limits.validator';
import { LiveEventsConsumer } from './live/live-events.consumer';
import { LiveEventsService } from './live/live-events.service';
import { LiveEventsResolver } from './live/live-events.resolver';
import { queryApiConfigSchema, type QueryApiConfig } from './query-api.config';
import { formatQueryError, HttpQueryErrorMapper } from './query-error.mapper';

/** A subscription's context: its connectionParams stand in for the request headers (lowercased names). */
function subscriptionRequest(connectionParams: Readonly<Record<string, unknown>> | undefined): { headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(connectionParams ?? {})) if (typeof value === 'string') headers[key.toLowerCase()] = value;
  return { headers };
}

/** graphql-ws runs outside Apollo: it gets the same validation rules and error formatting here. */
function liveOptions(config: QueryApiConfig): GraphQLWsSubscriptionsConfig {
  const rules = [...specifiedRules, queryLimitsRule(config.QUERY_API_MAX_DEPTH, config.QUERY_API_MAX_COMPLEXITY)];
  const format = (errors: readonly GraphQLError[]): GraphQLFormattedError[] => errors.map((e) => formatQueryError(e.toJSON(), e));
  const options: Partial<ServerOptions> = {
    validate: (schema, document) => validate(schema, document, rules),
    onError: (_ctx, _id, _payload, errors) => format(errors),
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
  };
  // Nest's type names a few of graphql-ws's options, but it passes them all through to useServer.
  return options;
}

const graphql = GraphQLModule.forRootAsync<ApolloDriverConfig>({
  driver: ExpressApolloDriver,
  inject: [APP_CONFIG],
  useFactory: (config: QueryApiConfig): ApolloDriverConfig => ({
    path: '/graphql',
    autoSchemaFile: config.QUERY_API_SCHEMA_FILE === 'false' ? true : path.resolve(config.QUERY_API_SCHEMA_FILE),
    sortSchema: true,
    playground: false,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: formatQueryError,
    validationRules: [queryLimitsRule(config.QUERY_API_MAX_DEPTH, config.QUERY_API_MAX_COMPLEXITY)],
    subscriptions: config.QUERY_API_LIVE ? { 'graphql-ws': liveOptions(config) } : undefined,
    context: (arg: { req?: Request; connectionParams?: Record<string, unknown> }) =>
      arg.req ? { req: arg.req } : { req: subscriptionRequest(arg.connectionParams) },
  }),
});

@Module({})
export class QueryApiModule {
  /** The app; `env` overrides the process environment (tests). The live tail (Kafka) is on unless QUERY_API_LIVE=false. */
  static forRoot(env: Readonly<Record<string, string | undefined>> = process.env): DynamicModule {
    const live = env['QUERY_API_LIVE'] !== 'false' && env['QUERY_API_LIVE'] !== '0' && env['QUERY_API_LIVE'] !== 'no';
    const readiness: Type<ReadinessIndicator>[] = live ? [PostgresHealthIndicator, KafkaHealthIndicator] : [PostgresHealthIndicator];
    return {
      module: QueryApiModule,
      imports: [
        ConfigModule.forRoot(queryApiConfigSchema, env),
        ObservabilityModule.forRoot({ name: 'query-api', readiness }),
        DatabaseModule,
        ...(live ? [KafkaModule, ConsumerHostModule] : []),
        graphql,
      ],
      controllers: [EventsExportController],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: HttpQueryErrorMapper },
        ApiKeyRepository,
        Authenticator,
        JwtVerifier,
        RateLimiter,
        EventQueryRepository,
        EventQueryService,
        EventsResolver,
        ...(live ? [LiveEventsService, LiveEventsConsumer, LiveEventsResolver] : []),
      ],
    };
  }
}

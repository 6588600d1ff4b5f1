import { ApolloServer, HeaderMap, type ApolloServerOptions, type BaseContext } from '@apollo/server';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

type ContextFn = (arg: { req: Request; res: Response }) => Promise<BaseContext>;

/** The driver's own option: the largest WebSocket message the live tail's server reads (QUERY_API_LIVE_MAX_MESSAGE_BYTES). */
export interface LiveSocketOptions {
  liveMaxMessageBytes?: number;
}

/** The part of @nestjs/graphql's GqlSubscriptionService this driver bounds: its two `ws` servers' options. */
interface SubscriptionServers {
  wss?: { options: { maxPayload?: number } };
  subTransWs?: { options: { maxPayload?: number } };
}

/**
 * Apollo Server 5 under Nest's Express adapter. @nestjs/apollo would load `@as-integrations/express5`,
 * which this repository does not install; the HTTP mapping it does is these few lines
 * (`executeHTTPGraphQLRequest` and copying the response), so the driver does it itself.
 */
@Injectable()
export class ExpressApolloDriver extends ApolloDriver {
  /**
   * @nestjs/graphql makes the live tail's WebSocket server with `ws`'s default `maxPayload` of 100 MiB and no way to
   * set it: a client could send a 100 MiB connection_init, which is buffered and parsed before it is authenticated.
   * The servers read `maxPayload` from their options at each upgrade, so it is set on them here, after they exist;
   * if a new @nestjs/graphql keeps them elsewhere, the app refuses to start rather than run unbounded.
   */
  override async start(options: ApolloDriverConfig & LiveSocketOptions): Promise<void> {
    await super.start(options);
    if (!options.subscriptions || options.liveMaxMessageBytes === undefined) return;
    // The service is private to ApolloDriver (`_subscriptionService`); read here on purpose, checked below.
    const service = (this as unknown as { _subscriptionService?: SubscriptionServers })._subscriptionService;
    const servers = [service?.wss, service?.subTransWs];
    if (servers.some((server) => typeof server?.options !== 'object')) {
      throw new Error('cannot bound the live tail’s WebSocket messages: @nestjs/graphql’s subscription service has changed shape');
    }
    for (const server of servers) if (server) server.options.maxPayload = options.liveMaxMessageBytes;
  }

  protected override async registerExpress(options: ApolloDriverConfig): Promise<void> {
    const { path = '/graphql', typeDefs, resolvers, schema } = options;
    const httpAdapter = this.httpAdapterHost.httpAdapter;
    // Nest's options are Apollo's plus its own keys (path, autoSchemaFile ...), which Apollo ignores.
    const server = new ApolloServer<BaseContext>({ ...options, typeDefs, resolvers, schema } as ApolloServerOptions<BaseContext>);
    await server.start();
    const context = options.context as ContextFn | undefined;
    httpAdapter.use(path, (req: Request, res: Response, next: NextFunction) => {
      void this.handle(server, context, req, res).catch(next);
    });
    this.apolloServer = server;
  }

  private async handle(server: ApolloServer<BaseContext>, context: ContextFn | undefined, req: Request, res: Response): Promise<void> {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const search = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search, body: (req.body as unknown) ?? {} },
      context: () => (context ? context({ req, res }) : Promise.resolve({})),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.status(response.status ?? 200);
    if (response.body.kind === 'complete') {
      res.send(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

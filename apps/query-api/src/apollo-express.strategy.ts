import { ApolloServer, HeaderMap, type ApolloServerOptions, type BaseContext } from '@apollo/server';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

type ContextFn = (arg: { req: Request; res: Response }) => Promise<BaseContext>;

/**
 * Apollo Server 5 under Nest's Express adapter. @nestjs/apollo would load `@as-integrations/express5`,
 * which this repository does not install; the HTTP mapping it does is these few lines
 * (`executeHTTPGraphQLRequest` and copying the response), so the driver does it itself.
 */
@Injectable()
export class ExpressApolloDriver extends ApolloDriver {
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

import { ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { LIMIT_EXTENSION } from './graphql-limits.validator';
import { QueryErrorCode, QueryException } from './query.exception';

/** GraphQL's own request errors (parse, validation, variable coercion): about the query text, safe to show. */
const GRAPHQL_REQUEST_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST']);

export function httpStatusOf(code: QueryErrorCode): number {
  switch (code) {
    case QueryErrorCode.UNAUTHENTICATED:
      return HttpStatus.UNAUTHORIZED;
    case QueryErrorCode.FORBIDDEN:
      return HttpStatus.FORBIDDEN;
    case QueryErrorCode.BAD_USER_INPUT:
      return HttpStatus.BAD_REQUEST;
    case QueryErrorCode.NOT_FOUND:
      return HttpStatus.NOT_FOUND;
    case QueryErrorCode.RATE_LIMITED:
    case QueryErrorCode.TOO_MANY_CONCURRENT:
    case QueryErrorCode.TOO_MANY_SUBSCRIPTIONS:
      return HttpStatus.TOO_MANY_REQUESTS;
    case QueryErrorCode.EXPORTS_BUSY:
    case QueryErrorCode.UNAVAILABLE:
      return HttpStatus.SERVICE_UNAVAILABLE;
    case QueryErrorCode.CONFLICT:
      return HttpStatus.CONFLICT;
    case QueryErrorCode.TIMEOUT:
      return HttpStatus.GATEWAY_TIMEOUT;
  }
}

function extensionsOf(err: QueryException): Record<string, unknown> {
  switch (err.code) {
    case QueryErrorCode.BAD_USER_INPUT:
      return { code: err.code, field: err.field };
    case QueryErrorCode.RATE_LIMITED:
    case QueryErrorCode.TOO_MANY_CONCURRENT:
    case QueryErrorCode.EXPORTS_BUSY:
      return { code: err.code, retryAfterSeconds: err.retryAfterSeconds };
    case QueryErrorCode.TOO_MANY_SUBSCRIPTIONS:
    case QueryErrorCode.UNAUTHENTICATED:
    case QueryErrorCode.FORBIDDEN:
    case QueryErrorCode.NOT_FOUND:
    case QueryErrorCode.TIMEOUT:
    case QueryErrorCode.CONFLICT:
    case QueryErrorCode.UNAVAILABLE:
      return { code: err.code };
  }
}

/**
 * Apollo's formatError: a QueryException keeps its message and code, GraphQL's own request errors keep
 * theirs, and anything else (a bug, a lost connection) becomes INTERNAL_SERVER_ERROR without its message,
 * which could hold SQL. Never a stack trace.
 */
export function formatQueryError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? error.originalError : error;
  const path = formatted.path ? { path: formatted.path } : {};
  if (original instanceof QueryException) return { message: original.message, ...path, extensions: extensionsOf(original) };
  if (formatted.extensions?.[LIMIT_EXTENSION] === true) {
    return { message: formatted.message, extensions: { code: QueryErrorCode.BAD_USER_INPUT, field: 'query' } };
  }
  const code = formatted.extensions?.['code'];
  if (typeof code === 'string' && GRAPHQL_REQUEST_CODES.has(code) && !(original instanceof Error && !(original instanceof GraphQLError))) {
    const field = formatted.extensions?.['field'];
    return {
      message: formatted.message,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code, ...(field ? { field } : {}) },
    };
  }
  return { message: 'internal error', ...path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/**
 * A refusal raised before Apollo runs the document (the credential pre-check in the context function):
 * Apollo answers with its HTTP status, and formatQueryError gives it the usual message and code.
 */
export function graphqlRefusal(err: QueryException): GraphQLError {
  return new GraphQLError(err.message, { originalError: err, extensions: { http: { status: httpStatusOf(err.code) } } });
}

/** HTTP edge (the export): a QueryException becomes its status and `{ code, message, field? }`; GraphQL errors pass through. */
@Catch(QueryException)
export class HttpQueryErrorMapper implements ExceptionFilter<QueryException> {
  catch(err: QueryException, host: ArgumentsHost): unknown {
    if (host.getType<string>() !== 'http') return err;
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      res.destroy(err);
      return undefined;
    }
    if (err.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    res.status(httpStatusOf(err.code)).json({ error: { message: err.message, ...extensionsOf(err) } });
    return undefined;
  }
}

import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { principalOf, requestOf } from './auth.guard';

/** The authenticated caller of a resolver or controller method (set by AuthGuard). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext) => principalOf(requestOf(context)));

/** The request itself (GraphQL's context request, or the HTTP request): the key of per-request state such as a RowBudget. */
export const CurrentRequest = createParamDecorator((_data: unknown, context: ExecutionContext): object => requestOf(context));

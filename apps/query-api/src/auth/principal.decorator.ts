import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { principalOf, requestOf } from './auth.guard';

/** The authenticated caller of a resolver or controller method (set by AuthGuard). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext) => principalOf(requestOf(context)));

import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import { QueryErrorCode, QueryException } from '../query.exception';
import { Authenticator, type Headers } from './authenticator.service';
import { PLATFORM_ADMIN_ROLE, PRINCIPAL, VIEWER_ROLE, type Principal, type Role, type WithPrincipal } from './principal.types';
import { RateLimiter } from './rate-limiter.service';
import { VIEWER_ALLOWED } from './viewer-allowed.decorator';

/** Probes and scrapes, served by libs/observability: the only routes without a credential. */
const PUBLIC_PATHS = /^\/(health|metrics)(\/|$)/;
/**
 * Roles that may read events; `ops` runs connectors and replays. Only the platform admin reads across tenants
 * (scopeFor); a viewer reads its token's tenant, actor and target, and only where `@ViewerAllowed()` says.
 */
export const READ_ROLES: readonly Role[] = ['analyst', 'admin', PLATFORM_ADMIN_ROLE, VIEWER_ROLE];

export interface GuardedRequest extends WithPrincipal {
  headers: Headers;
  path?: string;
}

/** The request behind any handler: the HTTP request, or the GraphQL context's (the subscription's is built from connectionParams). */
export function requestOf(context: ExecutionContext): GuardedRequest {
  if (context.getType<string>() === 'graphql') return GqlExecutionContext.create(context).getContext<{ req: GuardedRequest }>().req;
  return context.switchToHttp().getRequest<GuardedRequest>();
}

/** The principal the guard attached; a handler that runs has one. */
export function principalOf(request: GuardedRequest): Principal {
  const principal = request[PRINCIPAL];
  if (!principal) throw new QueryException(QueryErrorCode.UNAUTHENTICATED, 'not authenticated');
  return principal;
}

/** What a viewer was refused: the GraphQL field, or the HTTP route. */
function handlerName(context: ExecutionContext, request: GuardedRequest): string {
  return context.getType<string>() === 'graphql'
    ? GqlExecutionContext.create(context).getInfo<{ fieldName: string }>().fieldName
    : (request.path ?? 'this route');
}

/**
 * The global guard (APP_GUARD): every resolver and controller, including ones added later, requires a valid API
 * key, JWT or viewer token, a role that may read, and a token from the caller's rate-limit bucket. A viewer token
 * may call only what is marked `@ViewerAllowed()`: everything else, new resolvers included, is FORBIDDEN to it.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly limiter: RateLimiter,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = requestOf(context);
    if (context.getType<string>() === 'http' && PUBLIC_PATHS.test(request.path ?? '')) return true;
    // Already authenticated for this request (several guarded fields in one operation, or a live connection).
    const principal = request[PRINCIPAL] ?? (await this.authenticated(request));
    if (
      principal.role === VIEWER_ROLE &&
      !this.reflector.getAllAndOverride<boolean>(VIEWER_ALLOWED, [context.getHandler(), context.getClass()])
    ) {
      throw new QueryException(QueryErrorCode.FORBIDDEN, `a viewer token cannot call ${handlerName(context, request)}`);
    }
    return true;
  }

  private async authenticated(request: GuardedRequest): Promise<Principal> {
    const principal = await this.authenticator.authenticate(request.headers);
    if (!READ_ROLES.includes(principal.role)) {
      throw new QueryException(QueryErrorCode.FORBIDDEN, `the ${principal.role} role cannot read events; ${READ_ROLES.join(', ')} can`);
    }
    const waitSeconds = this.limiter.take(principal.subject);
    if (waitSeconds > 0) {
      throw new QueryException(
        QueryErrorCode.RATE_LIMITED,
        `too many requests for this key; retry in ${waitSeconds} s`,
        undefined,
        waitSeconds,
      );
    }
    request[PRINCIPAL] = principal;
    return principal;
  }
}

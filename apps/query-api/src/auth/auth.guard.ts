import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { QueryErrorCode, QueryException } from '../query.exception';
import { Authenticator, type Headers } from './authenticator.service';
import { PLATFORM_ADMIN_ROLE, PRINCIPAL, type Principal, type Role, type WithPrincipal } from './principal.types';
import { RateLimiter } from './rate-limiter.service';

/** Probes and scrapes, served by libs/observability: the only routes without a credential. */
const PUBLIC_PATHS = /^\/(health|metrics)(\/|$)/;
/** Roles that may read events; `ops` runs connectors and replays. Only the platform admin reads across tenants (scopeFor). */
export const READ_ROLES: readonly Role[] = ['analyst', 'admin', PLATFORM_ADMIN_ROLE];

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

/**
 * The global guard (APP_GUARD): every resolver and controller, including ones added later, requires a
 * valid API key or JWT, a role that may read, and a token from the caller's rate-limit bucket.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly limiter: RateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = requestOf(context);
    if (context.getType<string>() === 'http' && PUBLIC_PATHS.test(request.path ?? '')) return true;
    if (request[PRINCIPAL]) return true; // already checked for this request (several guarded fields in one operation)
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
    return true;
  }
}

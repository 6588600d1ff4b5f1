import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { PinoLogger } from 'nestjs-pino';
import { VIEWER_TOKEN_DEFAULT_TTL_SECONDS, viewerGrantProblems, type ViewerRestriction } from '@vigil/store';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { PLATFORM_ADMIN_ROLE, VIEWER_ROLE, type Principal } from '../auth/principal.types';
import { VIEWER_TOKENS_NOT_CONFIGURED, ViewerTokenService } from '../auth/viewer-token.service';
import { QueryErrorCode, QueryException } from '../query.exception';
import { CreateViewerTokenInput, ViewerTokenModel } from './viewer-token.model';

/** Roles that mint viewer tokens: a tenant's admins (their own tenant) and platform admins (any tenant). */
const MINT_ROLES: readonly string[] = ['admin', PLATFORM_ADMIN_ROLE];

const nullToUndefined = (value: string | null | undefined): string | undefined => value ?? undefined;

/**
 * Viewer tokens for the embedded console: a vendor's server mints one for a tenant (optionally one actor or one
 * target) and hands it to the browser. Not marked @ViewerAllowed: a viewer token can never mint another.
 */
@Resolver(() => ViewerTokenModel)
export class ViewerTokensResolver {
  constructor(
    private readonly viewerTokens: ViewerTokenService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(ViewerTokensResolver.name);
  }

  @Mutation(() => ViewerTokenModel, {
    description:
      'Mints a read-only viewer token for one tenant (optionally one actor and/or one target). admin: its own tenant; platform-admin: any',
  })
  async createViewerToken(
    @CurrentPrincipal() principal: Principal,
    @Args('input', { type: () => CreateViewerTokenInput }) input: CreateViewerTokenInput,
  ): Promise<ViewerTokenModel> {
    if (principal.role === VIEWER_ROLE || !MINT_ROLES.includes(principal.role)) {
      throw new QueryException(
        QueryErrorCode.FORBIDDEN,
        `the ${principal.role} role cannot mint viewer tokens; ${MINT_ROLES.join(', ')} can`,
      );
    }
    const fields = {
      tenantId: input.tenantId ?? principal.tenantId,
      actorId: nullToUndefined(input.actorId),
      targetType: nullToUndefined(input.targetType),
      targetId: nullToUndefined(input.targetId),
    };
    const ttlSeconds = input.ttlSeconds ?? Math.min(VIEWER_TOKEN_DEFAULT_TTL_SECONDS, this.viewerTokens.maxTtlSeconds);
    const [problem] = viewerGrantProblems(fields, ttlSeconds, this.viewerTokens.maxTtlSeconds);
    if (problem) throw QueryException.badInput(`input.${problem.field}`, problem.message);
    if (principal.role !== PLATFORM_ADMIN_ROLE && fields.tenantId !== principal.tenantId) {
      throw new QueryException(QueryErrorCode.FORBIDDEN, `only the ${PLATFORM_ADMIN_ROLE} role may mint viewer tokens for another tenant`);
    }
    if (!this.viewerTokens.configured) throw new QueryException(QueryErrorCode.FORBIDDEN, VIEWER_TOKENS_NOT_CONFIGURED);
    const restriction: ViewerRestriction = {
      ...(fields.actorId !== undefined ? { actorId: fields.actorId } : {}),
      ...(fields.targetType !== undefined && fields.targetId !== undefined
        ? { target: { type: fields.targetType, id: fields.targetId } }
        : {}),
    };
    const { token, claims } = await this.viewerTokens.mint({ tenantId: fields.tenantId, restriction }, ttlSeconds);
    // Who minted what for whom, never the token: the jti names it.
    this.logger.info(
      {
        by: principal.subject,
        tenantId: claims.tenantId,
        jti: claims.jti,
        expiresAt: claims.expiresAt.toISOString(),
        actorRestricted: restriction.actorId !== undefined,
        targetRestricted: restriction.target !== undefined,
      },
      'viewer token minted',
    );
    return { token, expiresAt: claims.expiresAt.toISOString(), tenantId: claims.tenantId };
  }
}

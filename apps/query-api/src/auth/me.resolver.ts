import { Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from './principal.decorator';
import type { Principal } from './principal.types';
import { MeModel } from './me.model';
import { ViewerAllowed } from './viewer-allowed.decorator';

/** `me`: the caller as the guard authenticated it. No database work (an API key was looked up by the guard already). */
@Resolver(() => MeModel)
export class MeResolver {
  @ViewerAllowed()
  @Query(() => MeModel, { description: 'The authenticated caller: tenant, role, credential and a viewer token’s restriction' })
  me(@CurrentPrincipal() principal: Principal): MeModel {
    return {
      tenantId: principal.tenantId,
      role: principal.role,
      credential: principal.credential,
      expiresAt: principal.expiresAt?.toISOString() ?? null,
      actorId: principal.restriction?.actorId ?? null,
      targetType: principal.restriction?.target?.type ?? null,
      targetId: principal.restriction?.target?.id ?? null,
    };
  }
}

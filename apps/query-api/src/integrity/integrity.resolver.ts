import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import { AuditEventQueryRepository } from '@vigil/store';
import { CurrentPrincipal } from '../auth/principal.decorator';
import type { Principal } from '../auth/principal.types';
import { scopeFor } from '../auth/tenant-scope.factory';
import { ChainCheckpointModel } from '../events/event.model';
import { QueryWorkLimiter } from '../limits/query-work-limiter.service';
import { QueryException } from '../query.exception';

function timeArg(name: string, value: string | null | undefined): Date | undefined {
  if (value == null) return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw QueryException.badInput(name, 'must be an ISO-8601 time');
  return time;
}

/** The caller's tenant's chain checkpoints (docs/integrity.md): what `vigil verify --checkpoints` checks an export with. */
@Resolver(() => ChainCheckpointModel)
export class IntegrityResolver {
  constructor(
    private readonly repository: AuditEventQueryRepository,
    private readonly limits: QueryWorkLimiter,
  ) {}

  @Query(() => [ChainCheckpointModel], {
    description: 'The caller’s tenant’s hash-chain checkpoints, by category and place; at most `first` (default and cap 10,000)',
  })
  async checkpoints(
    @CurrentPrincipal() principal: Principal,
    @Args('category', { type: () => String, nullable: true }) category: string | null,
    @Args('from', { type: () => String, nullable: true, description: 'Taken at or after, ISO-8601' }) from: string | null,
    @Args('to', { type: () => String, nullable: true, description: 'Taken before, ISO-8601' }) to: string | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
  ): Promise<ChainCheckpointModel[]> {
    if (first != null && (first < 1 || first > 10_000)) throw QueryException.badInput('first', 'must be between 1 and 10000');
    const filter = { category: category ?? undefined, from: timeArg('from', from), to: timeArg('to', to), limit: first ?? 10_000 };
    return this.limits.run(principal, () => this.repository.checkpoints(scopeFor(principal, false), filter));
  }
}

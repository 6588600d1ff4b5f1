import { Args, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { Inject } from '@nestjs/common';
import { APP_CONFIG } from '@vigil/config';
import { CurrentPrincipal, CurrentRequest } from '../auth/principal.decorator';
import type { Principal } from '../auth/principal.types';
import { scopeFor } from '../auth/tenant-scope.factory';
import { ViewerAllowed } from '../auth/viewer-allowed.decorator';
import type { Bucket, EventOrder, GroupBy, TenantScope } from '@vigil/store';
import { EventFilterInput } from './event-filter.input';
import { toEventModel } from './event-model.mapper';
import { EventQueryService } from './event-query.service';
import { QueryWorkLimiter } from '../limits/query-work-limiter.service';
import { rowBudgetOf } from '../limits/row-budget.util';
import type { QueryApiConfig } from '../query-api.config';
import {
  AuditEventModel,
  BucketEnum,
  EventConnectionModel,
  EventCountsModel,
  EventOrderEnum,
  GroupByEnum,
  TopEntryModel,
} from './event.model';

/**
 * An event's place in its tenant's chain, for a scope that may see it. A chain place counts every event of the tenant
 * in its category, so two of a restricted viewer's own events would show how many other actors' events came between
 * them, and when; such a viewer cannot verify the chain anyway (integrity is closed to it).
 */
export function chainFor<C>(scope: TenantScope, chain: C | null): C | null {
  return scope.isRestricted ? null : chain;
}

/**
 * The analyst queries. Thin: the service validates and bounds, the repository scopes every query to a tenant,
 * and each root field holds one of its key's database slots while it runs (QueryWorkLimiter): an operation of
 * many root fields counts as many units of work, not one request. A viewer token may call them all: its scope
 * (scopeFor) narrows every query to its tenant, actor and target in the data layer.
 */
@ViewerAllowed()
@Resolver(() => AuditEventModel)
export class EventsResolver {
  constructor(
    private readonly queries: EventQueryService,
    private readonly limits: QueryWorkLimiter,
    @Inject(APP_CONFIG) private readonly config: QueryApiConfig,
  ) {}

  @Query(() => EventConnectionModel, {
    description: 'Events matching the filter, newest first by default; keyset-paginated with opaque cursors',
  })
  async events(
    @CurrentPrincipal() principal: Principal,
    @CurrentRequest() request: object,
    @Args('filter') filter: EventFilterInput,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size: default 100, at most 1,000' }) first: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page' }) after: string | null,
    @Args('order', { type: () => EventOrderEnum, nullable: true, defaultValue: 'NEWEST_FIRST' }) order: EventOrder,
  ): Promise<EventConnectionModel> {
    const scope = scopeFor(principal, filter.allTenants);
    // One budget of rows over every events field of the request, taken before any database work.
    const budget = rowBudgetOf(request, this.config.QUERY_API_MAX_PAGE_SIZE);
    const page = await this.limits.run(principal, () => this.queries.page(scope, filter, first, after, order, budget));
    const edges = page.events.map(({ cursor, event }) => ({
      cursor,
      node: toEventModel(event.event, event.ingestedAt, chainFor(scope, event.chain)),
    }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Query(() => AuditEventModel, { nullable: true, description: 'One event by id; null when absent or not the caller’s tenant’s' })
  async event(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
    @Args('allTenants', { type: () => Boolean, nullable: true, description: 'The platform-admin role only: look in every tenant' })
    allTenants: boolean | null,
  ): Promise<AuditEventModel | null> {
    const scope = scopeFor(principal, allTenants);
    const stored = await this.limits.run(principal, () => this.queries.findById(scope, id));
    return stored ? toEventModel(stored.event, stored.ingestedAt, chainFor(scope, stored.chain)) : null;
  }

  @Query(() => EventCountsModel, { description: 'Event counts per UTC time bucket, optionally per group key' })
  async eventCounts(
    @CurrentPrincipal() principal: Principal,
    @Args('filter') filter: EventFilterInput,
    @Args('bucket', { type: () => BucketEnum }) bucket: Bucket,
    @Args('groupBy', { type: () => GroupByEnum, nullable: true }) groupBy: GroupBy | null,
  ): Promise<EventCountsModel> {
    const scope = scopeFor(principal, filter.allTenants);
    const { rows, truncated } = await this.limits.run(principal, () => this.queries.counts(scope, filter, bucket, groupBy));
    return { counts: rows.map((r) => ({ bucket: r.bucket.toISOString(), key: r.key, count: r.count })), truncated };
  }

  @Query(() => [TopEntryModel], { description: 'The most frequent values of a field, e.g. actors with most failed logins' })
  async topN(
    @CurrentPrincipal() principal: Principal,
    @Args('filter') filter: EventFilterInput,
    @Args('by', { type: () => GroupByEnum }) by: GroupBy,
    @Args('limit', { type: () => Int, nullable: true, defaultValue: 10, description: 'At most 100' }) limit: number,
  ): Promise<TopEntryModel[]> {
    const scope = scopeFor(principal, filter.allTenants);
    return this.limits.run(principal, () => this.queries.top(scope, filter, by, limit));
  }
}

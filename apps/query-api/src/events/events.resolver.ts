import { Args, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/principal.decorator';
import type { Principal } from '../auth/principal.types';
import { scopeFor } from '../auth/tenant-scope.factory';
import type { Bucket, EventOrder, GroupBy } from '@vigil/store';
import { EventFilterInput } from './event-filter.input';
import { toEventModel } from './event-model.mapper';
import { EventQueryService } from './event-query.service';
import {
  AuditEventModel,
  BucketEnum,
  EventConnectionModel,
  EventCountsModel,
  EventOrderEnum,
  GroupByEnum,
  TopEntryModel,
} from './event.model';

/** The analyst queries. Thin: the service validates and bounds, the repository scopes every query to a tenant. */
@Resolver(() => AuditEventModel)
export class EventsResolver {
  constructor(private readonly queries: EventQueryService) {}

  @Query(() => EventConnectionModel, {
    description: 'Events matching the filter, newest first by default; keyset-paginated with opaque cursors',
  })
  async events(
    @CurrentPrincipal() principal: Principal,
    @Args('filter') filter: EventFilterInput,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size: default 100, at most 1,000' }) first: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page' }) after: string | null,
    @Args('order', { type: () => EventOrderEnum, nullable: true, defaultValue: 'NEWEST_FIRST' }) order: EventOrder,
  ): Promise<EventConnectionModel> {
    const page = await this.queries.page(scopeFor(principal, filter.allTenants), filter, first, after, order);
    const edges = page.events.map(({ cursor, event }) => ({ cursor, node: toEventModel(event.event, event.ingestedAt) }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Query(() => AuditEventModel, { nullable: true, description: 'One event by id; null when absent or not the caller’s tenant’s' })
  async event(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
    @Args('allTenants', { type: () => Boolean, nullable: true, description: 'Admins only' }) allTenants: boolean | null,
  ): Promise<AuditEventModel | null> {
    const stored = await this.queries.findById(scopeFor(principal, allTenants), id);
    return stored ? toEventModel(stored.event, stored.ingestedAt) : null;
  }

  @Query(() => EventCountsModel, { description: 'Event counts per UTC time bucket, optionally per group key' })
  async eventCounts(
    @CurrentPrincipal() principal: Principal,
    @Args('filter') filter: EventFilterInput,
    @Args('bucket', { type: () => BucketEnum }) bucket: Bucket,
    @Args('groupBy', { type: () => GroupByEnum, nullable: true }) groupBy: GroupBy | null,
  ): Promise<EventCountsModel> {
    const { rows, truncated } = await this.queries.counts(scopeFor(principal, filter.allTenants), filter, bucket, groupBy);
    return { counts: rows.map((r) => ({ bucket: r.bucket.toISOString(), key: r.key, count: r.count })), truncated };
  }

  @Query(() => [TopEntryModel], { description: 'The most frequent values of a field, e.g. actors with most failed logins' })
  async topN(
    @CurrentPrincipal() principal: Principal,
    @Args('filter') filter: EventFilterInput,
    @Args('by', { type: () => GroupByEnum }) by: GroupBy,
    @Args('limit', { type: () => Int, nullable: true, defaultValue: 10, description: 'At most 100' }) limit: number,
  ): Promise<TopEntryModel[]> {
    return this.queries.top(scopeFor(principal, filter.allTenants), filter, by, limit);
  }
}

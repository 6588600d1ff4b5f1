import { Args, InputType, OmitType, Resolver, Subscription } from '@nestjs/graphql';
import { CurrentPrincipal } from '../auth/principal.decorator';
import type { Principal } from '../auth/principal.types';
import { scopeFor } from '../auth/tenant-scope.factory';
import { ViewerAllowed } from '../auth/viewer-allowed.decorator';
import { EventFilterInput } from '../events/event-filter.input';
import { validateCriteria } from '../events/event-filter.validator';
import { toEventModel } from '../events/event-model.mapper';
import { AuditEventModel } from '../events/event.model';
import { LiveEventsService } from './live-events.service';
import { LiveSessions } from './live-sessions.service';

@InputType('LiveEventFilter', { description: 'The events filter without a time range: the live tail starts now' })
export class LiveEventFilterInput extends OmitType(EventFilterInput, ['from', 'to'] as const, InputType) {}

/** The live tail over graphql-ws, with the same auth, tenant scoping and filters as the queries. */
@Resolver(() => AuditEventModel)
export class LiveEventsResolver {
  constructor(
    private readonly live: LiveEventsService,
    private readonly sessions: LiveSessions,
  ) {}

  @ViewerAllowed()
  @Subscription(() => AuditEventModel, {
    description: 'Events as they arrive in Kafka (not yet necessarily in the store) that match the filter',
    resolve: (event: AuditEventModel) => event,
  })
  eventAdded(
    @CurrentPrincipal() principal: Principal,
    @Args('filter', { type: () => LiveEventFilterInput, nullable: true }) filter: LiveEventFilterInput | null,
  ): AsyncIterableIterator<AuditEventModel> {
    const scope = scopeFor(principal, filter?.allTenants);
    const criteria = validateCriteria(filter ?? {});
    // Counted against the key until the subscription ends however it ends: completed, closed, or fallen behind.
    const release = this.sessions.holdSubscription(principal);
    const events = this.live.subscribe(scope, criteria);
    const models: AsyncIterableIterator<AuditEventModel> = {
      next: async () => {
        try {
          const result = await events.next();
          if (result.done) release();
          return result.done ? { done: true, value: undefined } : { done: false, value: toEventModel(result.value) };
        } catch (err) {
          release();
          throw err;
        }
      },
      return: async () => {
        release();
        await events.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => models,
    };
    return models;
  }
}

import { Injectable } from '@nestjs/common';
import type { AuditEvent } from '@vigil/events';
import { eventMatches, type EventCriteria, type TenantScope } from '@vigil/store';

/** Events a slow subscriber may have queued before it is dropped (it reconnects; Kafka is not held back for it). */
export const MAX_QUEUED = 1000;

interface Subscriber {
  scope: TenantScope;
  criteria: EventCriteria;
  queue: AuditEvent[];
  wake: (() => void) | undefined;
  closed: boolean;
  overflowed: boolean;
}

/** Fan-out of the live tail: each decoded event goes to the subscribers whose tenant scope and filter match. */
@Injectable()
export class LiveEventsService {
  private readonly subscribers = new Set<Subscriber>();

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  publish(events: readonly AuditEvent[]): void {
    for (const subscriber of this.subscribers) {
      for (const event of events) {
        if (!eventMatches(subscriber.scope, subscriber.criteria, event)) continue;
        if (subscriber.queue.length >= MAX_QUEUED) {
          subscriber.overflowed = true;
          break;
        }
        subscriber.queue.push(event);
      }
      subscriber.wake?.();
    }
  }

  /**
   * Matching events from now on. `return()` (client unsubscribed or gone) ends the iteration at once, even
   * while it waits for an event, so no subscriber outlives its client.
   */
  subscribe(scope: TenantScope, criteria: EventCriteria): AsyncIterableIterator<AuditEvent> {
    const subscriber: Subscriber = { scope, criteria, queue: [], wake: undefined, closed: false, overflowed: false };
    this.subscribers.add(subscriber);
    const close = (): IteratorResult<AuditEvent> => {
      subscriber.closed = true;
      this.subscribers.delete(subscriber);
      subscriber.wake?.();
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterableIterator<AuditEvent> = {
      next: async () => {
        for (;;) {
          if (subscriber.closed) return { done: true, value: undefined };
          const event = subscriber.queue.shift();
          if (event) return { done: false, value: event };
          if (subscriber.overflowed) {
            close();
            throw new Error(`the subscriber fell more than ${MAX_QUEUED} events behind; subscribe again`);
          }
          await new Promise<void>((resolve) => (subscriber.wake = resolve));
          subscriber.wake = undefined;
        }
      },
      return: () => Promise.resolve(close()),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}

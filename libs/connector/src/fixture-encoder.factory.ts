// Encoders for encode-pool.spec.ts, built in the pool's worker threads from this module (SinkEncoding.module).
import type { AuditEvent } from '@vigil/events';

/** JSON of the id, the action and a prefix; throws for an event described `unmappable`; ends the thread for `crash`. */
export function fixtureEncoder(options: { prefix: string }): (event: AuditEvent) => string {
  return (event) => {
    if (event.description === 'unmappable') throw new Error('no field for this event');
    if (event.description === 'crash') process.exit(3);
    return JSON.stringify({ prefix: options.prefix, id: event.id, action: event.action });
  };
}

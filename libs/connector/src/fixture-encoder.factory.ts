// Encoders for encode-pool.spec.ts, built in the pool's worker threads from this module (SinkEncoding.module).
import type { AuditEvent } from '@vigil/events';

/**
 * JSON of the id, the action and a prefix; throws for an event described `unmappable`; ends the thread for `crash`;
 * an event described `pad:N` carries N euro signs instead of its action (3 bytes each in UTF-8), for texts far larger
 * than their Avro.
 */
export function fixtureEncoder(options: { prefix: string }): (event: AuditEvent) => string {
  return (event) => {
    if (event.description === 'unmappable') throw new Error('no field for this event');
    if (event.description === 'crash') process.exit(3);
    const pad = /^pad:(\d+)$/.exec(event.description ?? '')?.[1];
    if (pad !== undefined) return JSON.stringify({ prefix: options.prefix, id: event.id, pad: '€'.repeat(Number(pad)) });
    return JSON.stringify({ prefix: options.prefix, id: event.id, action: event.action });
  };
}

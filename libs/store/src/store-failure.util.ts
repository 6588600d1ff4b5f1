/** How the consumer host should treat a store failure (structurally the host's ClassifiedFailure). */
export interface StoreFailure {
  class: 'transient' | 'data' | 'unknown';
  reason: string;
}

/** SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html) that say the server, not the data, failed. */
const TRANSIENT_STATES = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03', '58000', '58030', 'XX001']);

function sqlState(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Classifies an error of a store write by its SQLSTATE class:
 * - 08 (connection), 53 (insufficient resources), 40001/40P01 (serialization, deadlock), 55P03 (lock not
 *   available), 57P0x (admin or crash shutdown), 58 (system I/O): transient, the batch is retried in place;
 * - 22 (data exception: a value the column cannot hold), 23 (an integrity violation; the expected duplicate
 *   never raises, ON CONFLICT DO NOTHING absorbs it), 54 (program limit: an index row above 2,704 bytes, too
 *   many columns): the data, so the events at fault are dead-lettered;
 * - pg's own client errors (a lost connection, a pool timeout) carry no SQLSTATE: transient by their message.
 * Anything else (42: a bug in our SQL; 57014: a statement timeout) is left to the host as unknown: bounded
 * retries, then a split.
 */
export function classifyStoreFailure(err: unknown): StoreFailure | undefined {
  const state = sqlState(err);
  if (state === undefined) {
    const message = err instanceof Error ? err.message : '';
    if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)) {
      return { class: 'transient', reason: 'store-unreachable' };
    }
    return undefined;
  }
  const cls = state.slice(0, 2);
  if (cls === '08' || cls === '53' || TRANSIENT_STATES.has(state)) return { class: 'transient', reason: 'store-unavailable' };
  if (cls === '22') return { class: 'data', reason: 'store-data-exception' };
  if (cls === '23') return { class: 'data', reason: 'store-integrity' };
  if (cls === '54') return { class: 'data', reason: 'store-program-limit' };
  return undefined;
}

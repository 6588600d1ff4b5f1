/**
 * The lane a key always takes among `lanes` (FNV-1a of the key): the same key, the same lane, so whatever travels
 * one lane at a time (a tenant's events in the SDK, a partition's records in a connector) keeps its order.
 */
export function laneOf(key: string, lanes: number): number {
  if (lanes <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % lanes;
}

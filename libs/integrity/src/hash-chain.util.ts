import { createHash, hash } from 'node:crypto';
import type { AuditEvent } from '@vigil/events';
import { chainFormText } from './chain-form.util';

// The hash chain over a tenant's events of one category (docs/integrity.md): each event's link is
// SHA-256(previous link ‖ canonical bytes of the event), in Kafka order. The canonical bytes are the event's JSON in
// RFC 8785's JSON Canonicalization Scheme (sorted keys, no whitespace, ECMAScript number forms), so any copy of the
// event (the store, an export, a SIEM's native JSON) yields the same bytes, whatever its key order or spacing.

/** The link before the first event of a chain: 32 zero bytes. */
export const GENESIS: Buffer = Buffer.alloc(32);

/** The event's canonical bytes: RFC 8785 JSON of its chain form (chain-form.util.ts), UTF-8. */
export function canonicalBytes(event: AuditEvent | Record<string, unknown>): Buffer {
  return Buffer.from(chainFormText(event), 'utf8');
}

/** The next link: SHA-256 of the previous link followed by the event's canonical bytes. */
export function nextLink(previous: Buffer, event: AuditEvent | Record<string, unknown>): Buffer {
  return linkOfText(previous, chainFormText(event));
}

/**
 * `nextLink` from the event's chain form text (`chainFormText`), for a writer that wrote the text ahead: the
 * materializer does, before it takes the chains' locks, so its transactions hold them only for the hashing.
 */
export function linkOfText(previous: Buffer, formText: string): Buffer {
  return createHash('sha256').update(previous).update(formText, 'utf8').digest();
}

/** What `linkHexOfText` hashes: the previous link, then the form's UTF-8, written in place; grown for a larger form. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * `linkOfText` with the links in hex, as the store's chain heads keep them: the materializer's per-event form. One
 * buffer written in place and one-shot hashing (`crypto.hash`) cost about 2 µs an event, where a Hash object, two
 * updates, the previous link decoded into a Buffer and the digest encoded again cost about 5 µs.
 */
export function linkHexOfText(previousHex: string, formText: string): string {
  // At most 3 bytes of UTF-8 per UTF-16 unit.
  const most = 32 + formText.length * 3;
  if (most > scratch.length) scratch = Buffer.allocUnsafe(most);
  // Hex decoding stops at the first character that is not hex, so 32 bytes written from 64 characters are the link.
  if (previousHex.length !== 64 || scratch.write(previousHex, 0, 32, 'hex') !== 32) throw new Error('a link is 32 bytes of hex');
  const length = 32 + scratch.write(formText, 32, 'utf8');
  return hash('sha256', scratch.subarray(0, length), 'hex');
}

/** One event at its place in a chain, as a verifier reads it from the store or an export. */
export interface ChainEntry {
  seq: number;
  event: AuditEvent | Record<string, unknown>;
  /** The link stored with the event, hex. */
  hash: string;
}

/** Where a chain is known to be: its start (genesis, or a checkpoint before a dropped day) or a signed head. */
export interface ChainPoint {
  seq: number;
  hash: string;
}

export type ChainFinding = 'altered' | 'inserted' | 'deleted' | 'reordered' | 'truncated';

export type ChainVerdict =
  | { ok: true; checked: number; head: ChainPoint }
  | { ok: false; checked: number; finding: ChainFinding; seq: number; id: string | undefined; detail: string };

const idOf = (entry: ChainEntry | undefined): string | undefined => {
  const id = entry?.event['id'];
  return typeof id === 'string' ? id : undefined;
};

/**
 * Walks a chain from `from` (the genesis link at seq 0, or a checkpoint) and reports the first place it breaks, with
 * the event's sequence number and id: an event whose content no longer matches its link (`altered`), a sequence
 * number missing (`deleted`) or repeated or unlinked (`inserted`), two events whose links fit each other's place
 * (`reordered`), or a chain that ends before a head it must reach (`truncated`, given `to`).
 */
export function verifyChain(entries: readonly ChainEntry[], from: ChainPoint, to?: ChainPoint): ChainVerdict {
  let previous = Buffer.from(from.hash, 'hex');
  let expected = from.seq + 1;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as ChainEntry;
    const stored = Buffer.from(entry.hash, 'hex');
    const fail = (finding: ChainFinding, detail: string): ChainVerdict => ({
      ok: false,
      checked: i,
      finding,
      seq: entry.seq,
      id: idOf(entry),
      detail,
    });
    if (entry.seq > expected)
      return {
        ok: false,
        checked: i,
        finding: 'deleted',
        seq: expected,
        id: undefined,
        detail: `events ${expected} to ${entry.seq - 1} are missing before event ${entry.seq}`,
      };
    if (entry.seq < expected) return fail('inserted', `a second event claims sequence number ${entry.seq}`);
    if (!nextLink(previous, entry.event).equals(stored)) {
      const next = entries[i + 1];
      // Swapped with the next one: each event's content fits the other's place.
      if (next !== undefined && nextLink(previous, next.event).equals(stored))
        return fail('reordered', `event ${entry.seq} holds the event that belongs at ${next.seq} (and the other way round)`);
      // The link is intact (the next event chains on from it), only the content changed.
      if (next === undefined || nextLink(stored, next.event).equals(Buffer.from(next.hash, 'hex')))
        return fail('altered', `event ${entry.seq}'s content does not match its link`);
      return fail('inserted', `event ${entry.seq} does not chain from event ${entry.seq - 1} (a row added or its link forged)`);
    }
    // A signed head the chain has grown past must still be on it: links rewritten from before it would pass otherwise.
    if (to !== undefined && entry.seq === to.seq && entry.hash.toLowerCase() !== to.hash.toLowerCase())
      return fail('altered', `event ${entry.seq}'s link is not the one the head (checkpoint) signed: the chain was rewritten up to here`);
    previous = stored;
    expected = entry.seq + 1;
  }
  const head: ChainPoint = { seq: expected - 1, hash: previous.toString('hex') };
  if (to !== undefined && (head.seq < to.seq || (head.seq === to.seq && head.hash !== to.hash))) {
    if (head.seq < to.seq)
      return {
        ok: false,
        checked: entries.length,
        finding: 'truncated',
        seq: head.seq + 1,
        id: undefined,
        detail: `the chain ends at ${head.seq}; the head is ${to.seq}`,
      };
    return {
      ok: false,
      checked: entries.length,
      finding: 'altered',
      seq: head.seq,
      id: idOf(entries.at(-1)),
      detail: 'the last link differs from the head',
    };
  }
  return { ok: true, checked: entries.length, head };
}

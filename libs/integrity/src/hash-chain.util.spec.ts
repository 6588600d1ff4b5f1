import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anAuditEvent } from '@vigil/testing';
import {
  canonicalBytes,
  GENESIS,
  linkHexOfText,
  linkOfText,
  nextLink,
  verifyChain,
  type ChainEntry,
  type ChainPoint,
} from './hash-chain.util';

const genesis: ChainPoint = { seq: 0, hash: GENESIS.toString('hex') };

/** Six events chained from the genesis link, as the store would hold them. */
function chain(): ChainEntry[] {
  let previous: Buffer = GENESIS;
  return Array.from({ length: 6 }, (_, i) => {
    const event = anAuditEvent({ description: `event ${i + 1}` });
    previous = nextLink(previous, event);
    return { seq: i + 1, event, hash: previous.toString('hex') };
  });
}

function headOf(entries: readonly ChainEntry[]): ChainPoint {
  const last = entries.at(-1) as ChainEntry;
  return { seq: last.seq, hash: last.hash };
}

describe('the hash chain', () => {
  it('gives every copy of an event the same bytes, whatever its key order or spacing (RFC 8785)', () => {
    const event = anAuditEvent();
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(event).reverse()), null, 2)) as Record<string, unknown>;
    assert.deepEqual(canonicalBytes(reordered), canonicalBytes(event));
    assert.ok(!canonicalBytes(event).toString().includes(' "'), 'no whitespace between tokens');
  });

  it('verifies an intact chain up to its head', () => {
    const entries = chain();
    assert.deepEqual(verifyChain(entries, genesis, headOf(entries)), { ok: true, checked: 6, head: headOf(entries) });
  });

  it('finds and locates a changed field, a deleted row, a forged row, two swapped rows and a cut-off end', () => {
    const altered = chain();
    const head = headOf(altered);
    (altered[2] as ChainEntry).event = { ...(altered[2] as ChainEntry).event, outcome: 'SUCCESS' };
    assert.deepEqual(pick(verifyChain(altered, genesis, head)), ['altered', 3, (altered[2] as ChainEntry).event['id']]);

    const deleted = chain();
    deleted.splice(2, 1);
    assert.deepEqual(pick(verifyChain(deleted, genesis)), ['deleted', 3, undefined]);

    const forged = chain();
    const fake = anAuditEvent({ description: 'forged' });
    forged.splice(3, 0, { seq: 4, event: fake, hash: nextLink(Buffer.alloc(32, 7), fake).toString('hex') });
    forged.slice(4).forEach((e) => (e.seq += 1));
    assert.deepEqual(pick(verifyChain(forged, genesis)), ['inserted', 4, fake.id]);

    const swapped = chain();
    const [second, third] = [swapped[1] as ChainEntry, swapped[2] as ChainEntry];
    [second.event, third.event] = [third.event, second.event];
    assert.deepEqual(pick(verifyChain(swapped, genesis)), ['reordered', 2, second.event['id']]);

    const truncated = chain();
    const fullHead = headOf(truncated);
    truncated.splice(4);
    assert.deepEqual(pick(verifyChain(truncated, genesis, fullHead)), ['truncated', 5, undefined]);
  });

  it('finds a chain rewritten from an old event onwards at the signed head it has grown past', () => {
    const entries = chain();
    const checkpoint = { seq: 5, hash: (entries[4] as ChainEntry).hash };
    // Event 3 edited and every later link recomputed by someone holding the database: the chain alone is consistent.
    let previous: Buffer = Buffer.from((entries[1] as ChainEntry).hash, 'hex');
    entries.slice(2).forEach((entry, i) => {
      if (i === 0) entry.event = { ...entry.event, outcome: 'SUCCESS' };
      previous = nextLink(previous, entry.event);
      entry.hash = previous.toString('hex');
    });
    assert.equal(verifyChain(entries, genesis).ok, true);
    assert.deepEqual(pick(verifyChain(entries, genesis, checkpoint)), ['altered', 5, (entries[4] as ChainEntry).event['id']]);
  });

  it('verifies from a checkpoint: the part of a chain after a dropped day stands on its anchor', () => {
    const entries = chain();
    const anchor = { seq: 2, hash: (entries[1] as ChainEntry).hash };
    assert.equal(verifyChain(entries.slice(2), anchor, headOf(entries)).ok, true);
    assert.equal(verifyChain(entries.slice(3), anchor).ok, false, 'event 3 missing after the anchor');
  });

  it('fails on a one-byte edit of an exported line', () => {
    const entries = chain();
    const line = JSON.stringify((entries[4] as ChainEntry).event).replace('event 5', 'event 6');
    (entries[4] as ChainEntry).event = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual(pick(verifyChain(entries, genesis)), ['altered', 5, (entries[4] as ChainEntry).event['id']]);
  });
});

function pick(verdict: ReturnType<typeof verifyChain>): [string, number, unknown] | 'ok' {
  return verdict.ok ? 'ok' : [verdict.finding, verdict.seq, verdict.id];
}

describe('linkHexOfText', () => {
  it('is linkOfText in hex, for any text, of any size, one after another', () => {
    let previous = GENESIS;
    // ASCII, two- three- and four-byte UTF-8, a form larger than the scratch buffer, then a short one after it.
    for (const text of ['{"a":1}', '{"name":"Zoë"}', '{"d":"日本語"}', '{"e":"😀"}', `{"p":"${'x€'.repeat(40_000)}"}`, '{}']) {
      const expected = linkOfText(previous, text);
      assert.equal(linkHexOfText(previous.toString('hex'), text), expected.toString('hex'));
      assert.equal(linkHexOfText(previous.toString('hex').toUpperCase(), text), expected.toString('hex'));
      previous = expected;
    }
  });

  it('refuses a previous link that is not 32 bytes of hex', () => {
    for (const bad of ['', 'ab', 'zz'.repeat(32), '00'.repeat(33), `${'00'.repeat(31)}0z`, `${'00'.repeat(31)}z0`])
      assert.throws(() => linkHexOfText(bad, '{}'), /32 bytes of hex/);
  });
});

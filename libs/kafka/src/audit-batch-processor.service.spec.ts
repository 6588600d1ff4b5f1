import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventDecodeException, type AuditEvent } from '@vigil/events';
import { anAuditEvent } from '@vigil/testing';
import { AuditBatchProcessor, type AuditBatchProcessorOptions } from './audit-batch-processor.service';
import type { AuditBatchHandlerFn, DecodedBatch } from './audit-batch.types';
import type { PartitionBatch } from './batch.consumer';
import type { DeadLetter } from './dead-letter.producer';

/** Values are either `event:<description>` (decodable), `bad` (undecodable) or `down` (registry unreachable). */
const codec = {
  decode: (value: Buffer | null): Promise<AuditEvent> => {
    const text = value?.toString() ?? '';
    if (text === 'down') return Promise.reject(new Error('registry unreachable'));
    if (!text.startsWith('event:')) return Promise.reject(new EventDecodeException('no magic byte', 'framing'));
    return Promise.resolve(anAuditEvent({ description: text.slice(6) }));
  },
};

function batchOf(values: string[], firstOffset = 0, partition = 0): PartitionBatch {
  return {
    topic: 'audit.t',
    partition,
    messages: values.map((v, i) => ({
      offset: String(firstOffset + i),
      key: Buffer.from('k'),
      value: Buffer.from(v),
      timestamp: '0',
      attributes: 0,
      headers: {},
    })),
    heartbeat: () => Promise.resolve(),
  };
}

function setup(
  handler: AuditBatchHandlerFn,
  until?: Map<string, Map<number, string>>,
  failures: Pick<AuditBatchProcessorOptions, 'classify' | 'unknownAttempts' | 'unknownBackoffMs'> = {},
) {
  const sent: DeadLetter[][] = [];
  const log: string[] = [];
  const processor = new AuditBatchProcessor({
    codec,
    deadLetters: {
      send: (letters) => {
        sent.push([...letters]);
        log.push(`dlq:${letters.map((l) => l.origin.offset).join(',')}`);
        return Promise.resolve();
      },
    },
    handler: async (batch) => {
      log.push(`handler:${batch.messages.length}`);
      return handler(batch);
    },
    until,
    ...failures,
  });
  return { processor, sent, log };
}

describe(AuditBatchProcessor.name, () => {
  it('hands the handler decoded events with their origin, and the offset to commit', async () => {
    let seen: DecodedBatch | undefined;
    const { processor } = setup((batch) => {
      seen = batch;
      return Promise.resolve();
    });
    const next = await processor.process(batchOf(['event:a', 'event:b'], 10));
    assert.equal(next, 12n);
    assert.deepEqual(
      seen?.messages.map((m) => [m.event.description, m.origin.offset]),
      [
        ['a', '10'],
        ['b', '11'],
      ],
    );
    assert.equal(seen?.read, 2);
  });

  it('dead-letters an undecodable message with its coded reason once, although the handler fails and the batch is retried', async () => {
    let attempts = 0;
    const down = Object.assign(new Error('database down'), { code: 'ECONNREFUSED' }); // transient: thrown, retried whole
    const { processor, sent } = setup(() => (++attempts < 3 ? Promise.reject(down) : Promise.resolve()));
    const batch = batchOf(['event:a', 'bad', 'event:c']);
    await assert.rejects(processor.process(batch), /database down/);
    await assert.rejects(processor.process(batch), /database down/);
    await processor.process(batch);
    assert.equal(sent.flat().length, 1);
    assert.deepEqual(
      sent.flat().map((l) => [l.origin.offset, l.reason, l.value?.toString()]),
      [['1', 'framing', 'bad']],
    );
  });

  it('does not resolve before the handler did, so nothing is committed ahead of the work', async () => {
    let release: () => void = () => undefined;
    const { processor } = setup(() => new Promise<void>((resolve) => (release = resolve)));
    let done = false;
    const processing = processor.process(batchOf(['event:a'])).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false);
    release();
    await processing;
    assert.equal(done, true);
  });

  it('dead-letters what the handler hands back after it resolved, once across retries', async () => {
    const { processor, sent, log } = setup((batch) => {
      const [first] = batch.messages;
      assert.ok(first);
      return Promise.resolve({
        deadLetters: [{ origin: first.origin, key: first.key, value: first.value, reason: 'envelope', detail: 'too long' }],
      });
    });
    const batch = batchOf(['event:a', 'event:b']);
    await processor.process(batch);
    await processor.process(batch);
    assert.deepEqual(log, ['handler:2', 'dlq:0', 'handler:2']);
    assert.equal(sent.flat().length, 1);
  });

  it('fails the batch without a dead letter when the registry is unreachable', async () => {
    const { processor, sent } = setup(() => Promise.resolve());
    await assert.rejects(processor.process(batchOf(['event:a', 'down'])), /registry unreachable/);
    assert.equal(sent.length, 0);
  });

  it('on a bounded read, skips messages at or past the end and partitions without one, and commits no further than the end', async () => {
    const seen: string[] = [];
    const until = new Map([['audit.t', new Map([[0, '2']])]]);
    const { processor, sent } = setup((batch) => {
      seen.push(...batch.messages.map((m) => `${batch.partition}:${m.origin.offset}`));
      return Promise.resolve();
    }, until);
    // Committing 4 would make a later read of the same group (rebuild's catch-up pass) skip offsets 2 and 3.
    assert.equal(await processor.process(batchOf(['event:a', 'event:b', 'bad', 'event:d'])), 2n);
    await processor.process(batchOf(['event:x'], 0, 1));
    assert.deepEqual(seen, ['0:0', '0:1']);
    assert.equal(sent.length, 0, 'the undecodable message past the end is not this read’s to dead-letter');
  });

  it('forgets dead-lettered offsets once the partition moved past them', async () => {
    const { processor, sent } = setup(() => Promise.resolve());
    await processor.process(batchOf(['bad'], 0));
    await processor.process(batchOf(['bad'], 1));
    // A seek back (replay hand-over) reads offset 0 again: a new pass, a new letter.
    await processor.process(batchOf(['bad'], 0));
    assert.deepEqual(
      sent.flat().map((l) => l.origin.offset),
      ['0', '1', '0'],
    );
  });

  describe('failures of the handler', () => {
    /** A store that refuses (SQLSTATE 54000) any batch holding an event described `poison`. */
    const storeRefusingPoison: AuditBatchHandlerFn = (batch) => {
      if (batch.messages.some((m) => m.event.description === 'poison')) {
        return Promise.reject(Object.assign(new Error('index row size 3120 exceeds btree version 4 maximum 2704'), { code: '54000' }));
      }
      return Promise.resolve();
    };
    const classify = (err: unknown) =>
      (err as { code?: string }).code === '54000' ? ({ class: 'data', reason: 'store-program-limit' } as const) : undefined;

    it('splits a batch the store refuses for its data until the events at fault are alone, and dead-letters only them', async () => {
      const values = Array.from({ length: 10 }, (_, i) => (i === 3 || i === 8 ? 'event:poison' : `event:ok-${i}`));
      const { processor, sent, log } = setup(storeRefusingPoison, undefined, { classify });
      assert.equal(await processor.process(batchOf(values, 100)), 110n);
      const letters = sent.flat();
      assert.deepEqual(
        letters.map((l) => l.origin.offset),
        ['103', '108'],
      );
      assert.ok(letters.every((l) => l.reason === 'store-program-limit' && /index row size/.test(l.detail)));
      // Bounded: log2(10) levels of halves, never the whole batch again and again.
      assert.ok(log.filter((l) => l.startsWith('handler:')).length <= 2 * 10, log.join(' '));
    });

    it('retries an unknown failure a bounded number of times, then splits', async () => {
      let calls = 0;
      const { processor, sent } = setup(
        (batch) => {
          calls++;
          return batch.messages.some((m) => m.event.description === 'odd')
            ? Promise.reject(new TypeError('cannot read x'))
            : Promise.resolve();
        },
        undefined,
        { unknownAttempts: 3, unknownBackoffMs: 1 },
      );
      await processor.process(batchOf(['event:a', 'event:odd', 'event:c', 'event:d']));
      assert.deepEqual(
        sent.flat().map((l) => [l.origin.offset, l.reason]),
        [['1', 'handler-failed']],
      );
      // 3 attempts at the whole, then halves (2), then the failing half's halves (2).
      assert.equal(calls, 3 + 2 + 2);
    });

    it('throws a transient failure so the batch is retried in place, and dead-letters nothing', async () => {
      const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      const { processor, sent } = setup(() => Promise.reject(down), undefined, { classify });
      await assert.rejects(processor.process(batchOf(['event:a', 'event:b'])), /ECONNREFUSED/);
      assert.deepEqual(sent, []);
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventDecodeException, SchemaRegistryException, type AuditEvent } from '@vigil/events';
import { anAuditEvent } from '@vigil/testing';
import { AuditBatchProcessor, decodeEach } from './audit-batch-processor.service';
import type { AuditBatchHandlerFn, DecodedBatch } from './audit-batch.types';
import type { PartitionBatch } from './batch.consumer';
import type { DeadLetter } from './dead-letter.producer';

/** Values are either `event:<description>` (decodable), `bad` (undecodable) or `down` (registry unreachable). */
const codec = {
  decode: (value: Buffer | null): Promise<AuditEvent> => {
    const text = value?.toString() ?? '';
    if (text === 'down') return Promise.reject(new SchemaRegistryException('registry unreachable'));
    if (!text.startsWith('event:')) return Promise.reject(new EventDecodeException('no magic byte', 'framing'));
    return Promise.resolve(anAuditEvent({ description: text.slice(6) }));
  },
};

function batchOf(values: string[], firstOffset = 0, partition = 0, attempt = 0): PartitionBatch {
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
    attempt,
    isActive: () => true,
    commitProgress: () => Promise.resolve(),
    release: () => undefined,
  };
}

/** An error shaped as node-postgres reports one, with its SQLSTATE. */
function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

function setup(handler: AuditBatchHandlerFn, until?: Map<string, Map<number, string>>) {
  const sent: DeadLetter[][] = [];
  const log: string[] = [];
  const processor = new AuditBatchProcessor({
    decoder: decodeEach(codec),
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

  it('skips, undecoded, the messages whose key is refused, telling the batch start before any decoding and its end after the handler', async () => {
    const order: string[] = [];
    let seen: DecodedBatch | undefined;
    const processor = new AuditBatchProcessor({
      decoder: decodeEach({ decode: (value) => (order.push('decode'), codec.decode(value)) }),
      deadLetters: undefined,
      handler: (batch) => {
        seen = batch;
        return Promise.resolve();
      },
      acceptKey: (key) => key?.toString() === 'wanted',
      onBatchStart: (topic, partition, first) => order.push(`start ${topic}:${partition}@${first}`),
      onBatchEnd: (topic, partition) => order.push(`end ${topic}:${partition}`),
    });
    const batch = batchOf(['event:a', 'event:b', 'event:c'], 7);
    const [a, b] = batch.messages;
    if (a !== undefined) a.key = Buffer.from('wanted');
    if (b !== undefined) b.key = Buffer.from('other');
    assert.equal(await processor.process(batch), 10n);
    assert.deepEqual(order, ['start audit.t:0@7', 'decode', 'end audit.t:0']);
    assert.deepEqual(
      seen?.messages.map((m) => m.origin.offset),
      ['7'],
    );
    assert.equal(seen?.read, 3, 'skipped messages still count as read');
  });

  it('dead-letters an undecodable message with its coded reason once, although the handler fails and the batch is retried', async () => {
    let attempts = 0;
    const { processor, sent } = setup(() => (++attempts < 3 ? Promise.reject(pgError('57P01', 'database down')) : Promise.resolve()));
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

  it('hands a released batch on at once (its end is told then, once), and retries it whole rather than bisecting once it failed after that', async () => {
    const order: string[] = [];
    let releases = 0;
    let failHandler: (err: Error) => void = () => undefined;
    const processor = new AuditBatchProcessor({
      decoder: decodeEach(codec),
      deadLetters: { send: () => Promise.resolve() },
      handler: (batch) => {
        batch.release();
        batch.release();
        return new Promise<void>((_, reject) => (failHandler = reject));
      },
      unknownAttempts: 1,
      onBatchEnd: () => order.push('end'),
    });
    const batch = { ...batchOf(['event:a', 'event:b']), release: () => void releases++ };
    const processing = processor.process(batch);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ['end'], 'told as the batch is released, not when its delivery ends');
    assert.equal(releases, 1);
    failHandler(new Error('unclassified'));
    // At the bound of unknown attempts a batch would be bisected; a released one is retried whole (the next batch may be in hand).
    await assert.rejects(processing, /unclassified/);
    assert.deepEqual(order, ['end'], 'its end is told once');
  });

  it('does not hand a retried batch on ahead, so that it may be bisected', async () => {
    let releases = 0;
    const { processor, sent } = setup((batch) => {
      batch.release();
      return batch.messages.some((m) => m.event.description === 'b') ? Promise.reject(new Error('unclassified')) : Promise.resolve();
    });
    const retried = { ...batchOf(['event:a', 'event:b'], 0, 0, 2), release: () => void releases++ };
    await processor.process(retried);
    assert.equal(releases, 0);
    assert.deepEqual(
      sent.flat().map((l) => [l.origin.offset, l.reason]),
      [['1', 'poison']],
    );
  });

  it('hands over none of the messages its decoder skips, and still commits past them', async () => {
    let seen: DecodedBatch | undefined;
    const processor = new AuditBatchProcessor<AuditEvent>({
      decoder: {
        decodeAll: (values) =>
          Promise.all(
            values.map(async (v) => (v?.toString() === 'event:skip' ? { skipped: true as const } : { event: await codec.decode(v) })),
          ),
      },
      deadLetters: undefined,
      handler: (batch) => {
        seen = batch;
        return Promise.resolve();
      },
    });
    assert.equal(await processor.process(batchOf(['event:a', 'event:skip', 'event:b', 'event:skip'], 4)), 8n);
    assert.deepEqual(
      seen?.messages.map((m) => [m.origin.offset, m.event.description]),
      [
        ['4', 'a'],
        ['6', 'b'],
      ],
    );
    assert.equal(seen?.read, 4, 'the skipped ones count as read');
  });

  it('fetchWhileDecoding: releases a first attempt before decoding it, and hands a partition’s batches on in order however their decoding ends', async () => {
    const order: string[] = [];
    const decodes = new Map<string, () => void>();
    const processor = new AuditBatchProcessor({
      // A decoder whose answers come back when the test says (an encode thread busy with another batch).
      decoder: {
        decodeAll: async (values) => {
          const first = values[0]?.toString() ?? '';
          order.push(`decode ${first}`);
          await new Promise<void>((resolve) => decodes.set(first, resolve));
          return Promise.all(values.map(async (v) => ({ event: await codec.decode(v) })));
        },
      },
      deadLetters: { send: () => Promise.resolve() },
      handler: (batch) => {
        order.push(`handler ${batch.messages.map((m) => m.event.description).join(',')}`);
        batch.release();
        return Promise.resolve();
      },
      fetchWhileDecoding: true,
      onBatchEnd: (_, partition) => order.push(`end ${partition}`),
    });
    const batch = (values: string[], first: number, partition = 0): PartitionBatch => ({
      ...batchOf(values, first, partition),
      release: () => void order.push(`release ${values[0] ?? ''}`),
    });
    const one = processor.process(batch(['event:a', 'event:b'], 0));
    const two = processor.process(batch(['event:c'], 2));
    const other = processor.process(batch(['event:x'], 0, 1));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, [
      'release event:a',
      'decode event:a',
      'release event:c',
      'decode event:c',
      'release event:x',
      'decode event:x',
    ]);
    order.length = 0;
    // The later batch of partition 0 is decoded first: it waits for the one before it; partition 1 does not.
    decodes.get('event:c')?.();
    decodes.get('event:x')?.();
    await other;
    assert.deepEqual(order, ['handler x', 'end 1']);
    order.length = 0;
    decodes.get('event:a')?.();
    assert.deepEqual(await Promise.all([one, two]), [2n, 3n]);
    assert.deepEqual(order, ['handler a,b', 'end 0', 'handler c', 'end 0']);
  });

  it('fetchWhileDecoding: the batch after one whose decoding failed never reaches the handler (it would be delivered first)', async () => {
    const handled: string[] = [];
    let failDecode: (err: Error) => void = () => undefined;
    const processor = new AuditBatchProcessor({
      decoder: {
        decodeAll: (values) =>
          values[0]?.toString() === 'event:first'
            ? new Promise((_, reject) => (failDecode = reject))
            : Promise.all(values.map(async (v) => ({ event: await codec.decode(v) }))),
      },
      deadLetters: { send: () => Promise.resolve() },
      handler: (batch) => {
        handled.push(...batch.messages.map((m) => m.event.description ?? ''));
        batch.release();
        return Promise.resolve();
      },
      fetchWhileDecoding: true,
    });
    const first = processor.process(batchOf(['event:first'], 0));
    const second = processor.process(batchOf(['event:second'], 1));
    await new Promise((r) => setImmediate(r));
    failDecode(new SchemaRegistryException('registry unreachable'));
    await assert.rejects(first, SchemaRegistryException);
    await assert.rejects(second, { code: 'SUPERSEDED' });
    assert.deepEqual(handled, []);
    // Read again after the failed one, as the host does: both reach the handler, in order.
    assert.equal(await processor.process(batchOf(['event:again'], 0, 0, 1)), 1n);
    assert.equal(await processor.process(batchOf(['event:second'], 1)), 2n);
    assert.deepEqual(handled, ['again', 'second']);
  });

  it('fetchWhileDecoding: a retried batch is not released before decoding (it may be bisected), and a failure of one released early is retried whole', async () => {
    let releases = 0;
    const sent: DeadLetter[][] = [];
    const processor = new AuditBatchProcessor({
      decoder: decodeEach(codec),
      deadLetters: { send: (letters) => Promise.resolve(void sent.push([...letters])) },
      handler: (batch) =>
        batch.messages.some((m) => m.event.description === 'b') ? Promise.reject(new Error('unclassified')) : Promise.resolve(),
      unknownAttempts: 1,
      fetchWhileDecoding: true,
    });
    const first = { ...batchOf(['event:a', 'event:b']), release: () => void releases++ };
    await assert.rejects(processor.process(first), /unclassified/);
    assert.equal(releases, 1);
    assert.equal(sent.length, 0, 'not bisected: the batch after it may be decoding already');
    const retried = { ...batchOf(['event:a', 'event:b'], 0, 0, 1), release: () => void releases++ };
    assert.equal(await processor.process(retried), 2n);
    assert.equal(releases, 1);
    assert.deepEqual(
      sent.flat().map((l) => [l.origin.offset, l.reason]),
      [['1', 'poison']],
    );
  });

  it('dead-letters what the handler hands back after it resolved, once across retries, and hands it no more', async () => {
    const { processor, sent, log } = setup((batch) =>
      Promise.resolve({
        deadLetters: batch.messages
          .filter((m) => m.event.description === 'a')
          .map((m) => ({ origin: m.origin, key: m.key, value: m.value, reason: 'envelope', detail: 'too long' })),
      }),
    );
    const batch = batchOf(['event:a', 'event:b']);
    await processor.process(batch);
    await processor.process(batch);
    assert.deepEqual(log, ['handler:2', 'dlq:0', 'handler:1']);
    assert.equal(sent.flat().length, 1);
  });

  it('skipUndecodable: skips undecodable messages without a letter, and still dead-letters an event the handler fails on', async () => {
    // The streams app's reader: the materializer letters undecodable records, but only this reader failed on the event.
    const sent: DeadLetter[] = [];
    const handled: string[] = [];
    const processor = new AuditBatchProcessor({
      decoder: decodeEach(codec),
      deadLetters: { send: (letters) => Promise.resolve(void sent.push(...letters)) },
      skipUndecodable: true,
      handler: (batch) => {
        if (batch.messages.some((m) => m.event.description === 'poison')) return Promise.reject(pgError('22P02', 'invalid input'));
        handled.push(...batch.messages.map((m) => m.event.description ?? ''));
        return Promise.resolve();
      },
    });
    assert.equal(await processor.process(batchOf(['event:a', 'bad', 'event:poison', 'event:b'])), 4n);
    assert.deepEqual(handled, ['a', 'b']);
    assert.deepEqual(
      sent.map((l) => [l.origin.offset, l.reason]),
      [['2', 'store-data']],
    );
  });

  it('fails the batch without a dead letter when the registry is unreachable', async () => {
    const { processor, sent } = setup(() => Promise.resolve());
    await assert.rejects(processor.process(batchOf(['event:a', 'down'])), /registry unreachable/);
    assert.equal(sent.length, 0);
  });

  it('asks an unreachable registry once per batch, not once per message', async () => {
    let calls = 0;
    const decoder = decodeEach({ decode: (value) => (calls++, codec.decode(value)) });
    const results = await decoder.decodeAll(
      ['bad', 'down', 'event:a', 'event:b'].map((v) => Buffer.from(v)),
      'audit.t',
    );
    assert.equal(calls, 2);
    assert.deepEqual(
      results.map((r) => ('event' in r ? 'event' : 'error' in r ? (r.error as Error).name : 'skipped')),
      ['EventDecodeException', 'SchemaRegistryException', 'SchemaRegistryException', 'SchemaRegistryException'],
    );
  });

  it('decodes on past a message that fails with an error of no known class (it is that message’s own)', async () => {
    const decoder = decodeEach({
      decode: (value) => (value?.toString() === 'odd' ? Promise.reject(new Error('something odd')) : codec.decode(value)),
    });
    const results = await decoder.decodeAll(
      ['event:a', 'odd', 'event:b'].map((v) => Buffer.from(v)),
      'audit.t',
    );
    assert.deepEqual(
      results.map((r) => ('event' in r ? r.event.description : 'error' in r ? (r.error as Error).message : 'skipped')),
      ['a', 'something odd', 'b'],
    );
  });

  it('retries a batch whose decoder fails as a whole (a worker thread died), then decodes each message alone and letters only the one that fails it', async () => {
    const calls: number[] = [];
    const processor = new AuditBatchProcessor<{ id: string }>({
      decoder: {
        decodeAll: (values) => {
          calls.push(values.length);
          if (values.some((v) => v?.toString() === 'kill')) return Promise.reject(new Error('encode worker thread exited (code 1)'));
          return Promise.resolve(values.map((v) => ({ event: { id: v?.toString() ?? '' } })));
        },
      },
      deadLetters: { send: (letters) => (sent.push(...letters), Promise.resolve()) },
      handler: (batch) => (seen.push(...batch.messages.map((m) => m.event.id)), Promise.resolve()),
    });
    const sent: DeadLetter[] = [];
    const seen: string[] = [];
    for (const attempt of [0, 1]) await assert.rejects(processor.process(batchOf(['a', 'kill', 'c'], 0, 0, attempt)), /exited/);
    assert.equal(await processor.process(batchOf(['a', 'kill', 'c'], 0, 0, 2)), 3n);
    assert.deepEqual(seen, ['a', 'c']);
    assert.deepEqual(
      sent.map((l) => [l.origin.offset, l.reason]),
      [['1', 'poison']],
    );
    assert.deepEqual(calls, [3, 3, 3, 1, 1, 1]);
  });

  it('takes a decoder of whole batches: its results in order, the undecodable ones dead-lettered by their reason', async () => {
    const values: string[] = [];
    const processor = new AuditBatchProcessor<{ id: string; upper: string }>({
      decoder: {
        decodeAll: (batch) => {
          values.push(...batch.map((v) => v?.toString() ?? ''));
          return Promise.resolve(
            batch.map((v) =>
              v?.toString() === 'bad'
                ? { error: new EventDecodeException('no magic byte', 'framing') }
                : { event: { id: 'x', upper: v?.toString().toUpperCase() ?? '' } },
            ),
          );
        },
      },
      deadLetters: { send: (letters) => (sent.push(...letters), Promise.resolve()) },
      handler: (batch) => {
        seen.push(...batch.messages.map((m) => `${m.origin.offset}:${m.event.upper}`));
        return Promise.resolve();
      },
    });
    const sent: DeadLetter[] = [];
    const seen: string[] = [];
    assert.equal(await processor.process(batchOf(['a', 'bad', 'c'], 5)), 8n);
    assert.deepEqual(values, ['a', 'bad', 'c']);
    assert.deepEqual(seen, ['5:A', '7:C']);
    assert.deepEqual(
      sent.map((l) => [l.origin.offset, l.reason]),
      [['6', 'framing']],
    );
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

  it('bisects a batch the store refuses with a data error down to the one event, dead-letters it with its SQLSTATE, and stores the rest', async () => {
    const stored: string[] = [];
    const { processor, sent } = setup((batch) => {
      if (batch.messages.some((m) => m.event.description === 'huge'))
        return Promise.reject(pgError('54000', 'index row size 3120 exceeds btree version 4 maximum 2704'));
      stored.push(...batch.messages.map((m) => m.origin.offset));
      return Promise.resolve();
    });
    const values = Array.from({ length: 16 }, (_, i) => (i === 11 ? 'event:huge' : `event:e${i}`));
    assert.equal(await processor.process(batchOf(values)), 16n);
    assert.deepEqual(
      sent.flat().map((l) => [l.origin.offset, l.reason]),
      [['11', 'store-limit']],
    );
    assert.match(sent.flat()[0]?.detail ?? '', /SQLSTATE 54000/);
    assert.deepEqual(
      stored.map(Number).sort((a, b) => a - b),
      values.flatMap((_, i) => (i === 11 ? [] : [i])),
    );
  });

  it('retries a batch failing with an unknown error until its attempts reach the bound, then isolates the poison event', async () => {
    const { processor, sent } = setup((batch) =>
      batch.messages.some((m) => m.event.description === 'poison') ? Promise.reject(new TypeError('boom')) : Promise.resolve(),
    );
    const values = ['event:a', 'event:poison', 'event:c'];
    await assert.rejects(processor.process(batchOf(values, 0, 0, 0)), /boom/);
    await assert.rejects(processor.process(batchOf(values, 0, 0, 1)), /boom/);
    assert.equal(sent.length, 0);
    assert.equal(await processor.process(batchOf(values, 0, 0, 2)), 3n);
    assert.deepEqual(
      sent.flat().map((l) => [l.origin.offset, l.reason]),
      [['1', 'poison']],
    );
  });

  it('keeps retrying a batch whose failure is transient, however many attempts it took, and letters nothing', async () => {
    const { processor, sent } = setup(() => Promise.reject(pgError('08006', 'connection failure')));
    await assert.rejects(processor.process(batchOf(['event:a', 'event:b'], 0, 0, 50)), /connection failure/);
    assert.equal(sent.length, 0);
  });

  it('retries the whole batch when a transient failure interrupts the bisection', async () => {
    let calls = 0;
    const { processor, sent } = setup(() =>
      ++calls === 1 ? Promise.reject(pgError('22021', 'invalid byte sequence')) : Promise.reject(pgError('40P01', 'deadlock detected')),
    );
    await assert.rejects(processor.process(batchOf(['event:a', 'event:b'])), /deadlock/);
    assert.equal(sent.length, 0);
  });

  it('does not bisect once the consumer stops: the batch stays uncommitted for the next owner', async () => {
    const { processor, sent } = setup(() => Promise.reject(pgError('22P05', 'untranslatable character')));
    await assert.rejects(processor.process({ ...batchOf(['event:a', 'event:b']), isActive: () => false }), /untranslatable/);
    assert.equal(sent.length, 0);
  });
});

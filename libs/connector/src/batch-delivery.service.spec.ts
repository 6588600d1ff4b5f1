import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Clock } from '@vigil/common';
import type { DeadLetter } from '@vigil/kafka';
import { MetricsService } from '@vigil/observability';
import { anAuditEvent } from '@vigil/testing';
import { BatchDelivery, REJECTED_BY_SIEM, type PendingRecord } from './batch-delivery.service';
import { ConnectorStatusService } from './connector-status.service';
import type { DeliveryResult, Sink, SinkRecord } from './sink.types';

function setup(answer: (ids: string[], call: number) => DeliveryResult) {
  const status = new ConnectorStatusService(new MetricsService(), new Clock());
  status.register('c', 'http');
  const calls: string[][] = [];
  const letters: DeadLetter[] = [];
  const settled: string[] = [];
  const stalls: string[] = [];
  const sink: Sink = {
    encode: () => '{}',
    deliver: (records: readonly SinkRecord[]) => {
      const ids = records.map((r) => r.bytes.toString());
      calls.push(ids);
      return Promise.resolve(answer(ids, calls.length));
    },
  };
  const delivery = new BatchDelivery({
    connector: 'c',
    sink,
    status,
    retry: { initialBackoffMs: 10, maxBackoffMs: 20 },
    logger: pino({ level: 'silent' }),
    deadLetters: { send: (l) => Promise.resolve(void letters.push(...l)) },
    hooks: { stall: (state) => void stalls.push(state), recover: () => void stalls.push('recovered') },
  });
  const records = (names: string[]): PendingRecord[] =>
    names.map((name, i) => ({
      event: anAuditEvent({ description: name }),
      bytes: Buffer.from(name),
      origin: { topic: 'audit.authentication', partition: 0, offset: String(i), key: null, value: Buffer.from(name) },
      settle: () => void settled.push(name),
    }));
  return { delivery, records, calls, letters, settled, stalls, status };
}

const signal = new AbortController().signal;

describe(BatchDelivery.name, () => {
  it('retries a retryable failure with the same records until accepted, stalling and recovering the consumer', async () => {
    const t = setup((_, call) => (call < 3 ? { kind: 'retryable', reason: 'HTTP 503' } : { kind: 'ok' }));
    await t.delivery.deliver(t.records(['a', 'b']), signal);
    assert.deepEqual(t.calls, [
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
    ]);
    assert.deepEqual(t.settled, ['a', 'b']);
    assert.deepEqual(t.stalls, ['backing_off', 'backing_off', 'recovered']);
    assert.equal(t.status.get('c')?.retries, 2);
    assert.equal(t.status.get('c')?.eventsSent, 2);
  });

  it('isolates poisoned events in a refused batch by halving, dead-letters them and delivers the rest in order', async () => {
    const t = setup((ids) =>
      ids.some((id) => id.startsWith('bad')) ? { kind: 'rejected', reason: 'HTTP 400', rejected: [], delivered: [] } : { kind: 'ok' },
    );
    await t.delivery.deliver(t.records(['a', 'bad1', 'c', 'd', 'e', 'bad2']), signal);
    const delivered = t.calls.filter((ids) => !ids.some((id) => id.startsWith('bad'))).flat();
    assert.deepEqual(delivered, ['a', 'c', 'd', 'e']);
    assert.deepEqual(
      t.letters.map((l) => [l.value?.toString(), l.reason, l.detail]),
      [
        ['bad1', REJECTED_BY_SIEM, 'HTTP 400'],
        ['bad2', REJECTED_BY_SIEM, 'HTTP 400'],
      ],
    );
    assert.equal(t.letters[0]?.origin.offset, '1');
    assert.ok(t.letters.every((l) => l.eventId !== undefined));
    assert.deepEqual([...t.settled].sort(), ['a', 'bad1', 'bad2', 'c', 'd', 'e']);
    assert.equal(t.status.get('c')?.deadLettered, 2);
  });

  it('dead-letters an event the SIEM names and resends only the events after it', async () => {
    const t = setup((ids) => {
      const bad = ids.indexOf('bad');
      return bad < 0 ? { kind: 'ok' } : { kind: 'rejected', reason: 'code 6', rejected: [bad], delivered: [...Array(bad).keys()] };
    });
    await t.delivery.deliver(t.records(['a', 'b', 'bad', 'c']), signal);
    assert.deepEqual(t.calls, [['a', 'b', 'bad', 'c'], ['c']]);
    assert.deepEqual(t.settled, ['a', 'b', 'bad', 'c']);
    assert.equal(t.letters.length, 1);
  });

  it('resends only what a retryable partial answer did not accept (bulk items that landed, earlier parts)', async () => {
    // Call 1: a and c landed, b and d were answered 429. Call 2: d fails again with nothing accepted. Call 3: ok.
    const t = setup((_, call) =>
      call === 1
        ? { kind: 'retryable', reason: 'item 429', delivered: [0, 2] }
        : call === 2
          ? { kind: 'retryable', reason: 'HTTP 503' }
          : { kind: 'ok' },
    );
    await t.delivery.deliver(t.records(['a', 'b', 'c', 'd']), signal);
    assert.deepEqual(t.calls, [
      ['a', 'b', 'c', 'd'],
      ['b', 'd'],
      ['b', 'd'],
    ]);
    assert.deepEqual(t.settled, ['a', 'c', 'b', 'd']);
    assert.equal(t.status.get('c')?.eventsSent, 4);
  });

  it('splits only the unaccepted rest of a refused batch whose earlier parts landed', async () => {
    const t = setup((ids, call) =>
      call === 1
        ? { kind: 'rejected', reason: 'HTTP 413', rejected: [], delivered: [0, 1] }
        : ids.includes('bad')
          ? { kind: 'rejected', reason: 'HTTP 400', rejected: [], delivered: [] }
          : { kind: 'ok' },
    );
    await t.delivery.deliver(t.records(['a', 'b', 'bad', 'd']), signal);
    assert.equal(t.calls.flat().filter((id) => id === 'a').length, 1, 'a landed in the first call and is never resent');
    assert.deepEqual(t.calls.slice(1), [['bad'], ['d']]);
    assert.deepEqual(
      t.letters.map((l) => l.value?.toString()),
      ['bad'],
    );
  });

  it('keeps probing on credential failures without dropping anything', async () => {
    const t = setup((_, call) => (call < 3 ? { kind: 'auth-failed', reason: 'HTTP 401' } : { kind: 'ok' }));
    await t.delivery.deliver(t.records(['a']), signal);
    assert.deepEqual(t.stalls, ['failing', 'failing', 'recovered']);
    assert.deepEqual(t.settled, ['a']);
    assert.equal(t.letters.length, 0);
  });

  it('treats a thrown sink error as retryable and stops when aborted', async () => {
    const controller = new AbortController();
    const t = setup(() => {
      controller.abort();
      throw new Error('ECONNRESET');
    });
    await assert.rejects(t.delivery.deliver(t.records(['a']), controller.signal), /stopping/);
    assert.deepEqual(t.settled, []);
  });
});

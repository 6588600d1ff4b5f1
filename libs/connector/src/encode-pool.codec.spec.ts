import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { EventCodec, EventDecodeException, SchemaRegistryException, TOPIC_SCHEMAS } from '@vigil/events';
import type { DecodeResult } from '@vigil/kafka';
import { anAuditEvent } from '@vigil/testing';
import { EncodePool } from './encode-pool.codec';
import type { PreparedEvent } from './prepared-event.mapper';

const TOPIC = 'audit.authentication';
const GOOD_ID = 7;
const OUTAGE_ID = 9;
/** Writes events with schema id 7 without a registry (the pool's threads look it up from the server below). */
const writer = new EventCodec({
  register: () => Promise.resolve(GOOD_ID),
  lookup: () => Promise.resolve(GOOD_ID),
  schemaById: () => Promise.reject(new Error('not used')),
});

function value(description: string, overrides: Parameters<typeof anAuditEvent>[0] = {}): Buffer {
  return writer.encodeWithId(GOOD_ID, anAuditEvent({ description, ...overrides }));
}

function kinds(results: DecodeResult<PreparedEvent>[]): string[] {
  return results.map((r) => {
    if ('error' in r) return r.error instanceof EventDecodeException ? `undecodable:${r.error.reason}` : `${(r.error as Error).name}`;
    if ('skipped' in r) return 'skipped';
    if (r.event.unmappable !== undefined) return `unmappable:${r.event.unmappable}`;
    return r.event.record === undefined ? 'no record' : 'record';
  });
}

describe(EncodePool.name, () => {
  let registry: Server;
  let registryUrl = '';
  const pools: EncodePool[] = [];
  const pool = (threads = 1, exclude: string[] = [], fromTimeMicros?: number): EncodePool => {
    const p = new EncodePool(
      {
        registry: { url: registryUrl },
        filter: { actions: { include: ['*'], exclude }, minSeverity: 'INFO', tenants: 'all', fromTimeMicros },
        encoding: { module: path.join(__dirname, 'fixture-encoder.factory.js'), factory: 'fixtureEncoder', options: { prefix: 'p' } },
        format: 'native',
      },
      threads,
      pino({ level: 'silent' }),
    );
    pools.push(p);
    return p;
  };

  before(async () => {
    // The registry's one endpoint the threads use: schema 7 is the build's own, 9 is an outage, any other unknown.
    registry = createServer((req, res) => {
      const id = Number(/\/schemas\/ids\/(\d+)/.exec(req.url ?? '')?.[1]);
      if (id === GOOD_ID)
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ schema: JSON.stringify(TOPIC_SCHEMAS.authentication) }));
      else if (id === OUTAGE_ID) res.writeHead(503).end('{"message":"down"}');
      else res.writeHead(404).end('{"error_code":40403,"message":"Schema not found"}');
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    registryUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}`;
  });

  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
    registry.close();
  });

  it('skips the events before a replay’s start, telling their time from the bytes once the writer schema is known', async () => {
    const start = 1_800_000_000_000_000;
    const early = (overrides: Parameters<typeof anAuditEvent>[0]) => value('early', { time: start - 1, ...overrides });
    const replay = pool(1, [], start);
    const results = await replay.decodeAll(
      [
        early({}),
        value('late', { time: start }),
        // Before the start, and it would not decode (its id is no UUID): skipped unread, as the schema is known by now.
        early({ id: 'not-a-uuid' }),
        value('late but broken', { time: start + 1, id: 'not-a-uuid' }),
      ],
      TOPIC,
    );
    assert.deepEqual(kinds(results), ['skipped', 'record', 'skipped', 'undecodable:envelope']);
  });

  it('decodes, filters and maps a batch in a worker thread, in order, with the codec’s reasons for the undecodable ones', async () => {
    const login = anAuditEvent({ description: 'kept' });
    const values = [
      writer.encodeWithId(GOOD_ID, login),
      value('excluded', { action: 'user.logout' }),
      Buffer.from('not avro at all'),
      null,
      value('unmappable'),
      Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), Buffer.from('body')]),
    ];
    const results = await pool(1, ['user.logout']).decodeAll(values, TOPIC);
    assert.deepEqual(kinds(results), [
      'record',
      'skipped',
      'undecodable:framing',
      'undecodable:framing',
      'unmappable:cannot map to native: no field for this event',
      'undecodable:unknown-schema',
    ]);
    const [first] = results;
    assert.ok(first !== undefined && 'event' in first);
    assert.deepEqual(
      { id: first.event.id, tenantId: first.event.tenantId, time: first.event.time, whole: first.event.whole },
      { id: login.id, tenantId: login.tenantId, time: login.time, whole: undefined },
    );
    assert.deepEqual(JSON.parse(first.event.record?.toString() ?? ''), { prefix: 'p', id: login.id, action: login.action });
  });

  it('fails the rest of a batch with the registry’s error when the registry is away (the host retries the batch)', async () => {
    const outage = Buffer.concat([Buffer.from([0, 0, 0, 0, OUTAGE_ID]), Buffer.from('body')]);
    const results = await pool().decodeAll([value('a'), outage, value('b')], TOPIC);
    assert.deepEqual(kinds(results), ['record', SchemaRegistryException.name, SchemaRegistryException.name]);
  });

  it('keeps each batch’s order when batches run at once on several threads', async () => {
    const p = pool(2);
    const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 50 }, (__, i) => anAuditEvent({ description: `${b}:${i}` })));
    const results = await Promise.all(
      batches.map((events) =>
        p.decodeAll(
          events.map((e) => writer.encodeWithId(GOOD_ID, e)),
          TOPIC,
        ),
      ),
    );
    results.forEach((batch, b) =>
      assert.deepEqual(
        batch.map((r) => ('event' in r ? r.event.id : 'error')),
        batches[b]?.map((e) => e.id),
      ),
    );
  });

  it('fails the batches of a thread that dies, and carries on with a new thread', async () => {
    const p = pool();
    await assert.rejects(p.decodeAll([value('a'), value('crash')], TOPIC), /encode worker thread exited \(code 3\)/);
    assert.deepEqual(kinds(await p.decodeAll([value('a'), value('b')], TOPIC)), ['record', 'record']);
  });

  it('hands back every record byte for byte whether its texts are far larger or smaller than the batches before', async () => {
    // One thread learns how many text bytes a value byte makes: batches of small texts, then texts tens of times their
    // Avro (its buffer grows while writing), then small ones again (a buffer mostly empty, copied to size).
    const p = pool();
    for (const [count, pad] of [
      [200, 0],
      [200, 0],
      [40, 5_000],
      [300, 0],
      [5, 20_000],
      [1, 0],
    ] as const) {
      const events = Array.from({ length: count }, (_, i) => anAuditEvent({ description: pad === 0 ? `small ${i}` : `pad:${pad + i}` }));
      const results = await p.decodeAll(
        events.map((e) => writer.encodeWithId(GOOD_ID, e)),
        TOPIC,
      );
      assert.deepEqual(
        results.map((r) => ('event' in r ? (JSON.parse(r.event.record?.toString() ?? 'null') as unknown) : r)),
        events.map((e, i) =>
          pad === 0 ? { prefix: 'p', id: e.id, action: e.action } : { prefix: 'p', id: e.id, pad: '€'.repeat(pad + i) },
        ),
      );
    }
  });

  it('answers an empty batch without a thread', async () => {
    assert.deepEqual(await pool().decodeAll([], TOPIC), []);
  });
});

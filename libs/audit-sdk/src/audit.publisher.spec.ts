import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventValidationException, topicFor, type AuditEvent } from '@vigil/events';
import { RECORD_BATCH_OVERHEAD, recordBytes, RegistryHttpClient, type KafkaClient, type RawProducerBatch } from '@vigil/kafka';
import { randomCjk } from '@vigil/testing';
import { PublishErrorCode, PublishException } from './audit-sdk.exception';
import { laneOf } from '@vigil/common';
import { AuditPublisher, type AuditPublisherOptions } from './audit.publisher';
import type { UntypedAuditEventInput } from './audit-event.input';

/** A producer whose sendBatch the test controls: each call waits for `release()` or fails on demand. */
class FakeProducer {
  batches: RawProducerBatch[] = [];
  failWith: Error | undefined;
  /** Refuse a request of more records than this, as a broker refuses a batch over message.max.bytes. */
  maxRecords = Number.POSITIVE_INFINITY;
  acked = 0;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open();
  }
  connect(): Promise<void> {
    return Promise.resolve();
  }
  disconnect(): Promise<void> {
    return Promise.resolve();
  }
  async sendBatch(batch: RawProducerBatch): Promise<unknown[]> {
    this.batches.push(batch);
    await this.gate;
    if (this.failWith !== undefined) throw this.failWith;
    const records = (batch.topicMessages ?? []).reduce((m, t) => m + t.messages.length, 0);
    if (records > this.maxRecords) {
      // What kafkajs throws for error code 10, wrapped as its retrier wraps a non-retriable error.
      const refused = Object.assign(new Error('The request included a message larger than the max message size'), {
        type: 'MESSAGE_TOO_LARGE',
      });
      throw Object.assign(new Error(refused.message, { cause: refused }), { name: 'KafkaJSNonRetriableError' });
    }
    this.acked += records;
    return [];
  }
  /** The largest request sent, in bytes as the broker counts them if all its records went to one partition. */
  largestRequestBytes(): number {
    return Math.max(
      ...this.batches.map(
        (b) =>
          RECORD_BATCH_OVERHEAD +
          (b.topicMessages ?? []).reduce(
            (n, t) =>
              n +
              t.messages.reduce(
                (m, msg) =>
                  m + recordBytes({ key: msg.key ?? null, value: msg.value ?? null, headers: msg.headers as Record<string, string> }),
                0,
              ),
            0,
          ),
      ),
    );
  }
  events(): number {
    return this.batches.reduce((n, b) => n + (b.topicMessages ?? []).reduce((m, t) => m + t.messages.length, 0), 0);
  }
}

/** Fails every request that carries the given tenant's events. */
class FailingFor extends FakeProducer {
  constructor(private readonly tenant: string) {
    super();
  }
  override async sendBatch(batch: RawProducerBatch): Promise<unknown[]> {
    const keys = (batch.topicMessages ?? []).flatMap((t) => t.messages.map((m) => m.key));
    if (keys.includes(this.tenant)) {
      this.batches.push(batch);
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('NOT_LEADER_OR_FOLLOWER');
    }
    return super.sendBatch(batch);
  }
}

/** Two tenant ids whose events take different lanes of a publisher with the default three. */
function twoLanes(): [string, string] {
  const a = 'acme';
  for (let i = 0; ; i++) if (laneOf(`t${i}`, 3) !== laneOf(a, 3)) return [a, `t${i}`];
}

class FakeRegistry extends RegistryHttpClient {
  registrations = 0;
  constructor() {
    super({ url: 'http://registry.invalid' });
  }
  override register(): Promise<number> {
    this.registrations++;
    return Promise.resolve(42);
  }
}

function publisherWith(
  producer: FakeProducer,
  registry = new FakeRegistry(),
  batch = {},
  options: Partial<AuditPublisherOptions> = {},
): AuditPublisher {
  // The fake implements only the producer calls the publisher makes.
  const kafka = { producer: () => producer } as unknown as KafkaClient;
  return new AuditPublisher({
    kafka: { client: kafka },
    schemaRegistry: { client: registry },
    service: { name: 'svc', host: 'h' },
    batch,
    ...options,
  });
}

const input = (i: number) => ({ action: 'user.login.failed' as const, tenantId: `t${i % 3}`, actor: { id: `u${i}` } });

describe(AuditPublisher.name, () => {
  it('coalesces concurrent publishes into batched produce requests and resolves each after the ack', async () => {
    const producer = new FakeProducer();
    const registry = new FakeRegistry();
    const publisher = publisherWith(producer, registry, { maxEvents: 500, lingerMs: 5, maxInFlight: 1 });
    const events = await Promise.all(Array.from({ length: 2000 }, (_, i) => publisher.publish(input(i))));
    assert.equal(events.length, 2000);
    assert.equal(producer.events(), 2000);
    assert.ok(producer.batches.length <= 5, `expected at most 5 requests, got ${producer.batches.length}`);
    assert.equal(registry.registrations, 1, 'the schema id is cached after the first registration');
    const first = producer.batches[0]?.topicMessages?.[0];
    assert.equal(first?.topic, 'audit.authentication');
    assert.equal(producer.batches[0]?.acks, -1);
  });

  it('does not resolve before Kafka acknowledged', async () => {
    const producer = new FakeProducer();
    producer.hold();
    const publisher = publisherWith(producer);
    let resolved = false;
    const pending = publisher.publish(input(1)).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(resolved, false);
    producer.release();
    await pending;
    assert.equal(resolved, true);
  });

  it('makes publish wait when the queue is full instead of growing memory', async () => {
    const producer = new FakeProducer();
    producer.hold();
    const publisher = publisherWith(producer, new FakeRegistry(), { maxEvents: 10, maxQueued: 20, lingerMs: 0 });
    let accepted = 0;
    const all = Array.from({ length: 100 }, (_, i) => publisher.publish(input(i)).then(() => accepted++));
    await new Promise((r) => setTimeout(r, 50));
    // One batch of 10 in flight per lane (3), at most 20 queued; the rest wait in publish().
    const queuedOrSent = producer.events() + 20;
    assert.ok(queuedOrSent <= 50, `at most 50 events taken, saw ${queuedOrSent}`);
    assert.equal(accepted, 0);
    producer.release();
    await Promise.all(all);
    assert.equal(accepted, 100);
    assert.equal(producer.events(), 100);
  });

  it('rejects every event of a batch Kafka did not acknowledge, with the reason', async () => {
    const producer = new FakeProducer();
    producer.failWith = new Error('NOT_ENOUGH_REPLICAS');
    const publisher = publisherWith(producer);
    await assert.rejects(publisher.publish(input(1)), (err: unknown) => {
      assert.ok(err instanceof PublishException);
      assert.equal(err.code, PublishErrorCode.KAFKA_UNAVAILABLE);
      assert.match(err.message, /NOT_ENOUGH_REPLICAS/);
      return true;
    });
  });

  it('refuses an invalid event before anything is sent', async () => {
    const producer = new FakeProducer();
    const publisher = publisherWith(producer);
    await assert.rejects(publisher.publish({ action: 'user.logn', tenantId: 'acme', actor: { id: 'u' } }), (err: unknown) => {
      assert.ok(err instanceof EventValidationException);
      assert.match(err.message, /action: unknown action "user.logn"; did you mean "user.login/);
      return true;
    });
    await assert.rejects(
      publisher.publishMany([input(1), { action: 'user.login.failed', tenantId: 'acme', actor: { id: '' } }]),
      /\[1\]\.actor\.id: must not be empty/,
    );
    assert.equal(producer.batches.length, 0);
  });

  it('with misspeltFields: refuse, refuses a key that looks like a misspelt field, at any depth, and leaves other keys out', () => {
    const strict = publisherWith(new FakeProducer(), new FakeRegistry(), {}, { misspeltFields: 'refuse' });
    // As an untyped source (JSON, a JavaScript service) sends them: completion copies only the fields it knows.
    const misspelt = {
      ...input(1),
      clinet: { ip: '203.0.113.9' },
      actor: { id: 'u', nmae: 'Ann' },
      targets: [
        { type: 'document', id: 'd1' },
        { type: 'document', id: 'd2', nam: 'Q3 plan' },
      ],
      http: { method: 'POST', statuscode: 401 },
    } as unknown as UntypedAuditEventInput;
    assert.throws(
      () => strict.prepare(misspelt),
      (err: unknown) => {
        assert.ok(err instanceof EventValidationException);
        assert.deepEqual(
          err.issues.map((i) => `${i.path}: ${i.rule}`),
          [
            'clinet: unknown field; did you mean "client"?',
            'actor.nmae: unknown field; did you mean "name"?',
            'targets.1.nam: unknown field; did you mean "name"?',
            'http.statuscode: unknown field; did you mean "statusCode"?',
          ],
        );
        return true;
      },
    );
    // Keys unlike any field, a near one beside the field it is near, and an undefined value are left out as before.
    const user = { id: 'u', name: 'Ann', email: 'ann@example.com', nam: 'A.', role: undefined };
    const kept = strict.prepare({
      ...input(1),
      actor: user,
      targets: [{ type: 'doc', id: 'd', createdAt: 5 }],
    } as unknown as UntypedAuditEventInput);
    assert.deepEqual(kept.actor, { id: 'u', name: 'Ann', type: 'USER', roles: [] });
    // By default (typed callers may hand over objects made for something else), a misspelt key is left out too.
    const lenient = publisherWith(new FakeProducer());
    assert.equal(lenient.prepare(misspelt).client, null);
  });

  it('delivers everything queued on close and refuses publishing afterwards', async () => {
    const producer = new FakeProducer();
    const publisher = publisherWith(producer, new FakeRegistry(), { lingerMs: 1000 });
    const pending = Promise.all([publisher.publish(input(1)), publisher.publish(input(2))]);
    await new Promise((r) => setTimeout(r, 10));
    await publisher.close();
    assert.equal(producer.events(), 2);
    await pending;
    await assert.rejects(
      publisher.publish(input(3)),
      (err: unknown) => err instanceof PublishException && err.code === PublishErrorCode.CLOSED,
    );
  });

  it('fills id, times, catalog defaults and the service', async () => {
    const publisher = publisherWith(new FakeProducer());
    const before = Date.now() * 1000;
    const event = await publisher.publish(input(1));
    assert.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    assert.ok(event.time >= before && event.observedTime >= event.time);
    assert.equal(event.category, 'authentication');
    assert.equal(event.outcome, 'FAILURE');
    assert.deepEqual(event.service, { name: 'svc', version: null, host: 'h' });
  });
});

describe(`${AuditPublisher.name} batching on the wire`, () => {
  it('keeps every request under maxBytes counting keys, headers and framing, for 20,000 small events of one tenant', async () => {
    const producer = new FakeProducer();
    const publisher = publisherWith(producer, new FakeRegistry(), { lingerMs: 1 });
    // Values of ~200 bytes: a bound on the values alone lets 900 KiB of them through, 1.3 MiB on the wire.
    const description = 'failed login from an unrecognised device, second factor not attempted, account not locked yet';
    await Promise.all(Array.from({ length: 20_000 }, (_, i) => publisher.publish({ ...input(i), tenantId: 'acme', description })));
    assert.equal(producer.acked, 20_000);
    const largest = producer.largestRequestBytes();
    assert.ok(largest <= 900 * 1024, `largest request ${largest} bytes`);
  });

  it('splits a request the broker refuses as too large and delivers every event, in order', async () => {
    const producer = new FakeProducer();
    producer.maxRecords = 7;
    const publisher = publisherWith(producer, new FakeRegistry(), { maxEvents: 100, lingerMs: 5 });
    const events = await Promise.all(Array.from({ length: 100 }, (_, i) => publisher.publish({ ...input(i), tenantId: 'acme' })));
    assert.equal(producer.acked, 100);
    const delivered = producer.batches
      .filter((b) => (b.topicMessages ?? []).reduce((m, t) => m + t.messages.length, 0) <= 7)
      .flatMap((b) => (b.topicMessages ?? []).flatMap((t) => t.messages.map((m) => m.headers?.['vigil-event-id'])));
    assert.deepEqual(
      delivered,
      events.map((e) => e.id),
    );
  });

  it('sends what queued during a request once its oldest event has lingered, as one request, not the few of one round trip', async () => {
    const producer = new FakeProducer();
    // A linger long against this machine's stalls: the test asserts on the order of things, not on milliseconds.
    const publisher = publisherWith(producer, new FakeRegistry(), { lingerMs: 400, maxInFlight: 1 });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    producer.hold();
    const first = publisher.publish(input(0));
    while (producer.batches.length === 0) await sleep(5); // the lone event's linger ran out: its request is held
    const sentAt = performance.now();
    const calls = [publisher.publish(input(1))];
    await sleep(20);
    producer.release(); // the request returns while event 1 has waited a few ms of its 400
    await first;
    await sleep(20);
    calls.push(publisher.publish(input(2)), publisher.publish(input(3)));
    await Promise.all(calls);
    // Sending at once on the return would have made two more requests (1, then 2 and 3); lingering makes one.
    assert.equal(producer.batches.length, 2);
    assert.equal(producer.events(), 4);
    assert.ok(performance.now() - sentAt >= 380, 'the second request waited for its oldest event to linger');
  });

  it('sends a lane that filled while its linger timer was pending, though publish() calls keep coming', async () => {
    const producer = new FakeProducer();
    const publisher = publisherWith(producer, new FakeRegistry(), { lingerMs: 1000, maxEvents: 5, maxInFlight: 1 });
    const calls = Array.from({ length: 5 }, (_, i) => publisher.publish(input(i)));
    // A call every half millisecond from here on: each used to re-arm the full lane's timer, which then never came due.
    let i = 5;
    const stream = setInterval(() => calls.push(publisher.publish(input(i++))), 0.5);
    try {
      const started = performance.now();
      while (producer.batches.length === 0 && performance.now() - started < 500) await new Promise((r) => setImmediate(r));
      assert.equal(producer.batches.length, 1, 'the full lane was sent while the calls went on');
    } finally {
      clearInterval(stream);
    }
    await publisher.close();
    await Promise.all(calls);
    assert.equal(producer.events(), i);
  });

  it('fails only a single event the broker refuses on its own, with EVENT_TOO_LARGE', async () => {
    const producer = new FakeProducer();
    producer.maxRecords = 0;
    const publisher = publisherWith(producer);
    await assert.rejects(
      publisher.publish(input(1)),
      (err: unknown) => err instanceof PublishException && err.code === PublishErrorCode.EVENT_TOO_LARGE,
    );
  });
});

describe(`${AuditPublisher.name} text`, () => {
  it('replaces NUL and unpaired surrogates before validating, so the event can be stored', async () => {
    const publisher = publisherWith(new FakeProducer());
    const event = await publisher.publish({ ...input(1), description: 'bad\u0000byte', actor: { id: 'u\uD800', name: 'n\uDFFF' } });
    assert.equal(event.description, 'bad\uFFFDbyte');
    assert.deepEqual([event.actor.id, event.actor.name], ['u\uFFFD', 'n\uFFFD']);
  });

  it('refuses a 1,024-character random CJK actor.id with the byte count', () => {
    const publisher = publisherWith(new FakeProducer());
    assert.throws(
      () => publisher.prepare({ ...input(1), actor: { id: randomCjk(1024) } }),
      (err: unknown) => err instanceof EventValidationException && err.message === 'actor.id: at most 1024 bytes of UTF-8 (got 3072)',
    );
  });
});

describe(`${AuditPublisher.name} ordering and complete events`, () => {
  it('rejects what is queued behind a failed batch instead of sending it ahead of the retry', async () => {
    const producer = new FakeProducer();
    producer.hold();
    producer.failWith = new Error('broker gone');
    const publisher = publisherWith(producer, new FakeRegistry(), { maxEvents: 1, lingerMs: 0 });
    const results = Promise.allSettled(Array.from({ length: 5 }, (_, i) => publisher.publish({ ...input(i), tenantId: 'acme' })));
    await new Promise((r) => setTimeout(r, 20));
    producer.release();
    const settled = await results;
    assert.deepEqual(
      settled.map((s) => s.status),
      ['rejected', 'rejected', 'rejected', 'rejected', 'rejected'],
    );
    assert.equal(producer.batches.length, 1, 'nothing after the failed batch was sent');
  });

  it("sends different tenants' requests at once, each tenant's one at a time and in order", async () => {
    const [a, b] = twoLanes();
    const producer = new FakeProducer();
    producer.hold();
    const publisher = publisherWith(producer, new FakeRegistry(), { maxEvents: 2, lingerMs: 0 });
    const all = Promise.all(
      Array.from({ length: 8 }, (_, i) => publisher.publish({ ...input(i), tenantId: i % 2 === 0 ? a : b, correlationId: `n${i}` })),
    );
    await new Promise((r) => setTimeout(r, 20));
    const tenantsOf = (batch: RawProducerBatch) =>
      new Set((batch.topicMessages ?? []).flatMap((t) => t.messages.map((m) => String(m.key))));
    assert.equal(producer.batches.length, 2, 'one request in flight per lane');
    assert.deepEqual(producer.batches.map((batch) => [...tenantsOf(batch)]).sort(), [[a], [b]].sort());
    producer.release();
    const events = await all;
    for (const tenant of [a, b]) {
      const sent = producer.batches.flatMap((batch) =>
        (batch.topicMessages ?? []).flatMap((t) => t.messages.filter((m) => m.key === tenant).map((m) => m.headers?.['vigil-event-id'])),
      );
      assert.deepEqual(
        sent,
        events.filter((e) => e.tenantId === tenant).map((e) => e.id),
        `${tenant}'s events in the order published`,
      );
    }
  });

  it("queues a tenant's events in the order of the calls under backpressure, also a call made as the queue drains", async () => {
    let hook: (() => void) | undefined;
    class Hooked extends FakeProducer {
      override sendBatch(batch: RawProducerBatch): Promise<unknown[]> {
        const run = hook;
        hook = undefined;
        run?.();
        return super.sendBatch(batch);
      }
    }
    const producer = new Hooked();
    const publisher = publisherWith(producer, new FakeRegistry(), { maxEvents: 2, maxQueued: 2, lingerMs: 0, maxInFlight: 1 });
    await publisher.publish({ ...input(0), tenantId: 'acme' }); // the schema id is known from here on
    // 1 and 2 fill the queue and 3 waits for room; 4 is called as 1 and 2 go out. Calls made once the schema id is known
    // and there is room are queued at once, without a promise of their own: never ahead of one still waiting.
    hook = () => calls.push(publisher.publish({ ...input(4), tenantId: 'acme' }));
    const calls = [1, 2, 3].map((i) => publisher.publish({ ...input(i), tenantId: 'acme' }));
    while (calls.length < 4) await new Promise((r) => setImmediate(r));
    const events = await Promise.all(calls);
    const sent = producer.batches
      .slice(1)
      .flatMap((b) => (b.topicMessages ?? []).flatMap((t) => t.messages.map((m) => m.headers?.['vigil-event-id'])));
    assert.deepEqual(
      sent,
      events.map((e) => e.id),
    );
  });

  it("a failed request rejects its own lane's queue only: other tenants' events are delivered", async () => {
    const [a, b] = twoLanes();
    const producer = new FailingFor(a);
    const publisher = publisherWith(producer, new FakeRegistry(), { maxEvents: 1, lingerMs: 0 });
    const settled = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => publisher.publish({ ...input(i), tenantId: i % 2 === 0 ? a : b })),
    );
    assert.deepEqual(
      settled.map((s) => s.status),
      ['rejected', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(producer.acked, 3);
  });

  it('publishes a complete event exactly as it is, observedTime included', async () => {
    const producer = new FakeProducer();
    const publisher = publisherWith(producer);
    const original = await publisher.publish(input(1));
    const again = { ...original, observedTime: original.observedTime - 5_000_000 };
    const [sent] = await publisher.publishComplete([again]);
    assert.deepEqual(sent, again);
    await assert.rejects(publisher.publishComplete([{ ...again, tenantId: '' }]), /\[0\]\.tenantId/);
  });
});

/** A registry whose registrations answer only when the test opens them (a slow or restarting registry). */
class GatedRegistry extends FakeRegistry {
  private opened = false;
  private waiting: (() => void)[] = [];
  failNext: Error | undefined;
  override async register(): Promise<number> {
    if (!this.opened) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failNext !== undefined) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
    return super.register();
  }
  open(): void {
    this.opened = true;
    for (const wake of this.waiting.splice(0)) wake();
  }
  /** Registrations from here on wait for open() again (ids already known stay known to the publisher). */
  close(): void {
    this.opened = false;
  }
}

/** An account-management event, a category other than input()'s authentication. */
const disabled = (n: number, tenantId: string) => ({
  action: 'user.disabled' as const,
  tenantId,
  actor: { id: `admin${n}` },
  targets: [{ type: 'user', id: `u${n}` }],
});

/** A publisher on a gated registry (open) whose authentication schema id is known, after one event of acme. */
async function warmedUp(): Promise<{ producer: FakeProducer; registry: GatedRegistry; publisher: AuditPublisher }> {
  const producer = new FakeProducer();
  const registry = new GatedRegistry();
  registry.open();
  const publisher = publisherWith(producer, registry, { lingerMs: 0 });
  await publisher.publish({ ...input(0), tenantId: 'acme' });
  return { producer, registry, publisher };
}

/** The vigil-event-id of every record of one tenant sent, in the order sent. */
const sentIdsOf = (producer: FakeProducer, tenant: string) =>
  producer.batches.flatMap((b) =>
    (b.topicMessages ?? []).flatMap((t) => t.messages.filter((m) => m.key === tenant).map((m) => m.headers?.['vigil-event-id'])),
  );

/** The vigil-event-id of every record sent, in the order sent. */
const sentIds = (producer: FakeProducer) =>
  producer.batches.flatMap((b) => (b.topicMessages ?? []).flatMap((t) => t.messages.map((m) => m.headers?.['vigil-event-id'])));

// A bound on the suite: a regression that leaves a call pending fails here instead of hanging the run.
describe(`${AuditPublisher.name} call order`, { timeout: 60_000 }, () => {
  it('sends a publishMany() before a publish() made right after it, of one tenant', async () => {
    const producer = new FakeProducer();
    const publisher = publisherWith(producer, new FakeRegistry(), { lingerMs: 0, maxInFlight: 1 });
    await publisher.publish({ ...input(0), tenantId: 'acme' }); // the schema id is known from here on
    const many = publisher.publishMany([{ ...input(1), tenantId: 'acme' }]);
    const one = publisher.publish({ ...input(2), tenantId: 'acme' });
    const [[first], second] = await Promise.all([many, one]);
    assert.deepEqual(sentIds(producer).slice(1), [first?.id, second.id]);
  });

  it("sends one tenant's events in the order of the calls, whatever mix of calls, registry delays and backpressure", async () => {
    // A seeded mix: publish() and publishMany() of two categories, the second's schema id unknown until the registry
    // answers; calls made at once, a few microtasks later, and from inside a produce request, with room for 4 events.
    let seed = 7;
    const random = (n: number) => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) >>> 16) % n;
    let delays = 1;
    const hooks: (() => void)[] = [];
    class Hooked extends FakeProducer {
      override async sendBatch(batch: RawProducerBatch): Promise<unknown[]> {
        for (const run of hooks.splice(0)) run();
        await new Promise((r) => setTimeout(r, (delays = (delays * 7 + 3) % 11) % 3)); // its own sequence: the mix's draws stay the seed's
        return super.sendBatch(batch);
      }
    }
    const producer = new Hooked();
    const registry = new GatedRegistry();
    const publisher = publisherWith(producer, registry, { maxEvents: 3, maxQueued: 4, lingerMs: 0, maxInFlight: 2 });
    const calls: Promise<AuditEvent[]>[] = [];
    const eventFor = (n: number) =>
      random(3) === 0
        ? { action: 'user.disabled' as const, tenantId: 'acme', actor: { id: `admin${n}` }, targets: [{ type: 'user', id: `u${n}` }] }
        : { ...input(n), tenantId: 'acme' };
    const call = () => {
      const n = calls.length;
      calls.push(
        random(2) === 0
          ? publisher.publish(eventFor(n)).then((e) => [e])
          : publisher.publishMany(Array.from({ length: 1 + random(4) }, (_, i) => eventFor(n * 10 + i))),
      );
    };
    let made = 0;
    while (made < 300) {
      const how = random(4);
      made++;
      if (how === 0) call();
      else if (how === 1) hooks.push(call);
      else {
        for (let i = random(5); i > 0; i--) await Promise.resolve();
        call();
      }
      if (made === 40) registry.open();
      if (random(10) === 0) await new Promise((r) => setImmediate(r));
    }
    while (calls.length < 300) {
      await publisher.flush();
      for (const run of hooks.splice(0)) run();
    }
    const events = (await Promise.all(calls)).flat();
    // A request carries each topic's records apart (Kafka orders a tenant's events within a topic's partition).
    for (const topic of [topicFor('authentication'), topicFor('account-management')]) {
      const sent = producer.batches.flatMap((b) =>
        (b.topicMessages ?? []).filter((t) => t.topic === topic).flatMap((t) => t.messages.map((m) => m.headers?.['vigil-event-id'])),
      );
      const published = events.filter((e) => topicFor(e.category) === topic).map((e) => e.id);
      assert.ok(published.length > 50, `${published.length} events of ${topic}`);
      assert.deepEqual(sent, published, `${topic} in call order`);
    }
  });

  it('flush() and close() wait for a call still waiting for its schema id', async () => {
    for (const end of ['flush', 'close'] as const) {
      const producer = new FakeProducer();
      const registry = new GatedRegistry();
      const publisher = publisherWith(producer, registry, { lingerMs: 1000 });
      const pending = publisher.publish(input(1));
      let ended = false;
      const ending = (end === 'flush' ? publisher.flush() : publisher.close()).then(() => (ended = true));
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(ended, false, `${end}() waits while the registry has not answered`);
      registry.open();
      await ending;
      assert.equal(producer.events(), 1, `${end}() returned once the event was acknowledged`);
      await pending;
    }
  });

  it('flush() returns when a call in line fails on the registry, and the call rejects with REGISTRY_UNAVAILABLE', async () => {
    const producer = new FakeProducer();
    const registry = new GatedRegistry();
    registry.failNext = new Error('connect ECONNREFUSED');
    const publisher = publisherWith(producer, registry);
    const pending = publisher.publish(input(1));
    let flushedYet = false;
    const flushed = publisher.flush().then(() => (flushedYet = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(flushedYet, false, 'flush() waits for the call held for its schema id');
    registry.open();
    await flushed;
    await assert.rejects(pending, (err: unknown) => err instanceof PublishException && err.code === PublishErrorCode.REGISTRY_UNAVAILABLE);
    assert.equal(producer.events(), 0);
    await publisher.publish(input(2)); // the registry answers again: the next call goes through
    assert.equal(producer.events(), 1);
  });

  it('a failed request also rejects the calls waiting for room with events for its lane, and sends the others', async () => {
    const [a, b] = twoLanes();
    class FailsOnce extends FakeProducer {
      failed = false;
      override async sendBatch(batch: RawProducerBatch): Promise<unknown[]> {
        const keys = (batch.topicMessages ?? []).flatMap((t) => t.messages.map((m) => m.key));
        if (!this.failed && keys.includes(a)) {
          this.failed = true;
          this.batches.push(batch);
          await new Promise((r) => setTimeout(r, 20));
          throw new Error('NOT_LEADER_OR_FOLLOWER');
        }
        return super.sendBatch(batch);
      }
    }
    const producer = new FailsOnce();
    const publisher = publisherWith(producer, new FakeRegistry(), { maxEvents: 2, maxQueued: 2, lingerMs: 0 });
    await publisher.publish({ ...input(0), tenantId: b }); // the schema id is known from here on
    // a's first two fill the queue and go out in the request that fails; its next two take their room meanwhile, and
    // the last two wait in line: b's is sent, a's is rejected with its lane, not sent ahead of the caller's retry.
    const tenants = [a, a, a, a, b, a];
    const settled = await Promise.allSettled(tenants.map((tenantId, i) => publisher.publish({ ...input(i), tenantId })));
    assert.deepEqual(
      settled.map((s) => s.status),
      ['rejected', 'rejected', 'rejected', 'rejected', 'fulfilled', 'rejected'],
    );
    const keys = producer.batches.slice(1).map((batch) => (batch.topicMessages ?? []).flatMap((t) => t.messages.map((m) => m.key)));
    assert.deepEqual(keys, [[a, a], [b]]);
  });

  it("a call waiting for its schema id holds back its own tenants' later calls only", async () => {
    const { producer, registry, publisher } = await warmedUp(); // authentication's id is known from here on
    registry.close(); // account-management's registration now waits
    const slow = publisher.publish(disabled(1, 'acme'));
    const acmeLater = publisher.publish({ ...input(2), tenantId: 'acme' });
    const others = Array.from({ length: 200 }, (_, i) => publisher.publish({ ...input(i), tenantId: `other${i % 7}` }));
    await Promise.all(others);
    assert.equal(producer.events(), 201, "other tenants' events went while acme's first call waited for the registry");
    registry.open();
    const [first, second] = await Promise.all([slow, acmeLater]);
    const acme = sentIdsOf(producer, 'acme');
    assert.deepEqual(acme.slice(1), [first.id, second.id], "acme's calls in the order they were made");
  });

  it('a call failing on the registry also fails the later calls of its tenants held behind it, not other tenants', async () => {
    const { producer, registry, publisher } = await warmedUp();
    registry.close();
    registry.failNext = new Error('connect ECONNREFUSED');
    const settled = Promise.allSettled([
      publisher.publishMany([{ ...input(1), tenantId: 'acme' }, disabled(2, 'acme')]),
      publisher.publish({ ...input(3), tenantId: 'acme' }), // made before the failure was known: not sent ahead of a retry
      publisher.publish({ ...input(4), tenantId: 'globex' }),
    ]);
    registry.open();
    assert.deepEqual(
      (await settled).map((s) => s.status),
      ['rejected', 'rejected', 'fulfilled'],
    );
    assert.equal(producer.events(), 2, 'the warm-up and globex');
  });

  it('a retry made when a call failed on the registry goes through, and so does a later call after a lane failure', async () => {
    const { producer, registry, publisher } = await warmedUp();
    registry.failNext = new Error('connect ECONNREFUSED');
    // The caller retries with another event of the tenant as soon as it hears of the failure.
    const retried = publisher.publish(disabled(1, 'acme')).catch(() => publisher.publish({ ...input(2), tenantId: 'acme' }));
    assert.equal((await retried).tenantId, 'acme');
    // A failed request while a call of the tenant waits for the registry: a call made after it is not failed with it.
    registry.close();
    producer.hold();
    producer.failWith = new Error('NOT_LEADER_OR_FOLLOWER');
    const failing = publisher.publish({ ...input(3), tenantId: 'acme' });
    await new Promise((r) => setImmediate(r));
    const waiting = publisher.publish(disabled(4, 'acme')); // held for account-management's id
    producer.release();
    await assert.rejects(failing, /NOT_LEADER_OR_FOLLOWER/);
    await assert.rejects(waiting, /NOT_LEADER_OR_FOLLOWER/, 'made before the failure was known: failed with it');
    producer.failWith = undefined;
    producer.hold();
    producer.release();
    const after = publisher.publish({ ...input(5), tenantId: 'acme' });
    registry.open();
    assert.equal((await after).tenantId, 'acme');
  });

  it('a held call spanning two tenants holds back both, and only their later calls', async () => {
    const { producer, registry, publisher } = await warmedUp();
    registry.close();
    const both = publisher.publishMany([disabled(1, 'acme'), { ...input(2), tenantId: 'globex' }]);
    const globexLater = publisher.publish({ ...input(3), tenantId: 'globex' });
    const initech = publisher.publish({ ...input(4), tenantId: 'initech' });
    await initech;
    assert.equal(producer.events(), 2, 'the warm-up and initech: globex waits behind the call it shares');
    registry.open();
    const [[, globexFirst], globexSecond] = await Promise.all([both, globexLater]);
    const globex = sentIdsOf(producer, 'globex');
    assert.deepEqual(globex, [globexFirst?.id, globexSecond.id]);
  });

  it('refuses a batch setting that is not a number or below its minimum', () => {
    assert.throws(
      () => publisherWith(new FakeProducer(), new FakeRegistry(), { lingerMs: Number.NaN }),
      /batch\.lingerMs must be a finite number of at least 0, got NaN/,
    );
    assert.throws(() => publisherWith(new FakeProducer(), new FakeRegistry(), { maxEvents: 0 }), /batch\.maxEvents/);
    assert.throws(() => publisherWith(new FakeProducer(), new FakeRegistry(), { maxQueued: -1 }), /batch\.maxQueued/);
    assert.throws(() => publisherWith(new FakeProducer(), new FakeRegistry(), { maxInFlight: Number.NaN }), /batch\.maxInFlight/);
    assert.throws(() => publisherWith(new FakeProducer(), new FakeRegistry(), { lingerMs: Infinity }), /batch\.lingerMs must be a finite/);
    publisherWith(new FakeProducer(), new FakeRegistry(), { maxQueued: Infinity, maxEvents: Infinity }); // unbounded: allowed
  });
});

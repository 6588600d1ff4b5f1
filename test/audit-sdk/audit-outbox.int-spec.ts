import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import pino from 'pino';
import { DataSource, type DataSourceOptions } from 'typeorm';
import {
  AuditModule,
  AuditOutboxDeadRepository,
  AuditOutboxRepository,
  AuditPublisher,
  CreateAuditOutbox1795304932986,
  CreateAuditOutboxDead1796000000000,
  OutboxRelay,
  PublishErrorCode,
  type AuditEventInput,
  type AuditPublisherOptions,
} from '@vigil/audit-sdk';
import { allTopics, EventCodec, type AuditEvent } from '@vigil/events';
import { createKafka, RegistryHttpClient } from '@vigil/kafka';
import { collectFrom, endOffsets, requireStack, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { ensureAuditTopics } from './audit-topics.util';

const logger = pino({ level: 'silent' });
const kafka = createKafka({ brokers: testEnv.kafkaBrokers, clientId: 'audit-outbox-int-spec' }, logger);
const codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }), { schemaIds: 'lookup' });
const admin = kafka.admin();
// One schema per run of this file, so parallel runs and other test files never share the outbox.
const schema = `sdk_test_${randomBytes(4).toString('hex')}`;
const dataSourceOptions: DataSourceOptions = {
  type: 'postgres',
  url: testEnv.databaseUrl,
  schema,
  extra: { options: `-c search_path=${schema}` },
  migrations: [CreateAuditOutbox1795304932986, CreateAuditOutboxDead1796000000000],
};

function publisherOptions(overrides: Partial<AuditPublisherOptions> = {}): AuditPublisherOptions {
  return {
    kafka: { brokers: testEnv.kafkaBrokers },
    schemaRegistry: { url: testEnv.schemaRegistryUrl },
    service: { name: 'audit-outbox-int-spec', version: '1.0.0' },
    logger,
    ...overrides,
  };
}

/** Kafka acknowledges the batch, then the process "dies" before the outbox transaction commits. */
class AckThenCrashPublisher extends AuditPublisher {
  override async publishComplete(events: readonly AuditEvent[]): Promise<AuditEvent[]> {
    await super.publishComplete(events);
    throw new Error('crashed after the ack');
  }
}

/** Fails every request with one event id, for no reason the relay knows (so it retries before giving up on it). */
class RefusingPublisher extends AuditPublisher {
  constructor(
    options: AuditPublisherOptions,
    private readonly refusedId: string,
  ) {
    super(options);
  }
  override async publishComplete(events: readonly AuditEvent[]): Promise<AuditEvent[]> {
    if (events.some((e) => e.id === this.refusedId)) throw new Error('refused for this test');
    return super.publishComplete(events);
  }
}

function userCreated(tenantId: string, id: string): AuditEventInput {
  return { action: 'user.created', tenantId, actor: { id: 'admin-1', roles: ['administrator'] }, targets: [{ type: 'user', id }] };
}

async function eventsOf(tenant: string, from: Map<string, Map<number, string>>, count: number): Promise<AuditEvent[]> {
  const collected = await collectFrom(kafka, from, (c) => c.length >= count, { filter: (c) => c.message.key?.toString() === tenant });
  return Promise.all(collected.map((c) => codec.decode(c.message.value, c.topic)));
}

describe('the transactional outbox against the real PostgreSQL, broker and registry', () => {
  const dataSource = new DataSource(dataSourceOptions);
  const publisher = new AuditPublisher(publisherOptions());
  const outbox = new AuditOutboxRepository(publisher);

  before(async () => {
    await requireStack();
    await admin.connect();
    await ensureAuditTopics(admin);
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA ${schema}`);
    await dataSource.runMigrations();
  });

  after(async () => {
    await publisher.close();
    await dataSource.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
    await dataSource.destroy();
    await admin.disconnect();
  });

  const pendingRows = () =>
    dataSource.manager.query<{ id: string; attempts: number; last_error: string | null }[]>(
      `SELECT id, attempts, last_error FROM vigil_audit_outbox ORDER BY id`,
    );

  it('publishes exactly the events of committed transactions, in order, woken by NOTIFY', async () => {
    const tenant = uniqueName('tenant');
    const from = await endOffsets(admin, allTopics());
    // A poll interval far beyond the test's timeout: only the commit's NOTIFY can wake the relay in time.
    const relay = new OutboxRelay(dataSource, publisher, { pollIntervalMs: 120_000, logger });
    relay.start();
    try {
      const [first, second] = await dataSource.transaction((m) =>
        Promise.all([outbox.record(m, userCreated(tenant, 'u-1')), outbox.record(m, userCreated(tenant, 'u-2'))]),
      );
      await assert.rejects(
        dataSource.transaction(async (m) => {
          await outbox.record(m, userCreated(tenant, 'rolled-back'));
          throw new Error('business rule failed');
        }),
        /business rule failed/,
      );
      const third = await dataSource.transaction((m) => outbox.record(m, userCreated(tenant, 'u-3')));
      // Had the rolled-back event been published, it would sit before the third in the tenant's partition.
      const received = await eventsOf(tenant, from, 3);
      assert.deepEqual(
        received.map((e) => e.id),
        [first?.id, second?.id, third.id],
      );
      // Everything recorded in the transaction is what consumers get, except observedTime: the relay's publish time.
      const { observedTime, ...published } = received[2] ?? third;
      const { observedTime: recordedAt, ...expected } = third;
      assert.deepEqual(published, expected);
      assert.ok(observedTime >= recordedAt);
      await waitFor(pendingRows, (rows) => rows.length === 0, 'the outbox to be emptied');
    } finally {
      await relay.stop();
    }
  });

  it("keeps a tenant's order when several relays run at once", async () => {
    const tenant = uniqueName('tenant');
    const from = await endOffsets(admin, allTopics());
    const relays = [1, 2, 3].map(() => new OutboxRelay(dataSource, publisher, { batchSize: 4, pollIntervalMs: 20, listen: false, logger }));
    for (const relay of relays) relay.start();
    const recorded: AuditEvent[] = [];
    try {
      for (let i = 0; i < 30; i++) recorded.push(await dataSource.transaction((m) => outbox.record(m, userCreated(tenant, `u-${i}`))));
      const received = await eventsOf(tenant, from, recorded.length);
      assert.deepEqual(
        received.map((e) => e.id),
        recorded.map((e) => e.id),
      );
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()));
    }
  });

  it('keeps the rows while Kafka is unreachable and delivers them once it is back', async () => {
    const tenant = uniqueName('tenant');
    const from = await endOffsets(admin, allTopics());
    const recorded = await dataSource.transaction((m) =>
      Promise.all([outbox.record(m, userCreated(tenant, 'u-1')), outbox.record(m, userCreated(tenant, 'u-2'))]),
    );

    const deadPublisher = new AuditPublisher(
      publisherOptions({ kafka: { brokers: ['127.0.0.1:1'] }, retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 } }),
    );
    try {
      await assert.rejects(
        new OutboxRelay(dataSource, deadPublisher, { logger }).runOnce(),
        (err: { code?: string }) => err.code === PublishErrorCode.KAFKA_UNAVAILABLE,
      );
    } finally {
      await deadPublisher.close();
    }
    const kept = await pendingRows();
    assert.equal(kept.length, 2);
    assert.ok(
      kept.every((row) => row.attempts === 1 && (row.last_error ?? '').length > 0),
      JSON.stringify(kept),
    );

    assert.equal(await new OutboxRelay(dataSource, publisher, { logger }).drain(), 2);
    const received = await eventsOf(tenant, from, 2);
    assert.deepEqual(
      received.map((e) => e.id),
      recorded.map((e) => e.id),
    );
    assert.equal((await pendingRows()).length, 0);
  });

  it('publishes the same event ids again after a crash between the ack and the commit, never losing one', async () => {
    const tenant = uniqueName('tenant');
    const from = await endOffsets(admin, allTopics());
    const recorded = await dataSource.transaction((m) => outbox.record(m, userCreated(tenant, 'u-1')));

    const crashing = new AckThenCrashPublisher(publisherOptions());
    try {
      await assert.rejects(new OutboxRelay(dataSource, crashing, { logger }).runOnce(), /crashed after the ack/);
    } finally {
      await crashing.close();
    }
    assert.equal(await new OutboxRelay(dataSource, publisher, { logger }).drain(), 1);
    const received = await eventsOf(tenant, from, 2);
    // Downstream consumers deduplicate by id: a duplicate is harmless, a loss is not.
    assert.deepEqual(
      received.map((e) => e.id),
      [recorded.id, recorded.id],
    );
  });

  it("records a NUL inside the caller's transaction and publishes it as U+FFFD", async () => {
    const tenant = uniqueName('tenant');
    const from = await endOffsets(admin, allTopics());
    const recorded = await dataSource.transaction((m) =>
      outbox.record(m, { ...userCreated(tenant, 'u\u0000nul'), description: 'pasted from a C string\u0000' }),
    );
    assert.equal(recorded.description, 'pasted from a C string\uFFFD');
    assert.equal(await new OutboxRelay(dataSource, publisher, { logger }).drain(), 1);
    const [received] = await eventsOf(tenant, from, 1);
    assert.equal(received?.description, 'pasted from a C string\uFFFD');
    assert.deepEqual(
      received?.targets.map((t) => t.id),
      ['u\uFFFDnul'],
    );
  });

  it('moves a row that no longer validates aside with its reason, and publishes the rows behind it', async () => {
    const tenant = uniqueName('tenant');
    const from = await endOffsets(admin, allTopics());
    const stale = await dataSource.transaction((m) => outbox.record(m, userCreated(tenant, 'u-stale')));
    // As if an older SDK had recorded it: an action the catalog no longer has.
    await dataSource.query(
      `UPDATE vigil_audit_outbox SET event = jsonb_set(event, '{action}', '"user.renamed.legacy"') WHERE event->>'id' = $1`,
      [stale.id],
    );
    const behind = await dataSource.transaction((m) =>
      Promise.all([outbox.record(m, userCreated(tenant, 'u-1')), outbox.record(m, userCreated(tenant, 'u-2'))]),
    );
    assert.equal(await new OutboxRelay(dataSource, publisher, { logger, maxAttempts: 3 }).drain(), 3);
    const received = await eventsOf(tenant, from, 2);
    assert.deepEqual(
      received.map((e) => e.id),
      behind.map((e) => e.id),
    );
    assert.equal((await pendingRows()).length, 0);
    const { rows } = await new AuditOutboxDeadRepository().list(dataSource.manager, 10);
    const dead = rows.find((r) => r.event.id === stale.id);
    assert.ok(dead !== undefined, 'the stale row is in vigil_audit_outbox_dead');
    assert.match(dead.reason, /^invalid event: action: unknown action "user\.renamed\.legacy"/);
    assert.equal(dead.tenantId, tenant);
  });

  it('moves a row that keeps failing on its own aside after maxAttempts, and publishes the rows behind it', async () => {
    const tenant = uniqueName('tenant');
    const from = await endOffsets(admin, allTopics());
    const [poison, good] = await dataSource.transaction((m) =>
      Promise.all([outbox.record(m, userCreated(tenant, 'u-poison')), outbox.record(m, userCreated(tenant, 'u-good'))]),
    );
    const refusing = new RefusingPublisher(publisherOptions(), poison?.id ?? '');
    try {
      const relay = new OutboxRelay(dataSource, refusing, { logger, maxAttempts: 2 });
      // First attempt: the good row cannot pass the poison one yet (order), second attempt: the poison row is moved.
      await assert.rejects(relay.runOnce(), /refused for this test/);
      assert.equal(await relay.drain(), 2);
    } finally {
      await refusing.close();
    }
    const [received] = await eventsOf(tenant, from, 1);
    assert.equal(received?.id, good?.id);
    const { rows } = await new AuditOutboxDeadRepository().list(dataSource.manager, 10);
    const dead = rows.find((r) => r.event.id === poison?.id);
    assert.equal(dead?.attempts, 2);
    assert.match(dead?.reason ?? '', /refused for this test/);
  });

  it('runs the relay with the Nest application when AuditModule is given the outbox', async () => {
    const tenant = uniqueName('tenant');
    const from = await endOffsets(admin, allTopics());
    @Module({
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions, migrationsRun: true }),
        AuditModule.forRootAsync({
          inject: [DataSource],
          useFactory: (appDataSource: DataSource) => ({
            ...publisherOptions(),
            outbox: { dataSource: appDataSource, pollIntervalMs: 200 },
          }),
        }),
      ],
    })
    class AppModule {}
    const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app.useLogger(false);
    await app.init();
    let recorded: AuditEvent;
    try {
      const appOutbox = app.get(AuditOutboxRepository);
      recorded = await app.get(DataSource).transaction((m) => appOutbox.record(m, userCreated(tenant, 'u-nest')));
      const [received] = await eventsOf(tenant, from, 1);
      assert.equal(received?.id, recorded.id);
    } finally {
      await app.close();
    }
    // Closing stopped the relay and closed the publisher: publishing through it now fails fast.
    await assert.rejects(
      app.get(AuditPublisher).publish(userCreated(tenant, 'late')),
      (err: { code?: string }) => err.code === PublishErrorCode.CLOSED,
    );
  });
});

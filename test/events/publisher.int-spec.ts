import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { AuditPublisher, PublishErrorCode, PublishException } from '@vigil/audit-sdk';
import { EventCodec, EventValidationException, type AuditEvent } from '@vigil/events';
import { createKafka, RegistryHttpClient } from '@vigil/kafka';
import { collectFrom, endOffsets, requireStack, testBrokerPid, testEnv, uniqueName } from '@vigil/testing';

const logger = pino({ level: 'silent' });
const kafka = createKafka({ brokers: testEnv.kafkaBrokers, clientId: 'publisher-int-spec' }, logger);
const registry = new RegistryHttpClient({ url: testEnv.schemaRegistryUrl });
const codec = new EventCodec(registry, { schemaIds: 'lookup' });
const admin = kafka.admin();
const TOPICS = ['audit.authentication', 'audit.role-privilege'];

type PublisherOptions = ConstructorParameters<typeof AuditPublisher>[0];

async function decodeAll(tenant: string, from: Map<string, Map<number, string>>, count: number): Promise<AuditEvent[]> {
  const collected = await collectFrom(kafka, from, (c) => c.length >= count, { filter: (c) => c.message.key?.toString() === tenant });
  return Promise.all(collected.map((c) => codec.decode(c.message.value, c.topic)));
}

before(async () => {
  await requireStack(['kafka', 'registry']);
  await admin.connect();
});
after(async () => {
  await admin.disconnect();
});

// Every behaviour twice: kafkajs on the publishing thread (the default), and on a producer thread of its own.
for (const producerThread of [false, true])
  describe(`AuditPublisher against the real broker and registry${producerThread ? ', producing on a thread of its own' : ''}`, () => {
    function publisher(overrides: Partial<PublisherOptions> = {}): AuditPublisher {
      return new AuditPublisher({
        kafka: { brokers: testEnv.kafkaBrokers },
        schemaRegistry: { url: testEnv.schemaRegistryUrl },
        service: { name: 'publisher-int-spec', version: '1.0.0' },
        logger,
        producerThread,
        ...overrides,
      });
    }

    it('resolves after the ack, and the event on the topic decodes to exactly what publish returned', async () => {
      const tenant = uniqueName('tenant');
      const from = await endOffsets(admin, TOPICS);
      const p = publisher();
      try {
        const login = await p.publish({
          action: 'user.login.failed',
          tenantId: tenant,
          actor: { id: 'u-1', name: 'alice', roles: ['analyst'] },
          client: { ip: '2001:db8::7', userAgent: 'curl/8' },
          payload: { authMethod: 'password', failureReason: 'bad password', failedAttempts: 3 },
          attributes: { ticket: 'SEC-1', risk: 0.9, tries: 3, flagged: true, tags: ['a', 'b'] },
        });
        const role = await p.publish({
          action: 'role.created',
          tenantId: tenant,
          actor: { id: 'u-1' },
          targets: [{ type: 'role', id: 'r-9', name: 'auditor' }],
        });
        const received = await decodeAll(tenant, from, 2);
        const byId = new Map(received.map((e) => [e.id, e]));
        assert.deepEqual(byId.get(login.id), login);
        assert.deepEqual(byId.get(role.id), role);
        assert.equal(role.category, 'role-privilege');
      } finally {
        await p.close();
      }
    });

    it('sends nothing when an event is invalid', async () => {
      const tenant = uniqueName('tenant');
      const before = await endOffsets(admin, TOPICS);
      const p = publisher();
      try {
        await assert.rejects(
          p.publishMany([
            { action: 'user.login.failed', tenantId: tenant, actor: { id: 'u-1' } },
            { action: 'user.login.failed', tenantId: tenant, actor: { id: 'u-2' }, client: { ip: 'not-an-ip' } },
          ]),
          (err: unknown) =>
            err instanceof EventValidationException && /\[1\]\.client\.ip: must be an IPv4 or IPv6 address/.test(err.message),
        );
        await p.flush();
      } finally {
        await p.close();
      }
      assert.deepEqual(await endOffsets(admin, TOPICS), before);
    });

    it('delivers 5,000 concurrent publishes exactly once each, keyed by tenant', async () => {
      const tenant = uniqueName('tenant');
      const from = await endOffsets(admin, TOPICS);
      const p = publisher({ batch: { maxEvents: 1000, lingerMs: 5 } });
      let events: AuditEvent[];
      try {
        events = await Promise.all(
          Array.from({ length: 5000 }, (_, i) => p.publish({ action: 'user.login.failed', tenantId: tenant, actor: { id: `u-${i}` } })),
        );
      } finally {
        await p.close();
      }
      const received = await decodeAll(tenant, from, 5000);
      assert.equal(received.length, 5000);
      assert.deepEqual(new Set(received.map((e) => e.id)), new Set(events.map((e) => e.id)));
      // One tenant, one key, one partition: the order on the topic is the order of publish().
      assert.deepEqual(
        received.map((e) => e.actor.id),
        events.map((e) => e.actor.id),
      );
    });

    it('rejects with the reason when the broker cannot be reached after the retries', async () => {
      const p = publisher({ kafka: { brokers: ['127.0.0.1:1'] }, retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 } });
      try {
        await assert.rejects(p.publish({ action: 'user.login.failed', tenantId: 'acme', actor: { id: 'u' } }), (err: unknown) => {
          assert.ok(err instanceof PublishException);
          assert.equal(err.code, PublishErrorCode.KAFKA_UNAVAILABLE);
          assert.match(err.message, /ECONNREFUSED|Connection error|connect/i);
          return true;
        });
      } finally {
        await p.close().catch(() => undefined);
      }
    });

    it(
      'retries through a broker outage and delivers once the broker is back',
      { skip: testBrokerPid() === undefined && 'the test broker was not started by npm test (scripts/stack.mts)' },
      async () => {
        const pid = testBrokerPid() ?? 0;
        const tenant = uniqueName('tenant');
        const from = await endOffsets(admin, TOPICS);
        const p = publisher({ retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 } });
        await p.connect();
        await p.publish({ action: 'user.login.failed', tenantId: tenant, actor: { id: 'warm-up' } });
        // Freeze the broker: requests hang and time out, as in a network partition or a long GC pause.
        process.kill(pid, 'SIGSTOP');
        let resumed = false;
        const timer = setTimeout(() => {
          process.kill(pid, 'SIGCONT');
          resumed = true;
        }, 4000);
        try {
          const during = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              p.publish({ action: 'user.login.failed', tenantId: tenant, actor: { id: `during-${i}` } }),
            ),
          );
          assert.ok(resumed, 'the publishes must not resolve while the broker is frozen');
          const received = await decodeAll(tenant, from, 21);
          for (const event of during)
            assert.ok(
              received.some((r) => r.id === event.id),
              `event ${event.id} was lost`,
            );
        } finally {
          clearTimeout(timer);
          if (!resumed) process.kill(pid, 'SIGCONT');
          await p.close();
        }
      },
    );
  });

describe('AuditPublisher producing on a thread of its own', () => {
  it('needs the brokers: a kafkajs client of this thread cannot move to the producer thread', () => {
    assert.throws(
      () =>
        new AuditPublisher({
          kafka: { client: kafka },
          schemaRegistry: { url: testEnv.schemaRegistryUrl },
          service: { name: 'publisher-int-spec' },
          producerThread: true,
          logger,
        }),
      /producerThread needs kafka\.brokers/,
    );
  });

  it('leaves the process free to exit once closed', () => {
    // A child process that publishes through the thread, closes, and must then end on its own, thread and all.
    const script = `
      const { AuditPublisher } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'libs', 'audit-sdk', 'src'))});
      const p = new AuditPublisher({ kafka: { brokers: ${JSON.stringify(testEnv.kafkaBrokers)} }, schemaRegistry: { url: ${JSON.stringify(testEnv.schemaRegistryUrl)} },
        service: { name: 'publisher-int-spec' }, producerThread: true, logger: require('pino')({ level: 'silent' }) });
      p.publish({ action: 'user.login.failed', tenantId: 'exit-check', actor: { id: 'u' } }).then((e) => { process.stdout.write(e.id); return p.close(); });
    `;
    const out = execFileSync(process.execPath, ['-e', script], { timeout: 60_000, encoding: 'utf8' });
    assert.match(out, /^[0-9a-f-]{36}$/);
  });
});

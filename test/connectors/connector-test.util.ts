import pino from 'pino';
import { Clock } from '@vigil/common';
import { AuditPublisher } from '@vigil/audit-sdk';
import {
  ConnectorRunner,
  ConnectorStatusService,
  secretFrom,
  type ConnectorDefinition,
  type ConnectorTypeSpec,
  type Sink,
} from '@vigil/connector';
import { EventCodec, topicFor, type AuditEvent } from '@vigil/events';
import { createRawKafka, DEAD_LETTER_TOPIC, DeadLetterProducer, RegistryHttpClient, type RawAdmin, type RawKafka } from '@vigil/kafka';
import { MetricsService } from '@vigil/observability';
import { collectFrom, endOffsets, testEnv, uniqueName, type Collected } from '@vigil/testing';

export const logger = pino({ level: testEnv.logLevel });
const TOPIC = topicFor('authentication');

/** Kafka, the registry, a publisher and a status service shared by one test file; each test starts its own connectors. */
export class ConnectorHarness {
  readonly kafka: RawKafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'connector-int-spec' }, logger);
  readonly admin: RawAdmin = this.kafka.admin();
  readonly codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }), { schemaIds: 'lookup' });
  readonly status = new ConnectorStatusService(new MetricsService(), new Clock());
  readonly publisher = new AuditPublisher({
    kafka: { brokers: testEnv.kafkaBrokers },
    schemaRegistry: { url: testEnv.schemaRegistryUrl },
    service: { name: 'connector-int-spec' },
  });
  private readonly runners = new Set<ConnectorRunner>();
  private readonly deadLetters: DeadLetterProducer[] = [];

  async open(): Promise<void> {
    await this.admin.connect();
  }

  async close(): Promise<void> {
    await Promise.all([...this.runners].map((r) => r.stop()));
    await Promise.all(this.deadLetters.map((d) => d.close()));
    await this.publisher.close();
    await this.admin.disconnect();
  }

  /** A connector of the authentication topic with a unique name, fast retries and a short linger. */
  definition<S>(
    spec: ConnectorTypeSpec<S>,
    settings: unknown,
    env: Record<string, string>,
    overrides: Partial<ConnectorDefinition<S>> = {},
  ): ConnectorDefinition<S> {
    return {
      name: uniqueName(`it-${spec.type}`),
      type: spec.type,
      enabled: true,
      categories: ['authentication'],
      actions: { include: ['*'], exclude: [] },
      minSeverity: 'INFO',
      format: spec.defaultFormat,
      batch: { maxEvents: 100, maxBytes: 900_000, lingerMs: 20 },
      retry: { initialBackoffMs: 50, maxBackoffMs: 400 },
      startFrom: 'latest',
      tenants: 'all',
      settings: spec.settings(secretFrom(env)).parse(settings),
      ...overrides,
    };
  }

  /** Where the topic ends now: a connector started from here sees only what the test publishes next. */
  endOffsets(): Promise<Map<string, Map<number, string>>> {
    return endOffsets(this.admin, [TOPIC]);
  }

  async start<S>(definition: ConnectorDefinition<S>, sink: Sink, from?: Map<string, Map<number, string>>): Promise<ConnectorRunner> {
    const deadLetters = new DeadLetterProducer(this.kafka, `vigil-connector-${definition.name}`);
    this.deadLetters.push(deadLetters);
    const runner = new ConnectorRunner(definition, {
      kafka: this.kafka,
      codec: this.codec,
      sink,
      // As the apps run by default: a sink with an encoding decodes and maps in a worker thread (a test double without
      // one, on this thread).
      encodeThreads: 1,
      registry: { url: testEnv.schemaRegistryUrl },
      deadLetters,
      status: this.status,
      logger,
      lagIntervalMs: 500,
    });
    this.runners.add(runner);
    await runner.start(from === undefined ? {} : { from });
    return runner;
  }

  async stop(runner: ConnectorRunner): Promise<void> {
    this.runners.delete(runner);
    await runner.stop();
  }

  /**
   * Publishes `count` failed logins of the tenant (keyed by tenant: one partition, in order); descriptions number them,
   * `attributes` gives each its own.
   */
  async publish(
    tenantId: string,
    count: number,
    description = (i: number) => `event ${i}`,
    attributes: (i: number) => AuditEvent['attributes'] = () => ({}),
  ): Promise<AuditEvent[]> {
    return this.publisher.publishMany(
      Array.from({ length: count }, (_, i) => ({
        action: 'user.login.failed' as const,
        tenantId,
        actor: { id: `user-${i}` },
        description: description(i),
        attributes: attributes(i),
      })),
    );
  }

  /** Partitions whose committed offset moved past `from`, for the connector's group. */
  async committedPast(definition: ConnectorDefinition, from: Map<string, Map<number, string>>): Promise<number[]> {
    const [entry] = await this.admin.fetchOffsets({ groupId: `vigil-connector-${definition.name}`, topics: [TOPIC] });
    const start = from.get(TOPIC) ?? new Map<number, string>();
    return (entry?.partitions ?? [])
      .filter((p) => p.offset !== '-1' && BigInt(p.offset) > BigInt(start.get(p.partition) ?? '0'))
      .map((p) => p.partition);
  }

  /** Dead letters the connector wrote since `from`, waiting until `count` arrived. */
  deadLettersOf(definition: ConnectorDefinition, from: Map<string, Map<number, string>>, count: number): Promise<Collected[]> {
    const consumer = `vigil-connector-${definition.name}`;
    return collectFrom(this.kafka, from, (c) => c.length >= count, {
      filter: (c) => c.message.headers?.['vigil-dlq-consumer']?.toString() === consumer,
    });
  }

  dlqEndOffsets(): Promise<Map<string, Map<number, string>>> {
    return endOffsets(this.admin, [DEAD_LETTER_TOPIC]);
  }
}

/** Ids in `received` that belong to `events`, in arrival order. */
export function idsOf(received: readonly string[], events: readonly AuditEvent[]): string[] {
  const wanted = new Set(events.map((e) => e.id));
  return received.filter((id) => wanted.has(id));
}

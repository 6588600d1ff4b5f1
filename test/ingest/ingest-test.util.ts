import pg from 'pg';
import pino from 'pino';
import { EventCodec, type AuditEvent } from '@vigil/events';
import { createRawKafka, RegistryHttpClient, type RawAdmin, type RawKafka } from '@vigil/kafka';
import { ApiKeyRepository, type ApiKeyRole } from '@vigil/store';
import { AppProcess, collectFrom, requireStack, testEnv } from '@vigil/testing';

const PEPPER = 'ingest-test-pepper-0123456789abcdef';

/**
 * What the ingest gateway's end-to-end tests share: the real Kafka (to see what was published), the keys' database,
 * and a gateway process of their own on the test stack, configured per test file.
 */
export class IngestHarness {
  readonly kafka: RawKafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'ingest-e2e' }, pino({ level: testEnv.logLevel }));
  readonly admin: RawAdmin = this.kafka.admin();
  private readonly codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }), { schemaIds: 'lookup' });
  private readonly pool = new pg.Pool({ connectionString: testEnv.databaseUrl, max: 2 });
  private readonly gateways: AppProcess[] = [];

  /** The stack's addresses and the keys' pepper, as every app and `vigil` command of the tests gets them. */
  readonly env: Record<string, string> = {
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
    DATABASE_URL: testEnv.databaseUrl,
    VIGIL_API_KEY_PEPPER: PEPPER,
  };

  async open(): Promise<void> {
    await requireStack(['kafka', 'registry', 'postgres']);
    await this.admin.connect();
  }

  async close(): Promise<void> {
    await Promise.all(this.gateways.map((g) => g.stop()));
    await this.admin.disconnect();
    await this.pool.end();
  }

  /** A gateway process with these settings on top of the stack's, started (and stopped by close()). */
  async gateway(settings: Record<string, string> = {}): Promise<AppProcess> {
    const gateway = new AppProcess('ingest-gateway', { ...this.env, ...settings });
    this.gateways.push(gateway);
    return gateway.start();
  }

  /** A new API key for a tenant (a producer's, unless another role is asked for). */
  async key(tenantId: string, role: ApiKeyRole = 'producer'): Promise<string> {
    return (await new ApiKeyRepository().create(this.pool, { tenantId, role, name: 'ingest-e2e' }, PEPPER)).key;
  }

  /** The tenant's events published after `from`, decoded, once `count` of them arrived. */
  async eventsOf(tenant: string, from: Map<string, Map<number, string>>, count: number): Promise<AuditEvent[]> {
    const collected = await collectFrom(this.kafka, from, (c) => c.length >= count, {
      filter: (c) => c.message.key?.toString() === tenant,
    });
    return Promise.all(collected.map((c) => this.codec.decode(c.message.value, c.topic)));
  }
}

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OTLPLogExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OtlpProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import pg from 'pg';
import pino from 'pino';
import { allTopics, EventCodec, type AuditEvent } from '@vigil/events';
import { createRawKafka, RegistryHttpClient } from '@vigil/kafka';
import { ApiKeyRepository } from '@vigil/store';
import { AppProcess, collectFrom, endOffsets, repoRoot, requireStack, testEnv, uniqueName } from '@vigil/testing';

// OTLP/HTTP logs into the ingest gateway: Thrive's records from the seed document (test/fixtures/seeds/thrive, copied
// with the document's non-breaking-space indentation made plain spaces), and the OpenTelemetry SDK's own exporters.
const PEPPER = 'ingest-otlp-pepper-0123456789abcdef';
const logger = pino({ level: testEnv.logLevel });
const kafka = createRawKafka({ brokers: testEnv.kafkaBrokers, clientId: 'ingest-otlp-e2e' }, logger);
const admin = kafka.admin();
const codec = new EventCodec(new RegistryHttpClient({ url: testEnv.schemaRegistryUrl }), { schemaIds: 'lookup' });
const pool = new pg.Pool({ connectionString: testEnv.databaseUrl, max: 2 });
const fixture = (n: number): string =>
  readFileSync(path.join(repoRoot, 'test', 'fixtures', 'seeds', 'thrive', `example-${n}.json`), 'utf8');
const SEED_ACTIONS = [
  'user.position.created',
  'config.updated',
  'content.shared',
  'user.role.updated',
  'user.status.updated',
  'user.login.succeeded',
];

async function producerKey(tenantId: string): Promise<string> {
  return (await new ApiKeyRepository().create(pool, { tenantId, role: 'producer', name: 'otlp-e2e' }, PEPPER)).key;
}

/** Events of `tenant` published after `from`, decoded, until `count` arrived. */
async function eventsOf(tenant: string, from: Map<string, Map<number, string>>, count: number): Promise<AuditEvent[]> {
  const collected = await collectFrom(kafka, from, (c) => c.length >= count, { filter: (c) => c.message.key?.toString() === tenant });
  return Promise.all(collected.map((c) => codec.decode(c.message.value, c.topic)));
}

describe('ingest gateway: POST /v1/logs (OTLP/HTTP)', () => {
  const gateway = new AppProcess('ingest-gateway', {
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
    DATABASE_URL: testEnv.databaseUrl,
    VIGIL_API_KEY_PEPPER: PEPPER,
  });
  const post = async (key: string, body: string, type = 'application/json') => {
    const res = await fetch(`${gateway.baseUrl}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': type, authorization: `Bearer ${key}` },
      body,
    });
    return {
      status: res.status,
      body: (await res.json()) as { partialSuccess?: { rejectedLogRecords: number; errorMessage: string }; error?: { message: string } },
    };
  };

  before(async () => {
    await requireStack(['kafka', 'registry', 'postgres']);
    await admin.connect();
    await gateway.start();
  });
  after(async () => {
    await gateway.stop();
    await admin.disconnect();
    await pool.end();
  });

  it('takes every Thrive record of the seed document, each as the event it describes', async () => {
    const topics = allTopics();
    for (let n = 1; n <= 6; n++) {
      const request = JSON.parse(fixture(n)) as {
        resourceLogs: { resource: { attributes: { key: string; value: { stringValue?: string } }[] } }[];
      };
      const attributes = request.resourceLogs[0]?.resource.attributes ?? [];
      const tenant = attributes.find((a) => a.key === 'tenant.id')?.value.stringValue ?? '';
      const from = await endOffsets(admin, topics);
      const answer = await post(await producerKey(tenant), fixture(n));
      assert.deepEqual([answer.status, answer.body], [200, {}], `example ${n}`);
      const [event] = await eventsOf(tenant, from, 1);
      assert.equal(event?.action, SEED_ACTIONS[n - 1], `example ${n}`);
      assert.equal(event?.service.name, attributes.find((a) => a.key === 'service.name')?.value.stringValue);
      if (n === 1) {
        assert.deepEqual(
          [event?.actor.id, event?.actor.roles, event?.client?.ip, event?.http?.operation, event?.traceId, event?.description],
          [
            '6006b9469145130011ec8497',
            ['administrator'],
            '18.171.51.239',
            'mutation createPosition',
            '1e47addff4d86322eb51230892ffa6e3',
            'User position created',
          ],
        );
        assert.equal(event?.time, 1768244683006000);
        assert.deepEqual(
          event?.targets.map((t) => [t.type, t.id]),
          [['user', '696545caf05e6ac6bc70c098']],
        );
        assert.equal(event?.attributes['payload.user.position.isActive'], true);
      }
      if (n === 2) assert.deepEqual([event?.actor.type, event?.actor.id], ['SERVICE', 'tenant-service'], 'no user.id: the service acted');
    }
  });

  it('says where the seed document’s own text breaks JSON (its indentation is non-breaking spaces)', async () => {
    const raw = fixture(1).replace(/^( +)/gm, (spaces) => '\u00a0'.repeat(spaces.length));
    const answer = await post(await producerKey(uniqueName('t')), raw);
    assert.equal(answer.status, 400);
    assert.match(answer.body.error?.message ?? '', /line 2, column 1: invalid symbol/);
  });

  it('reports records it cannot take in OTLP’s partialSuccess, and takes the rest', async () => {
    const tenant = uniqueName('tenant');
    const record = (body: string, extra: Record<string, string> = {}) => ({
      timeUnixNano: `${Date.now()}000000`,
      body: { stringValue: body },
      attributes: Object.entries({ 'user.id': 'u1', ...extra }).map(([key, value]) => ({ key, value: { stringValue: value } })),
    });
    const request = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeLogs: [
            {
              logRecords: [
                record('User loggedin'),
                record('Something nobody catalogued'),
                record('Log off', { 'tenant.id': 'someone-else' }),
              ],
            },
          ],
        },
      ],
    };
    const topics = allTopics();
    const from = await endOffsets(admin, topics);
    const answer = await post(await producerKey(tenant), JSON.stringify(request));
    assert.equal(answer.status, 200);
    assert.equal(answer.body.partialSuccess?.rejectedLogRecords, 2);
    assert.match(answer.body.partialSuccess?.errorMessage ?? '', /record 1: body: no catalog action for "Something nobody catalogued"/);
    assert.match(answer.body.partialSuccess?.errorMessage ?? '', /record 2: tenantId: this key publishes for tenant .* only/);
    const [event] = await eventsOf(tenant, from, 1);
    assert.equal(event?.action, 'user.login.succeeded');
  });

  for (const [name, make] of [
    [
      'protobuf, gzipped (@opentelemetry/exporter-logs-otlp-proto)',
      (url: string, key: string) =>
        new OtlpProtoExporter({
          url,
          headers: { authorization: `Bearer ${key}` }, // The exporter types compression as otlp-exporter-base's enum, whose value is the string 'gzip'.
          compression: 'gzip' as never,
        }),
    ],
    [
      'JSON (@opentelemetry/exporter-logs-otlp-http)',
      (url: string, key: string) => new OtlpHttpJsonExporter({ url, headers: { authorization: `Bearer ${key}` } }),
    ],
  ] as const) {
    it(`takes what the OpenTelemetry SDK exports: ${name}`, async () => {
      const tenant = uniqueName('tenant');
      const exporter: LogRecordExporter = make(`${gateway.baseUrl}/v1/logs`, await producerKey(tenant));
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': 'billing', 'service.version': '1.2.3', 'tenant.id': tenant }),
        processors: [new SimpleLogRecordProcessor({ exporter })],
      });
      const topics = allTopics();
      const from = await endOffsets(admin, topics);
      const otel = provider.getLogger('audit');
      for (let i = 0; i < 5; i++)
        otel.emit({
          body: 'Log on',
          severityNumber: 9,
          attributes: {
            'user.id': `user-${i}`,
            'user.roles': ['member', 'billing'],
            'client.address': '198.51.100.4',
            'payload.plan': 'gold',
            'payload.seats': i,
          },
        });
      await provider.forceFlush();
      const events = await eventsOf(tenant, from, 5);
      assert.deepEqual(
        events.map((e) => e.action),
        Array(5).fill('user.login.succeeded'),
      );
      const first = events.find((e) => e.actor.id === 'user-0');
      assert.deepEqual(
        [first?.actor.roles, first?.client?.ip, first?.service.name, first?.service.version],
        [['member', 'billing'], '198.51.100.4', 'billing', '1.2.3'],
      );
      assert.deepEqual([first?.attributes['payload.plan'], first?.attributes['payload.seats']], ['gold', 0]);
      await provider.shutdown();
    });
  }
});

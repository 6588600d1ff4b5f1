import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OTLPLogExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OtlpProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { allTopics } from '@vigil/events';
import { endOffsets, repoRoot, uniqueName, type AppProcess } from '@vigil/testing';
import { IngestHarness } from './ingest-test.util';

// OTLP/HTTP logs into the ingest gateway: Thrive's records from the seed document (test/fixtures/seeds/thrive, copied
// with the document's non-breaking-space indentation made plain spaces), and the OpenTelemetry SDK's own exporters.
const harness = new IngestHarness();
const { admin } = harness;
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
const producerKey = (tenantId: string): Promise<string> => harness.key(tenantId);
const eventsOf = harness.eventsOf.bind(harness);

describe('ingest gateway: POST /v1/logs (OTLP/HTTP)', () => {
  let gateway: AppProcess;
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
    await harness.open();
    gateway = await harness.gateway();
  });
  after(() => harness.close());

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

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConnectorHealthIndicator } from '@vigil/connector';
import { DatadogConnector, datadogSpec } from '@vigil/sinks';
import { AppProcess, requireStack, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { DatadogDouble } from '../doubles/datadog.double';
import { ConnectorHarness, idsOf, logger } from './connector-test.util';

const harness = new ConnectorHarness();
const doubles: DatadogDouble[] = [];

async function aDatadog(): Promise<DatadogDouble> {
  const dd = await DatadogDouble.start();
  doubles.push(dd);
  return dd;
}

function datadogConnector(dd: DatadogDouble, settings: Record<string, unknown> = {}, overrides = {}) {
  return harness.definition(
    datadogSpec,
    { url: dd.url, allowInsecureHttp: true, apiKeyEnv: 'DD_KEY', tags: ['env:test'], ...settings },
    { DD_KEY: dd.apiKey },
    overrides,
  );
}

describe(DatadogConnector.name, () => {
  before(async () => {
    await requireStack(['kafka', 'registry']);
    await harness.open();
  });
  after(async () => {
    await harness.close();
    await Promise.all(doubles.map((d) => d.close()));
  });

  it('sends Datadog log entries with their reserved and standard attributes, gzipped, 1,000 at most per request', async () => {
    const dd = await aDatadog();
    const from = await harness.endOffsets();
    const c = datadogConnector(dd, {}, { batch: { maxEvents: 3000, maxBytes: 20_000_000, lingerMs: 500 } });
    await harness.start(c, new DatadogConnector(c, logger), from);
    const tenant = uniqueName('tenant');
    const events = await harness.publish(tenant, 2500);
    await waitFor(
      () => idsOf(dd.eventIds(), events).length,
      (n) => n >= events.length,
      'every event at Datadog',
      60_000,
    );
    assert.deepEqual(
      idsOf(dd.eventIds(), events),
      events.map((e) => e.id),
      'each once, in order',
    );
    assert.ok(dd.largestRequestEntries <= 1000, `a request held ${dd.largestRequestEntries} entries`);
    const entry = dd.entries().find((e) => e.evt?.id === events[0]?.id);
    assert.equal(entry?.ddsource, 'vigil');
    assert.equal(entry?.ddtags, `tenant:${tenant},category:authentication,action:user.login.failed,outcome:failure,env:test`);
    assert.equal(entry?.message, 'event 0');
    assert.equal(entry?.status, 'warning');
    assert.equal(entry?.service, 'connector-int-spec');
    assert.deepEqual(entry?.['usr'], { id: 'user-0', name: null });
    assert.equal(entry?.vigil?.tenantId, tenant, 'the whole event is an attribute');
    assert.equal(dd.oversizeEntries, 0);
    assert.equal(dd.lastEncoding, 'gzip');
  });

  it('rides out 503s and a 429 with Retry-After: everything arrives, in order', async () => {
    const dd = await aDatadog();
    const from = await harness.endOffsets();
    const c = datadogConnector(dd);
    await harness.start(c, new DatadogConnector(c, logger), from);
    dd.failNext(4, 503);
    dd.failNext(1, 429, 1);
    const events = await harness.publish(uniqueName('tenant'), 50);
    await waitFor(
      () => idsOf(dd.eventIds(), events).length,
      (n) => n >= events.length,
      'every event after the outage',
      60_000,
    );
    assert.deepEqual(
      idsOf(dd.eventIds(), events),
      events.map((e) => e.id),
    );
    assert.ok((harness.status.get(c.name)?.retries ?? 0) >= 5);
  });

  it('goes failing on 403 (a rotated key), commits nothing, and delivers everything once the key is right again', async () => {
    const dd = await aDatadog();
    const from = await harness.endOffsets();
    const key = dd.apiKey;
    const c = datadogConnector(dd);
    await harness.start(c, new DatadogConnector(c, logger), from);
    dd.setApiKey('rotated');
    const events = await harness.publish(uniqueName('tenant'), 20);
    await waitFor(
      () => harness.status.get(c.name)?.state,
      (s) => s === 'failing',
      'the connector to be failing',
    );
    const health = await new ConnectorHealthIndicator(harness.status).check();
    assert.match(String(health[`connector:${c.name}`]?.['reason']), /HTTP 403: .*API key is invalid/);
    assert.deepEqual(await harness.committedPast(c, from), [], 'nothing committed while failing');
    dd.setApiKey(key);
    await waitFor(
      () => idsOf(dd.eventIds(), events).length,
      (n) => n >= events.length,
      'every event after the fix',
      30_000,
    );
  });

  it('dead-letters the entry Datadog refuses (400) after splitting the batch, and delivers the rest', async () => {
    const dd = await aDatadog();
    const from = await harness.endOffsets();
    const dlqFrom = await harness.dlqEndOffsets();
    const c = datadogConnector(dd);
    await harness.start(c, new DatadogConnector(c, logger), from);
    const events = await harness.publish(uniqueName('tenant'), 40, (i) => (i === 11 ? 'reject-me' : `event ${i}`));
    const poison = events[11];
    const rest = events.filter((e) => e !== poison);
    await waitFor(
      () => idsOf(dd.eventIds(), rest).length,
      (n) => n >= rest.length,
      'the rest to arrive',
      30_000,
    );
    assert.deepEqual(
      idsOf(dd.eventIds(), events),
      rest.map((e) => e.id),
    );
    const [letter] = await harness.deadLettersOf(c, dlqFrom, 1);
    assert.equal(letter?.message.headers?.['vigil-dlq-reason']?.toString(), 'rejected-by-siem');
    assert.match(letter?.message.headers?.['vigil-dlq-detail']?.toString() ?? '', /HTTP 400: .*malformed entry/);
    assert.equal(letter?.message.headers?.['vigil-dlq-event-id']?.toString(), poison?.id);
  });

  it('the connector-datadog app survives kill -9 mid-batch: every event arrives at least once', async () => {
    const dd = await aDatadog();
    const name = uniqueName('app-datadog');
    const configPath = join(mkdtempSync(join(tmpdir(), 'vigil-connector-')), 'vigil.config.yaml');
    writeFileSync(
      configPath,
      `connectors:
  - name: ${name}
    type: datadog
    tenants: all
    categories: [authentication]
    startFrom: latest
    batch: { maxEvents: 10, lingerMs: 5 }
    retry: { initialBackoffMs: 100, maxBackoffMs: 1000 }
    datadog: { url: '${dd.url}', allowInsecureHttp: true, apiKeyEnv: IT_DD_KEY }
`,
    );
    const env = {
      VIGIL_CONFIG: configPath,
      IT_DD_KEY: dd.apiKey,
      KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
    };
    let app = await new AppProcess('connector-datadog', env).start();
    const tenant = uniqueName('tenant');
    await waitFor(
      async () => {
        await harness.publish(tenant, 1, () => 'warm-up');
        return dd.entries().some((e) => e.vigil?.tenantId === tenant);
      },
      (arrived) => arrived,
      'the app to join and deliver',
      60_000,
    );
    dd.setLatency(100); // 30 requests of 10: the kill lands mid-stream
    const events = await harness.publish(tenant, 300);
    await waitFor(
      () => idsOf(dd.eventIds(), events).length,
      (n) => n >= 20,
      'deliveries under way',
      30_000,
    );
    await app.kill();
    assert.ok(idsOf(dd.eventIds(), events).length < events.length, 'killed mid-stream');
    app = await new AppProcess('connector-datadog', env).start();
    try {
      await waitFor(
        () => new Set(idsOf(dd.eventIds(), events)).size,
        (n) => n === events.length,
        'every event after the restart',
        60_000,
      );
    } finally {
      await app.stop();
    }
  });
});

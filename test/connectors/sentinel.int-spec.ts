import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SentinelConnector, sentinelSpec } from '@vigil/sinks';
import { AppProcess, requireStack, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { SentinelDouble } from '../doubles/sentinel.double';
import { ConnectorHarness, idsOf, logger } from './connector-test.util';

const harness = new ConnectorHarness();
const doubles: SentinelDouble[] = [];

async function anAzure(): Promise<SentinelDouble> {
  const azure = await SentinelDouble.start();
  doubles.push(azure);
  return azure;
}

function sentinelConnector(azure: SentinelDouble, secret = azure.clientSecret, overrides = {}) {
  return harness.definition(
    sentinelSpec,
    {
      endpoint: azure.url,
      authorityHost: azure.url,
      dcrImmutableId: azure.dcrImmutableId,
      tenantId: azure.tenantId,
      clientId: azure.clientId,
      clientSecretEnv: 'AZ_SECRET',
      allowInsecureHttp: true,
    },
    { AZ_SECRET: secret },
    overrides,
  );
}

describe(SentinelConnector.name, () => {
  before(async () => {
    await requireStack(['kafka', 'registry']);
    await harness.open();
  });
  after(async () => {
    await harness.close();
    await Promise.all(doubles.map((d) => d.close()));
  });

  it('sends ASIM audit rows with one cached token, in calls of at most 1 MB', async () => {
    const azure = await anAzure();
    const from = await harness.endOffsets();
    const c = sentinelConnector(azure, azure.clientSecret, { batch: { maxEvents: 5000, maxBytes: 20_000_000, lingerMs: 300 } });
    await harness.start(c, new SentinelConnector(c, logger), from);
    const tenant = uniqueName('tenant');
    const events = await harness.publish(tenant, 1500, (i) => `event ${i} ${'x'.repeat(900)}`);
    await waitFor(
      () => idsOf(azure.eventIds(), events).length,
      (n) => n >= events.length,
      'every row in the workspace',
      60_000,
    );
    assert.deepEqual(
      idsOf(azure.eventIds(), events),
      events.map((e) => e.id),
    );
    assert.ok(azure.largestCallBytes <= 1_000_000, `a call of ${azure.largestCallBytes} bytes`);
    assert.ok(azure.ingestionCalls >= 2, 'the batch was cut into several calls');
    assert.equal(azure.tokenRequests, 1, 'one token for every call');
    const row = azure.received().find((r) => r.VigilEventId === events[0]?.id);
    assert.equal(row?.EventType, 'Other');
    assert.equal(row?.EventResult, 'Failure');
    assert.equal(row?.Operation, 'user.login.failed');
    assert.equal(row?.ActorUserId, 'user-0');
    assert.equal(row?.EventProduct, 'Vigil');
    assert.equal(row?.EventSchema, 'AuditEvent');
    assert.equal(row?.VigilTenantId, tenant);
  });

  it('fetches a new token after a 401 and loses nothing; rides out a 429 and 503s', async () => {
    const azure = await anAzure();
    const from = await harness.endOffsets();
    const c = sentinelConnector(azure);
    await harness.start(c, new SentinelConnector(c, logger), from);
    const first = await harness.publish(uniqueName('tenant'), 10);
    await waitFor(
      () => idsOf(azure.eventIds(), first).length,
      (n) => n >= first.length,
      'the first rows',
      30_000,
    );
    azure.revokeTokens();
    azure.failNext(1, 429, 1);
    azure.failNext(2, 503);
    const second = await harness.publish(uniqueName('tenant'), 30);
    await waitFor(
      () => idsOf(azure.eventIds(), second).length,
      (n) => n >= second.length,
      'the rows after the revocation',
      60_000,
    );
    assert.equal(azure.tokenRequests, 2, 'one refresh after the 401');
  });

  it('goes failing on a wrong client secret with Entra ID’s reason, and delivers once the secret is right', async () => {
    const azure = await anAzure();
    const from = await harness.endOffsets();
    const right = azure.clientSecret;
    azure.clientSecret = 'rotated-in-entra';
    const c = sentinelConnector(azure, right);
    await harness.start(c, new SentinelConnector(c, logger), from);
    const events = await harness.publish(uniqueName('tenant'), 15);
    await waitFor(
      () => harness.status.get(c.name)?.state,
      (s) => s === 'failing',
      'the connector to be failing',
    );
    assert.match(harness.status.get(c.name)?.reason ?? '', /Entra ID token request: HTTP 401: .*AADSTS7000215/);
    assert.doesNotMatch(harness.status.get(c.name)?.reason ?? '', new RegExp(right));
    assert.deepEqual(await harness.committedPast(c, from), [], 'nothing committed while failing');
    azure.clientSecret = right;
    await waitFor(
      () => idsOf(azure.eventIds(), events).length,
      (n) => n >= events.length,
      'every row after the fix',
      30_000,
    );
  });

  it('the connector-sentinel app survives kill -9 mid-batch: every event arrives at least once, with a fresh token', async () => {
    const azure = await anAzure();
    const name = uniqueName('app-sentinel');
    const configPath = join(mkdtempSync(join(tmpdir(), 'vigil-connector-')), 'vigil.config.yaml');
    writeFileSync(
      configPath,
      `connectors:
  - name: ${name}
    type: sentinel
    tenants: all
    categories: [authentication]
    startFrom: latest
    batch: { maxEvents: 10, lingerMs: 5 }
    retry: { initialBackoffMs: 100, maxBackoffMs: 1000 }
    sentinel:
      endpoint: '${azure.url}'
      authorityHost: '${azure.url}'
      dcrImmutableId: ${azure.dcrImmutableId}
      tenantId: ${azure.tenantId}
      clientId: ${azure.clientId}
      clientSecretEnv: IT_AZ_SECRET
      allowInsecureHttp: true
`,
    );
    const env = {
      VIGIL_CONFIG: configPath,
      IT_AZ_SECRET: azure.clientSecret,
      KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
    };
    let app = await new AppProcess('connector-sentinel', env).start();
    const tenant = uniqueName('tenant');
    await waitFor(
      async () => {
        await harness.publish(tenant, 1, () => 'warm-up');
        return azure.received().some((r) => r.VigilTenantId === tenant);
      },
      (arrived) => arrived,
      'the app to join and deliver',
      60_000,
    );
    azure.setLatency(100); // 30 calls of 10: the kill lands mid-stream
    const events = await harness.publish(tenant, 300);
    await waitFor(
      () => idsOf(azure.eventIds(), events).length,
      (n) => n >= 20,
      'deliveries under way',
      30_000,
    );
    await app.kill();
    assert.ok(idsOf(azure.eventIds(), events).length < events.length, 'killed mid-stream');
    const tokensBefore = azure.tokenRequests;
    app = await new AppProcess('connector-sentinel', env).start();
    try {
      await waitFor(
        () => new Set(idsOf(azure.eventIds(), events)).size,
        (n) => n === events.length,
        'every event after the restart',
        60_000,
      );
    } finally {
      await app.stop();
    }
    assert.equal(azure.tokenRequests, tokensBefore + 1, 'the restarted app fetched one token and cached it');
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConnectorDefinition } from '@vigil/connector';
import { WebhookConnector, webhookSpec } from '@vigil/sinks';
import { requireStack, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { WebhookDouble } from '../doubles/webhook.double';
import { ok, runCli } from '../replay/replay-test.util';
import { ConnectorHarness, idsOf, logger } from './connector-test.util';

const harness = new ConnectorHarness();
const doubles: WebhookDouble[] = [];
const SECRET_ENV = 'START_IT_HOOK_SECRET';

/** The connectors file an operator would have for this connector, for `vigil connectors status`. */
function connectorsFile(c: ConnectorDefinition, hook: WebhookDouble): string {
  const path = join(mkdtempSync(join(tmpdir(), 'vigil-start-')), 'vigil.config.yaml');
  writeFileSync(
    path,
    `connectors:
  - name: ${c.name}
    type: http
    tenants: all
    categories: [authentication]
    startFrom: latest
    http: { url: '${hook.url}', allowInsecureHttp: true, signingSecretEnv: ${SECRET_ENV} }
`,
  );
  return path;
}

async function statusLag(configPath: string, hook: WebhookDouble, name: string): Promise<number> {
  const run = ok(
    await runCli(['connectors', 'status', name, '--json'], {
      VIGIL_CONFIG: configPath,
      KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
      [SECRET_ENV]: hook.secret,
      LOG_LEVEL: 'warn',
    }),
  );
  const [report] = JSON.parse(run.stdout) as { lag: number }[];
  assert.ok(report !== undefined, `status reported ${name}`);
  return report.lag;
}

describe('connector start position (startFrom: latest)', () => {
  before(async () => {
    await requireStack(['kafka', 'registry']);
    await harness.open();
  });
  after(async () => {
    await harness.close();
    await Promise.all(doubles.map((d) => d.close()));
  });

  it('applies latest once: events published while the app is stopped, on any partition, are counted as lag and delivered after the restart', async () => {
    const hook = await WebhookDouble.start();
    doubles.push(hook);
    const c = harness.definition(
      webhookSpec,
      { url: hook.url, allowInsecureHttp: true, signingSecretEnv: 'HOOK_SECRET' },
      { HOOK_SECRET: hook.secret },
      { startFrom: 'latest' },
    );
    const before = await harness.publish(uniqueName('tenant-before'), 3);

    // First start, then traffic of one tenant only: one partition sees deliveries (and commits), the others none.
    const first = await harness.start(c, new WebhookConnector(c, logger));
    const live = await harness.publish(uniqueName('tenant-live'), 2);
    await waitFor(
      () => idsOf(hook.eventIds(), live).length,
      (n) => n === live.length,
      'the live events at the webhook',
    );
    await harness.stop(first);

    // While the app is stopped: one event for each of 12 tenants, so every partition of the topic gets some.
    const whileStopped = (await Promise.all(Array.from({ length: 12 }, () => harness.publish(uniqueName('tenant-stopped'), 1)))).flat();
    const config = connectorsFile(c, hook);
    assert.ok((await statusLag(config, hook, c.name)) >= whileStopped.length, 'status counts the events published while stopped');

    await harness.start(c, new WebhookConnector(c, logger));
    await waitFor(
      () => idsOf(hook.eventIds(), whileStopped).length,
      (n) => n === whileStopped.length,
      'every event published while stopped at the webhook',
    );
    assert.deepEqual(idsOf(hook.eventIds(), before), [], 'latest applied at the first start: older events were not sent');
    await waitFor(
      () => statusLag(config, hook, c.name),
      (lag) => lag === 0,
      'no lag once caught up',
    );
  });
});

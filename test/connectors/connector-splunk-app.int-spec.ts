import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inheritedEnvironment } from '@vigil/config';
import { requireStack, testEnv, uniqueName, waitFor } from '@vigil/testing';
import { SplunkHecDouble } from '../doubles/splunk-hec.double';
import { ConnectorHarness, idsOf } from './connector-test.util';

const MAIN = join(__dirname, '../../apps/connector-splunk/src/main.js');
const harness = new ConnectorHarness();
let hec: SplunkHecDouble;
const children = new Set<ChildProcess>();

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** Runs the real app (compiled main.js) with a connectors file, as an operator would. */
function startApp(configPath: string, port: number): ChildProcess {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...inheritedEnvironment(),
      VIGIL_CONFIG: configPath,
      PORT: String(port),
      KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
      LOG_LEVEL: 'warn',
      IT_HEC_TOKEN: 'app-token',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  children.delete(child);
}

describe('connector-splunk app', () => {
  before(async () => {
    await requireStack(['kafka', 'registry']);
    await harness.open();
    hec = await SplunkHecDouble.start({ token: 'app-token' });
  });
  after(async () => {
    for (const child of children) await kill(child);
    await harness.close();
    await hec.close();
  });

  it('survives kill -9 mid-batch: every event arrives, duplicates only from the unacknowledged batch; /health and /metrics report it', async () => {
    const name = uniqueName('app-splunk');
    const dir = mkdtempSync(join(tmpdir(), 'vigil-connector-'));
    const configPath = join(dir, 'vigil.config.yaml');
    writeFileSync(
      configPath,
      `connectors:
  - name: ${name}
    type: splunk
    tenants: all
    categories: [authentication]
    startFrom: latest
    batch: { maxEvents: 10, lingerMs: 5 }
    retry: { initialBackoffMs: 100, maxBackoffMs: 1000 }
    splunk: { url: '${hec.url}', allowInsecureHttp: true, tokenEnv: IT_HEC_TOKEN }
  - name: ${name}-other-type
    type: http
    tenants: all
    http: { url: 'http://127.0.0.1:1', allowInsecureHttp: true }
`,
    );
    const port = await freePort();
    let app = startApp(configPath, port);
    const tenant = uniqueName('tenant');
    // The group starts at the end of the topic once it joined: publish until one of these arrives.
    await waitFor(
      async () => {
        await harness.publish(tenant, 1, () => 'warm-up');
        return hec.events().some((e) => e.fields?.['tenant_id'] === tenant);
      },
      (arrived) => arrived,
      'the app to join and deliver',
      60_000,
    );
    hec.setLatency(150);
    const events = await harness.publish(tenant, 300);
    await waitFor(
      () => idsOf(hec.eventIds(), events).length,
      (n) => n >= 30,
      'part of the stream to arrive',
    );
    await kill(app);
    const sentBeforeKill = idsOf(hec.eventIds(), events).length;
    assert.ok(sentBeforeKill < events.length, 'killed mid-stream');
    hec.setLatency(0);
    app = startApp(configPath, port);
    await waitFor(
      () => new Set(idsOf(hec.eventIds(), events)).size,
      (n) => n === events.length,
      'every event after the restart',
      60_000,
    );
    const received = idsOf(hec.eventIds(), events);
    assert.ok(received.length - events.length <= sentBeforeKill, `duplicates ${received.length - events.length} <= ${sentBeforeKill}`);

    const health = await waitFor(
      () =>
        fetch(`http://127.0.0.1:${port}/health`).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as Record<string, unknown>,
        })),
      (h) => h.status === 200,
      'the app to be ready',
    );
    const details = health.body['details'] as Record<string, { status: string; state: string }>;
    assert.equal(details[`connector:${name}`]?.state, 'running');
    assert.equal(details[`connector:${name}-other-type`], undefined, 'the app runs only its own type');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, new RegExp(`vigil_connector_events_sent_total\\{connector="${name}"\\} \\d+`));
    assert.match(metrics, new RegExp(`vigil_connector_state\\{connector="${name}",state="running"\\} 1`));
  });
});

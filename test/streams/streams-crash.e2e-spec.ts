import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueName, waitFor, type AppProcess } from '@vigil/testing';
import type { AuditEvent } from '@vigil/events';
import { WebhookDouble } from '../doubles/webhook.double';
import { QueryTestStore, type QueryApiHarness } from '../query-api/query-api-test.util';
import {
  CREATE_STREAM,
  interleaved,
  PartitionWriter,
  queryApi,
  streamsApp,
  waitForState,
  webhookStreamInput,
  type StreamData,
} from './streams-test.util';

const TENANTS = 25;
const STREAMS_PER_TENANT = 2;
const EVENTS_PER_ROUND = 20;
const PARTITIONS = 6;

describe('streams app killed with SIGKILL during delivery to 50 streams', { timeout: 300_000 }, () => {
  const store = new QueryTestStore();
  const writer = new PartitionWriter();
  const group = uniqueName('streams-crash');
  const tenants = Array.from({ length: TENANTS }, () => uniqueName('t'));
  const streams: { tenant: string; id: string; siem: WebhookDouble }[] = [];
  const published: AuditEvent[] = [];
  let api: QueryApiHarness;
  let app: AppProcess;

  async function publish(rounds: number): Promise<void> {
    for (let r = 0; r < rounds; r++) {
      const events = interleaved(tenants, EVENTS_PER_ROUND);
      // Spread over the topic's partitions, tenants interleaved on each.
      for (let p = 0; p < PARTITIONS; p++)
        await writer.write(
          events.filter((_, i) => i % PARTITIONS === p),
          p,
        );
      published.push(...events);
    }
  }

  function missing(): number {
    let gaps = 0;
    for (const { tenant, siem } of streams) {
      const got = new Set(siem.eventIds());
      gaps += published.filter((e) => e.tenantId === tenant && !got.has(e.id)).length;
    }
    return gaps;
  }

  before(async () => {
    await store.create();
    const key = await store.apiKey('platform', 'platform-admin');
    api = await queryApi(store).start();
    app = await streamsApp(store, group).start();
    for (const tenant of tenants)
      for (let s = 0; s < STREAMS_PER_TENANT; s++) {
        const siem = await WebhookDouble.start();
        siem.setLatency(15);
        const result = await api.gql<{ createStream: StreamData }>(
          CREATE_STREAM,
          { input: { ...webhookStreamInput(siem.url, siem.secret), tenantId: tenant } },
          key,
        );
        assert.equal(result.errors, undefined, JSON.stringify(result.errors));
        streams.push({ tenant, id: (result.data as { createStream: StreamData }).createStream.id, siem });
      }
    const last = streams[streams.length - 1];
    if (last !== undefined) await waitForState(api, key, last.id, 'active');
  });

  after(async () => {
    await app?.stop();
    await api?.stop();
    await Promise.all(streams.map((s) => s.siem.close()));
    await writer.close();
    await store.drop();
  });

  it('ends with every stream holding every event of its tenant at least once, and none of another tenant', async () => {
    // Five SIEMs are down before the crash: their streams hold checkpoints in PostgreSQL when the app dies.
    for (const { siem } of streams.slice(0, 5)) siem.failNext(1_000_000, 503);
    await publish(2);
    const total = published.length * STREAMS_PER_TENANT;
    await waitFor(
      () => streams.reduce((n, s) => n + s.siem.eventIds().length, 0),
      (n) => n >= total * 0.3,
      'deliveries under way',
      60_000,
    );
    await app.kill();
    const delivered = streams.reduce((n, s) => n + s.siem.eventIds().length, 0);
    assert.ok(delivered < total, `the kill came too late to test anything (${delivered} of ${total} delivered)`);
    await publish(2); // while the app is down
    for (const { siem } of streams.slice(0, 5)) siem.clearFailures();
    app = await streamsApp(store, group).start();
    await waitFor(
      () => missing(),
      (n) => n === 0,
      'every stream to hold every event of its tenant',
      180_000,
    );
    for (const { tenant, siem } of streams)
      assert.ok(
        siem.events().every((e) => e['tenantId'] === tenant),
        `another tenant's event reached ${tenant}`,
      );
  });
});

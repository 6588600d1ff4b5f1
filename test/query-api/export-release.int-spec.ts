import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { requireStack, waitFor } from '@vigil/testing';
import { EVENTS_QUERY, eventsOf, minutesAgo, QueryApiHarness, QueryTestStore, type EventsData } from './query-api-test.util';

/** Sends an export request on a raw socket and destroys it at once, or when the first byte of the answer arrives. */
function abandonedExport(baseUrl: string, path: string, key: string, atFirstByte: boolean): Promise<void> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${key}\r\n\r\n`);
      if (!atFirstByte) socket.destroy();
    });
    socket.once('data', () => socket.destroy());
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
  });
}

describe('query-api export release', () => {
  const store = new QueryTestStore();
  const applicationName = `vigil-qa-${randomUUID().slice(0, 8)}`;
  let api: QueryApiHarness;
  let key: string;

  before(async () => {
    await requireStack(['postgres']);
    await store.create();
    // Room for all 20 exports at once (the defaults cap one key at 3 and the instance at 2), so each really runs.
    api = await new QueryApiHarness({
      DATABASE_URL: store.databaseUrl(),
      QUERY_API_DB_APPLICATION_NAME: applicationName,
      DATABASE_POOL_SIZE: '25',
      QUERY_API_MAX_EXPORTS: '20',
      QUERY_API_KEY_CONCURRENCY: '20',
    }).start();
    key = await store.apiKey('tenant-a');
    await store.insert(eventsOf('tenant-a', 3000));
  });

  after(async () => {
    await api?.stop();
    await store.drop();
  });

  const sessions = async (state: string): Promise<number> =>
    (
      await store.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state = $2', [
        applicationName,
        state,
      ])
    ).rows[0]?.n ?? -1;

  it('20 exports abandoned before or at the first byte leave no session idle in a transaction, and the pool still serves', async () => {
    const path = `/v1/events/export?format=ndjson&from=${encodeURIComponent(minutesAgo(120))}`;
    await Promise.all(Array.from({ length: 20 }, (_, i) => abandonedExport(api.baseUrl, path, key, i % 2 === 1)));
    // The pool names its sessions: without that, this test could not see them at all.
    await waitFor(
      () => sessions('idle'),
      (n) => n > 0,
      'the query API sessions under its application_name',
      5000,
    );
    await waitFor(
      () => sessions('idle in transaction'),
      (n) => n === 0,
      'no query API session idle in a transaction',
      5000,
    );
    const page = await api.gql<EventsData>(EVENTS_QUERY, { filter: { from: minutesAgo(120) }, first: 5 }, key);
    assert.equal(page.errors, undefined);
    assert.equal(page.data?.events.edges.length, 5);
  });
});

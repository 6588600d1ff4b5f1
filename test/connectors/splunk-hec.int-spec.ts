import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConnectorHealthIndicator } from '@vigil/connector';
import { SplunkHecConnector, splunkHecSpec } from '@vigil/sinks';
import { requireStack, uniqueName, waitFor } from '@vigil/testing';
import { SplunkHecDouble } from '../doubles/splunk-hec.double';
import { ConnectorHarness, idsOf, logger } from './connector-test.util';

const harness = new ConnectorHarness();
const doubles: SplunkHecDouble[] = [];

async function aHec(options: Parameters<typeof SplunkHecDouble.start>[0] = {}): Promise<SplunkHecDouble> {
  const double = await SplunkHecDouble.start({ token: 'right-token', ...options });
  doubles.push(double);
  return double;
}

function splunkConnector(double: SplunkHecDouble, settings: Record<string, unknown> = {}, overrides = {}) {
  return harness.definition(
    splunkHecSpec,
    { url: double.url, allowInsecureHttp: true, tokenEnv: 'HEC_TOKEN', ...settings },
    { HEC_TOKEN: 'right-token' },
    overrides,
  );
}

describe(SplunkHecConnector.name, () => {
  before(async () => {
    await requireStack(['kafka', 'registry']);
    await harness.open();
  });
  after(async () => {
    await harness.close();
    await Promise.all(doubles.map((d) => d.close()));
  });

  it('delivers exactly the published events to each of two Splunk connectors (one splitting batches its HEC finds too large)', async () => {
    const [eu, us] = [await aHec(), await aHec({ maxContentLength: 20_000 })];
    const from = await harness.endOffsets();
    const extraFields = { paths: ['actor.id', 'description'], prefix: 'claims' };
    const [a, b] = [splunkConnector(eu, { index: 'audit', gzip: true }, { extraFields }), splunkConnector(us)];
    await harness.start(a, new SplunkHecConnector(a, logger), from);
    await harness.start(b, new SplunkHecConnector(b, logger), from);
    const events = await harness.publish(uniqueName('tenant'), 120);
    for (const double of [eu, us]) {
      await waitFor(
        () => idsOf(double.eventIds(), events).length,
        (n) => n >= events.length,
        'every event at the HEC',
      );
      assert.deepEqual(
        idsOf(double.eventIds(), events),
        events.map((e) => e.id),
        'each event once, in order',
      );
    }
    const first = eu.events().find((e) => (e.event as { id: string }).id === events[0]?.id);
    assert.equal(first?.index, 'audit');
    assert.equal(first?.sourcetype, '_json');
    assert.deepEqual((first?.event as { claims?: unknown }).claims, { 'actor.id': 'user-0', description: 'event 0' }, 'extraFields');
    const plain = us.events().find((e) => (e.event as { id: string }).id === events[0]?.id);
    assert.equal((plain?.event as { claims?: unknown }).claims, undefined, 'no extraFields, no claims');
    assert.ok(typeof first?.time === 'number' && Math.abs(first.time - Date.now() / 1000) < 600, 'time in epoch seconds');
    await waitFor(
      () => harness.status.get(a.name)?.eventsSent ?? 0,
      (n) => n >= events.length,
      'the status to count the events',
    );
  });

  it('rides out an outage of 503s and busy answers: everything arrives, in order, none lost', async () => {
    const hec = await aHec();
    const from = await harness.endOffsets();
    const c = splunkConnector(hec, {}, { batch: { maxEvents: 20, maxBytes: 900_000, lingerMs: 10 } });
    await harness.start(c, new SplunkHecConnector(c, logger), from);
    hec.failNext(3, 503);
    hec.failNext(3, 'busy');
    hec.failNext(1, 'reset');
    const events = await harness.publish(uniqueName('tenant'), 100);
    await waitFor(
      () => harness.status.get(c.name)?.state,
      (s) => s === 'backing_off',
      'the connector to back off',
    );
    await waitFor(
      () => idsOf(hec.eventIds(), events).length,
      (n) => n >= events.length,
      'every event after the outage',
      30_000,
    );
    assert.deepEqual(
      idsOf(hec.eventIds(), events),
      events.map((e) => e.id),
    );
    const status = harness.status.get(c.name);
    assert.equal(status?.state, 'running');
    assert.ok((status?.retries ?? 0) >= 7, `retries: ${status?.retries}`);
  });

  it('keeps every partition in order through an outage while two requests, of two lanes of partitions, are in flight', async () => {
    const hec = await aHec();
    // Long enough that the other lane's request arrives while one is held, even on a loaded CI machine: at 30 ms the
    // two lanes' requests missed each other in one CI run of three.
    hec.setLatency(150);
    const from = await harness.endOffsets();
    const c = splunkConnector(hec, {}, { batch: { maxEvents: 15, maxBytes: 900_000, lingerMs: 10, maxInFlight: 2 } });
    await harness.start(c, new SplunkHecConnector(c, logger), from);
    hec.failNext(4, 503);
    hec.failNext(2, 'busy');
    // Eight tenants spread over the topic's partitions, so both lanes carry some.
    const tenants = await Promise.all(Array.from({ length: 8 }, () => harness.publish(uniqueName('tenant'), 40)));
    const all = tenants.flat();
    await waitFor(
      () => idsOf(hec.eventIds(), all).length,
      (n) => n >= all.length,
      'every event after the outage',
      30_000,
    );
    for (const events of tenants)
      assert.deepEqual(
        idsOf(hec.eventIds(), events),
        events.map((e) => e.id),
        'each tenant (one partition) in order, once',
      );
    assert.ok(hec.maxConcurrentRequests() >= 2, `requests in flight at once: ${hec.maxConcurrentRequests()}`);
  });

  it('goes unhealthy on a wrong token, commits nothing, and delivers everything once the token is fixed', async () => {
    const hec = await aHec();
    const from = await harness.endOffsets();
    const c = splunkConnector(hec);
    await harness.start(c, new SplunkHecConnector(c, logger), from);
    hec.setToken('rotated-token');
    const events = await harness.publish(uniqueName('tenant'), 30);
    await waitFor(
      () => harness.status.get(c.name)?.state,
      (s) => s === 'failing',
      'the connector to be failing',
    );
    const health = await new ConnectorHealthIndicator(harness.status).check();
    const entry = health[`connector:${c.name}`];
    assert.equal(entry?.status, 'down');
    assert.match(String(entry?.['reason']), /HEC 403 code 4: Invalid token/);
    assert.deepEqual(await harness.committedPast(c, from), [], 'nothing committed while failing');
    hec.setToken('right-token');
    await waitFor(
      () => idsOf(hec.eventIds(), events).length,
      (n) => n >= events.length,
      'every event after the fix',
    );
    assert.deepEqual(
      idsOf(hec.eventIds(), events),
      events.map((e) => e.id),
    );
    await waitFor(
      () => harness.status.get(c.name)?.state,
      (s) => s === 'running',
      'the connector to run again',
    );
  });

  it('dead-letters a poisoned event with the reason, and delivers the rest', async () => {
    const hec = await aHec();
    const from = await harness.endOffsets();
    const dlqFrom = await harness.dlqEndOffsets();
    const c = splunkConnector(hec);
    await harness.start(c, new SplunkHecConnector(c, logger), from);
    hec.rejectEvents((e) => (e.event as { description?: string }).description === 'poison');
    const events = await harness.publish(uniqueName('tenant'), 40, (i) => (i === 17 ? 'poison' : `event ${i}`));
    const poison = events[17];
    const rest = events.filter((e) => e !== poison);
    await waitFor(
      () => idsOf(hec.eventIds(), rest).length,
      (n) => n >= rest.length,
      'the rest to arrive',
    );
    assert.deepEqual(
      idsOf(hec.eventIds(), events),
      rest.map((e) => e.id),
      'each good event once, the poisoned one never',
    );
    const [letter] = await harness.deadLettersOf(c, dlqFrom, 1);
    const headers = letter?.message.headers ?? {};
    assert.equal(headers['vigil-dlq-reason']?.toString(), 'rejected-by-siem');
    assert.match(headers['vigil-dlq-detail']?.toString() ?? '', /code 6: Invalid data format/);
    assert.equal(headers['vigil-dlq-event-id']?.toString(), poison?.id);
    assert.equal(headers['vigil-dlq-origin-topic']?.toString(), 'audit.authentication');
    assert.ok(headers['vigil-dlq-origin-offset'] !== undefined);
    assert.equal(harness.status.get(c.name)?.deadLettered, 1);
  });

  it('reads on after backing off on a batch whose every event the SIEM then refuses (all dead-lettered, no success)', async () => {
    const hec = await aHec();
    const from = await harness.endOffsets();
    const c = splunkConnector(hec);
    await harness.start(c, new SplunkHecConnector(c, logger), from);
    hec.failNext(1, 503);
    hec.rejectEvents((e) => (e.event as { description?: string }).description === 'poison');
    const tenant = uniqueName('tenant');
    await harness.publish(tenant, 3, () => 'poison');
    await waitFor(
      () => harness.status.get(c.name)?.deadLettered ?? 0,
      (n) => n >= 3,
      'the refused events to be dead-lettered',
    );
    // Backing off paused the consumer; with no success to resume it, nothing published later would be read.
    const later = await harness.publish(tenant, 5);
    await waitFor(
      () => idsOf(hec.eventIds(), later).length,
      (n) => n >= later.length,
      'the events published after the refused ones',
    );
    assert.equal(harness.status.get(c.name)?.state, 'running');
  });

  it('delivers every event at least once across a stop mid-stream and a restart; duplicates only from the uncommitted batch', async () => {
    const hec = await aHec();
    const from = await harness.endOffsets();
    const c = splunkConnector(hec, {}, { batch: { maxEvents: 10, maxBytes: 900_000, lingerMs: 5 } });
    const first = await harness.start(c, new SplunkHecConnector(c, logger), from);
    const tenant = uniqueName('tenant');
    const committed = await harness.publish(tenant, 20);
    await waitFor(
      () => harness.committedPast(c, from),
      (p) => p.length > 0,
      'the first events to be committed',
    );
    hec.setLatency(150);
    const inFlight = await harness.publish(tenant, 200);
    await waitFor(
      () => idsOf(hec.eventIds(), inFlight).length,
      (n) => n >= 30,
      'some of the second wave to arrive',
    );
    await harness.stop(first);
    const sentBeforeStop = idsOf(hec.eventIds(), inFlight).length;
    assert.ok(sentBeforeStop < inFlight.length, 'stopped mid-stream');
    hec.setLatency(0);
    await harness.start(c, new SplunkHecConnector(c, logger));
    const events = [...committed, ...inFlight];
    await waitFor(
      () => new Set(idsOf(hec.eventIds(), events)).size,
      (n) => n === events.length,
      'every event after the restart',
      30_000,
    );
    const received = idsOf(hec.eventIds(), events);
    assert.deepEqual(
      idsOf(received, committed),
      committed.map((e) => e.id),
      'committed events are not sent again',
    );
    // A partition batch is committed only once all of it was accepted: what of it went out before the stop is resent.
    const duplicates = received.length - events.length;
    assert.ok(duplicates <= sentBeforeStop, `${duplicates} duplicates, at most the ${sentBeforeStop} sent of the uncommitted batch`);
    assert.deepEqual(
      [...new Set(received)],
      events.map((e) => e.id),
      'first arrivals in order',
    );
  });

  it('with indexer acknowledgement, commits only acknowledged batches', async () => {
    const hec = await aHec({ acks: true, ackDelayMs: 200 });
    const from = await harness.endOffsets();
    const c = splunkConnector(hec, { ack: { enabled: true, pollIntervalMs: 50, timeoutMs: 5000 } });
    await harness.start(c, new SplunkHecConnector(c, logger), from);
    const events = await harness.publish(uniqueName('tenant'), 50);
    await waitFor(
      () => idsOf(hec.eventIds(), events).length,
      (n) => n >= events.length,
      'every event',
    );
    await waitFor(
      () => harness.status.get(c.name)?.eventsSent ?? 0,
      (n) => n >= events.length,
      'acknowledged deliveries',
    );
    assert.ok(
      hec.events().every((e) => e.channel !== undefined),
      'sent on a channel',
    );
    await waitFor(
      () => harness.committedPast(c, from),
      (p) => p.length > 0,
      'the offsets to be committed',
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '@vigil/common';
import type { ConnectorDefinition, ConnectorStatusSnapshot } from '@vigil/connector';
import type { KafkaAdminService, KeyedRecordProducer, TopicReader } from '@vigil/kafka';
import type { ConnectorCatalog } from './connector-catalog.service';
import { ConnectorStatusUseCase } from './connector-status.use-case';

const NOW = new Date('2026-03-01T12:00:00Z');

function useCase(clock: ManualClock, snapshots: ConnectorStatusSnapshot[]): ConnectorStatusUseCase {
  const connector = {
    name: 'eu',
    type: 'splunk',
    enabled: true,
    categories: ['automation'],
    startFrom: 'earliest',
  } as unknown as ConnectorDefinition;
  const catalog = { pick: () => [connector] } as unknown as ConnectorCatalog;
  const admin = { lag: () => Promise.resolve({ 'audit.automation': 7 }) } as unknown as KafkaAdminService;
  const reader = {
    latestByKey: () => Promise.resolve(new Map(snapshots.map((s) => [s.name, Buffer.from(JSON.stringify(s))]))),
  } as unknown as TopicReader;
  return new ConnectorStatusUseCase(catalog, admin, reader, {} as KeyedRecordProducer, clock);
}

const snapshot = (publishedAt: Date): ConnectorStatusSnapshot => ({
  name: 'eu',
  type: 'splunk',
  state: 'running',
  reason: null,
  eventsSent: 10,
  deadLettered: 1,
  retries: 0,
  lastSuccessAt: null,
  lastError: null,
  instance: 'host:1',
  publishedAt: publishedAt.toISOString(),
});

describe(ConnectorStatusUseCase.name, () => {
  it("reports the app's state and the group's lag while the app reports", async () => {
    const [report] = await useCase(new ManualClock(NOW), [snapshot(new Date(NOW.getTime() - 5000))]).status('eu');
    assert.equal(report?.state, 'running');
    assert.equal(report?.lag, 7);
    assert.equal(report?.eventsSent, 10);
  });

  it('says a report is stale, and how old, once the clock is a minute past it', async () => {
    const clock = new ManualClock(NOW);
    const status = useCase(clock, [snapshot(NOW)]);
    clock.set(new Date(NOW.getTime() + 90_000));
    const [report] = await status.status('eu');
    assert.equal(report?.state, 'running (stale: last report 90 s ago)');
  });

  it('says when no app reported an enabled connector', async () => {
    const [report] = await useCase(new ManualClock(NOW), []).status('eu');
    assert.equal(report?.state, 'not reported (app not running?)');
  });
});

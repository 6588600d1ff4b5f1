import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { Clock } from '@vigil/common';
import {
  CONNECTOR_CONTROL_TOPIC,
  CONNECTOR_STATUS_TOPIC,
  type ConnectorControlCommand,
  type ConnectorDefinition,
  type ConnectorStatusSnapshot,
  type ControlAction,
} from '@vigil/connector';
import { topicFor } from '@vigil/events';
import { ConsumerGroups, KafkaAdminService, KeyedRecordProducer, TopicReader } from '@vigil/kafka';
import { ConnectorCatalog } from './connector-catalog.service';

/** A snapshot older than this means the app is not running (apps publish every few seconds). */
const STALE_MS = 60_000;
export const CONFIRM_TIMEOUT_MS = 20_000;

export interface ConnectorStatusReport {
  connector: string;
  type: string;
  state: string;
  reason: string | null;
  lag: number;
  lagByTopic: Record<string, number>;
  lastSuccessAt: string | null;
  lastError: ConnectorStatusSnapshot['lastError'] | null;
  deadLettered: number | null;
  eventsSent: number | null;
  reportedAt: string | null;
}

export interface ControlResult {
  connector: string;
  action: ControlAction;
  requestedAt: string;
  /** A running app applied it within the wait. */
  confirmed: boolean;
}

/** What the connector apps report about their connectors, lag from the groups' offsets, and pause/resume. */
@Injectable()
export class ConnectorStatusUseCase {
  constructor(
    private readonly catalog: ConnectorCatalog,
    private readonly admin: KafkaAdminService,
    private readonly reader: TopicReader,
    private readonly producer: KeyedRecordProducer,
    private readonly clock: Clock,
  ) {}

  list(): ConnectorDefinition[] {
    return this.catalog.list();
  }

  /** State, lag per topic, last success and error of each connector (or the named one). */
  async status(name: string | undefined): Promise<ConnectorStatusReport[]> {
    const connectors = this.catalog.pick(name);
    const reported = await this.snapshots();
    return Promise.all(
      connectors.map(async (c) => {
        const snapshot = reported.get(c.name);
        const group = ConsumerGroups.connector(c.name);
        const topics = c.categories.map(topicFor);
        // `latest` holds until the connector's first start (nothing to catch up yet); from then on its start positions are
        // committed, and a partition it has no offset for (added later) starts at its beginning.
        const startFrom = c.startFrom === 'latest' && (await this.admin.neverCommitted(group, topics)) ? 'latest' : 'earliest';
        const lag = await this.admin.lag(group, topics, startFrom);
        return {
          connector: c.name,
          type: c.type,
          state: this.stateOf(snapshot, c.enabled),
          reason: snapshot?.reason ?? null,
          lag: Object.values(lag).reduce((a, b) => a + b, 0),
          lagByTopic: lag,
          lastSuccessAt: snapshot?.lastSuccessAt ?? null,
          lastError: snapshot?.lastError ?? null,
          deadLettered: snapshot?.deadLettered ?? null,
          eventsSent: snapshot?.eventsSent ?? null,
          reportedAt: snapshot?.publishedAt ?? null,
        };
      }),
    );
  }

  /** Records the operator's wish (it holds across restarts) and, with `wait`, waits for a running app to apply it. */
  async control(name: string, action: ControlAction, wait: boolean): Promise<ControlResult> {
    this.catalog.pick(name);
    const command: ConnectorControlCommand = { action, requestedAt: this.clock.now().toISOString() };
    await this.admin.requireTopic(CONNECTOR_CONTROL_TOPIC);
    await this.producer.send(CONNECTOR_CONTROL_TOPIC, name, JSON.stringify(command));
    const confirmed = wait ? await this.awaitConfirmation(name, command) : false;
    return { connector: name, action, requestedAt: command.requestedAt, confirmed };
  }

  private async snapshots(): Promise<Map<string, ConnectorStatusSnapshot>> {
    const latest = await this.reader.latestByKey(CONNECTOR_STATUS_TOPIC);
    return new Map([...latest].map(([name, value]) => [name, JSON.parse(value.toString()) as ConnectorStatusSnapshot]));
  }

  private stateOf(snapshot: ConnectorStatusSnapshot | undefined, enabled: boolean): string {
    if (snapshot === undefined) return enabled ? 'not reported (app not running?)' : 'disabled';
    const age = this.clock.now().getTime() - Date.parse(snapshot.publishedAt);
    return age > STALE_MS ? `${snapshot.state} (stale: last report ${Math.round(age / 1000)} s ago)` : snapshot.state;
  }

  private async awaitConfirmation(name: string, command: ConnectorControlCommand): Promise<boolean> {
    const deadline = this.clock.now().getTime() + CONFIRM_TIMEOUT_MS;
    while (this.clock.now().getTime() < deadline) {
      const snapshot = (await this.snapshots()).get(name);
      if (
        snapshot !== undefined &&
        snapshot.publishedAt >= command.requestedAt &&
        (snapshot.state === 'paused') === (command.action === 'pause')
      )
        return true;
      await sleep(500);
    }
    return false;
  }
}

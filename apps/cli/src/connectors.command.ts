import { Command } from 'commander';
import { Partitioners, type Admin, type Kafka } from 'kafkajs';
import {
  committedOffsets,
  CONNECTOR_CONTROL_TOPIC,
  CONNECTOR_STATUS_TOPIC,
  type ConnectorControlCommand,
  type ConnectorDefinition,
  type ConnectorStatusSnapshot,
  type ControlAction,
} from '@vigil/connector';
import { topicFor } from '@vigil/events';
import { cliConfig, type CliConfig } from './cli.config';
import { CliError, printTable, type Output } from './cli.util';
import { listConnectors } from './connector-definitions.loader';
import { cliKafka, withKafkaAdmin } from './kafka-admin.factory';
import { latestByKey } from './topic-reader.util';

/** A snapshot older than this means the app is not running (apps publish every few seconds). */
const STALE_MS = 60_000;
const CONFIRM_TIMEOUT_MS = 20_000;

/** Events on each of the connector's topics that its group has not committed yet. */
async function lagByTopic(admin: Admin, connector: ConnectorDefinition): Promise<Record<string, number>> {
  const topics = connector.categories.map(topicFor);
  const committed = await committedOffsets(admin, `vigil-connector-${connector.name}`, topics);
  const lag: Record<string, number> = {};
  for (const topic of topics) {
    let sum = 0n;
    for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
      const from = committed.get(topic)?.get(partition) ?? (connector.startFrom === 'earliest' ? low : high);
      if (BigInt(high) > BigInt(from)) sum += BigInt(high) - BigInt(from);
    }
    lag[topic] = Number(sum);
  }
  return lag;
}

async function snapshots(kafka: Kafka, admin: Admin): Promise<Map<string, ConnectorStatusSnapshot>> {
  const latest = await latestByKey(kafka, admin, CONNECTOR_STATUS_TOPIC);
  return new Map([...latest].map(([name, value]) => [name, JSON.parse(value.toString()) as ConnectorStatusSnapshot]));
}

function pick(config: CliConfig, name: string | undefined): ConnectorDefinition[] {
  const all = listConnectors(config);
  if (name === undefined) return all;
  const found = all.filter((c) => c.name === name);
  if (found.length === 0)
    throw new CliError(`no connector named "${name}" in ${config.VIGIL_CONFIG} (it has: ${all.map((c) => c.name).join(', ') || 'none'})`);
  return found;
}

function stateOf(snapshot: ConnectorStatusSnapshot | undefined, enabled: boolean): string {
  if (snapshot === undefined) return enabled ? 'not reported (app not running?)' : 'disabled';
  const age = Date.now() - Date.parse(snapshot.publishedAt);
  return age > STALE_MS ? `${snapshot.state} (stale: last report ${Math.round(age / 1000)} s ago)` : snapshot.state;
}

async function status(config: CliConfig, name: string | undefined, out: Output): Promise<void> {
  const connectors = pick(config, name);
  const kafka = cliKafka(config);
  const rows = await withKafkaAdmin(config, async (admin) => {
    const reported = await snapshots(kafka, admin);
    return Promise.all(
      connectors.map(async (c) => {
        const snapshot = reported.get(c.name);
        const lag = await lagByTopic(admin, c);
        return {
          connector: c.name,
          type: c.type,
          state: stateOf(snapshot, c.enabled),
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
  });
  printTable(
    out,
    rows.map((r) => ({
      connector: r.connector,
      state: r.state,
      lag: r.lag,
      'lag by topic': Object.entries(r.lagByTopic)
        .map(([t, n]) => `${t.replace(/^audit\./, '')}=${n}`)
        .join(' '),
      'last success': r.lastSuccessAt,
      'last error': r.lastError === null ? null : `${r.lastError.at} ${r.lastError.message.slice(0, 80)}`,
      'dead-lettered': r.deadLettered,
    })),
    rows,
  );
}

async function control(config: CliConfig, name: string, action: ControlAction, wait: boolean, out: Output): Promise<void> {
  pick(config, name);
  const kafka = cliKafka(config);
  const command: ConnectorControlCommand = { action, requestedAt: new Date().toISOString() };
  const confirmed = await withKafkaAdmin(config, async (admin) => {
    if (!(await admin.listTopics()).includes(CONNECTOR_CONTROL_TOPIC))
      throw new CliError(`topic ${CONNECTOR_CONTROL_TOPIC} does not exist; create it with \`npm run vigil -- topics apply\``);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({ topic: CONNECTOR_CONTROL_TOPIC, acks: -1, messages: [{ key: name, value: JSON.stringify(command) }] });
    } finally {
      await producer.disconnect();
    }
    return wait ? awaitConfirmation(kafka, admin, name, command) : false;
  });
  const result = { connector: name, action, requestedAt: command.requestedAt, confirmed };
  if (out.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else
    process.stdout.write(
      confirmed
        ? `${name}: ${action === 'pause' ? 'paused' : 'resumed'} (confirmed by the running app)\n`
        : `${name}: ${action} recorded; ${wait ? `no running app confirmed it within ${CONFIRM_TIMEOUT_MS / 1000} s, so it` : 'it'} applies when the connector's app runs (check with \`vigil connectors status ${name}\`)\n`,
    );
}

async function awaitConfirmation(kafka: Kafka, admin: Admin, name: string, command: ConnectorControlCommand): Promise<boolean> {
  const deadline = Date.now() + CONFIRM_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const snapshot = (await snapshots(kafka, admin)).get(name);
    if (
      snapshot !== undefined &&
      snapshot.publishedAt >= command.requestedAt &&
      (snapshot.state === 'paused') === (command.action === 'pause')
    )
      return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

export function connectorsCommand(out: Output): Command {
  const connectors = new Command('connectors').description(
    'the SIEM connectors of the connectors file (VIGIL_CONFIG): list, status, pause, resume',
  );
  connectors
    .command('list')
    .description('the connectors declared in the connectors file')
    .action(() => {
      const rows = listConnectors(cliConfig()).map((c) => ({
        connector: c.name,
        type: c.type,
        enabled: c.enabled,
        format: c.format,
        categories: c.categories.join(','),
        startFrom: c.startFrom,
      }));
      printTable(out, rows);
    });
  connectors
    .command('status [name]')
    .description('state, lag per topic (committed offsets vs the topics’ ends), last success, last error, dead-lettered count')
    .action(async (name: string | undefined) => {
      await status(cliConfig(), name, out);
    });
  for (const action of ['pause', 'resume'] as const) {
    connectors
      .command(`${action} <name>`)
      .description(
        action === 'pause'
          ? 'stop delivering (the running app stops fetching; nothing is lost) until resumed; holds across restarts'
          : 'deliver again after a pause',
      )
      .option('--no-wait', 'do not wait for the running app to confirm')
      .action(async (name: string, options: { wait: boolean }) => {
        await control(cliConfig(), name, action, options.wait, out);
      });
  }
  return connectors;
}

import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { DEAD_LETTER_TOPIC, DLQ_HEADERS } from '@vigil/kafka';
import { CliError } from './cli.util';
import { readTopic } from './topic-reader.util';

/** One message of audit.dlq with its headers read. */
export interface DeadLetterEntry {
  /** `<partition>:<offset>` in audit.dlq: how `dlq show` and `dlq redrive` name it. */
  ref: string;
  partition: number;
  offset: string;
  reason: string;
  detail: string;
  consumer: string;
  origin: { topic: string; partition: number; offset: string };
  eventId: string | null;
  time: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface DeadLetterFilter {
  connector?: string | undefined;
  reason?: string | undefined;
}

/** Consumers that write dead letters for a connector: its live group and its replays. */
export function consumersOf(connector: string): string[] {
  return [`vigil-connector-${connector}`, `vigil-replay-${connector}`];
}

/** The connector a dead letter belongs to, from its consumer header; undefined for the materializer's. */
export function connectorOf(entry: DeadLetterEntry): string | undefined {
  return /^vigil-(?:connector|replay)-(.+)$/.exec(entry.consumer)?.[1];
}

export function parseRef(ref: string): { partition: number; offset: string } {
  const match = /^(\d+):(\d+)$/.exec(ref);
  if (match === null)
    throw new CliError(`"${ref}" is not a dead letter reference; use <partition>:<offset> as \`vigil dlq list\` prints it`, 2);
  return { partition: Number(match[1]), offset: match[2] ?? '0' };
}

function toEntry(partition: number, message: KafkaMessage): DeadLetterEntry {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return {
    ref: `${partition}:${message.offset}`,
    partition,
    offset: message.offset,
    reason: headers[DLQ_HEADERS.reason] ?? '',
    detail: headers[DLQ_HEADERS.detail] ?? '',
    consumer: headers[DLQ_HEADERS.consumer] ?? '',
    origin: {
      topic: headers[DLQ_HEADERS.originTopic] ?? '',
      partition: Number(headers[DLQ_HEADERS.originPartition] ?? -1),
      offset: headers[DLQ_HEADERS.originOffset] ?? '',
    },
    eventId: headers[DLQ_HEADERS.eventId] ?? null,
    time: headers[DLQ_HEADERS.time] ?? new Date(Number(message.timestamp)).toISOString(),
    key: message.key,
    value: message.value,
    headers,
  };
}

/** Reads the dead-letter topic (everything retained), filtered by connector and reason. */
export async function readDeadLetters(kafka: Kafka, admin: Admin, filter: DeadLetterFilter): Promise<DeadLetterEntry[]> {
  const consumers = filter.connector === undefined ? undefined : consumersOf(filter.connector);
  const entries = (await readTopic(kafka, admin, DEAD_LETTER_TOPIC)).map((m) => toEntry(m.partition, m.message));
  return entries
    .filter(
      (e) => (consumers === undefined || consumers.includes(e.consumer)) && (filter.reason === undefined || e.reason === filter.reason),
    )
    .sort((a, b) => a.time.localeCompare(b.time));
}

/** The dead letters named by reference; fails naming the first that does not exist. */
export async function readDeadLettersByRef(kafka: Kafka, admin: Admin, refs: readonly string[]): Promise<DeadLetterEntry[]> {
  const found: DeadLetterEntry[] = [];
  for (const ref of refs) {
    const { partition, offset } = parseRef(ref);
    const [hit] = await readTopic(kafka, admin, DEAD_LETTER_TOPIC, new Map([[partition, offset]]), (m) => m.message.offset === offset, 1);
    if (hit === undefined)
      throw new CliError(`no dead letter ${ref} in ${DEAD_LETTER_TOPIC} (expired, or a wrong reference?); see \`vigil dlq list\``);
    found.push(toEntry(hit.partition, hit.message));
  }
  return found;
}

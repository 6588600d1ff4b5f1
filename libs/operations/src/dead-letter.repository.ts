import { Injectable } from '@nestjs/common';
import { ConsumerGroups, DEAD_LETTER_TOPIC, DLQ_HEADERS, TopicReader, type TopicRecord } from '@vigil/kafka';
import { OperationsErrorCode, OperationsException } from './operations.exception';

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
  return [ConsumerGroups.connector(connector), ConsumerGroups.replay(connector)];
}

export function parseRef(ref: string): { partition: number; offset: string } {
  const match = /^(\d+):(\d+)$/.exec(ref);
  if (match === null)
    throw new OperationsException(
      OperationsErrorCode.INVALID_ARGUMENT,
      `"${ref}" is not a dead letter reference; use <partition>:<offset> as \`vigil dlq list\` prints it`,
    );
  return { partition: Number(match[1]), offset: match[2] ?? '0' };
}

export function toDeadLetterEntry(record: TopicRecord): DeadLetterEntry {
  const { headers, partition, offset } = record;
  return {
    ref: `${partition}:${offset}`,
    partition,
    offset,
    reason: headers[DLQ_HEADERS.reason] ?? '',
    detail: headers[DLQ_HEADERS.detail] ?? '',
    consumer: headers[DLQ_HEADERS.consumer] ?? '',
    origin: {
      topic: headers[DLQ_HEADERS.originTopic] ?? '',
      partition: Number(headers[DLQ_HEADERS.originPartition] ?? -1),
      offset: headers[DLQ_HEADERS.originOffset] ?? '',
    },
    eventId: headers[DLQ_HEADERS.eventId] ?? null,
    time: headers[DLQ_HEADERS.time] ?? new Date(Number(record.timestamp)).toISOString(),
    key: record.key,
    value: record.value,
    headers,
  };
}

/** The dead-letter topic, read whole (it is small: letters are the exception) or by reference. */
@Injectable()
export class DeadLetterRepository {
  constructor(private readonly reader: TopicReader) {}

  /** Everything retained, filtered by connector and reason, oldest first. */
  async list(filter: DeadLetterFilter): Promise<DeadLetterEntry[]> {
    const consumers = filter.connector === undefined ? undefined : consumersOf(filter.connector);
    const entries = (await this.reader.read(DEAD_LETTER_TOPIC)).map(toDeadLetterEntry);
    return entries
      .filter(
        (e) => (consumers === undefined || consumers.includes(e.consumer)) && (filter.reason === undefined || e.reason === filter.reason),
      )
      .sort((a, b) => a.time.localeCompare(b.time));
  }

  /** The dead letters named by reference; fails naming the first that does not exist. */
  async byRefs(refs: readonly string[]): Promise<DeadLetterEntry[]> {
    const found: DeadLetterEntry[] = [];
    for (const ref of refs) {
      const { partition, offset } = parseRef(ref);
      const [hit] = await this.reader.read(DEAD_LETTER_TOPIC, {
        from: new Map([[partition, offset]]),
        keep: (r) => r.offset === offset,
        limit: 1,
      });
      if (hit === undefined)
        throw new OperationsException(
          OperationsErrorCode.DEAD_LETTER_NOT_FOUND,
          `no dead letter ${ref} in ${DEAD_LETTER_TOPIC} (expired, or a wrong reference?); see \`vigil dlq list\``,
        );
      found.push(toDeadLetterEntry(hit));
    }
    return found;
  }
}

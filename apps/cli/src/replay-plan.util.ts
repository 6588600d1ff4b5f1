import type { Admin } from 'kafkajs';
import type { ConnectorDefinition, OffsetMap } from '@vigil/connector';
import { CATEGORIES, topicFor, type Category } from '@vigil/events';
import { CliError } from './cli.util';

/** Events stamped up to this far ahead of the producer's clock still count as inside `--from`. */
export const CLOCK_SKEW_MS = 5 * 60_000;

export interface ReplayArgs {
  connector: string;
  /** ISO-8601, normalised. */
  from: string;
  to: string | null;
  categories: Category[];
}

/** The range of one replay, fixed when it first starts. */
export interface ReplayPlan {
  topics: string[];
  start: OffsetMap;
  end: OffsetMap;
}

export interface PartitionRange {
  topic: string;
  partition: number;
  start: string;
  end: string;
  messages: number;
}

/** Where the retained data of a topic begins, when that is after `--from`. */
export interface RetentionGap {
  topic: string;
  /** The time Kafka received the oldest record still retained (the latest such time over the partitions). */
  earliestAvailable: string;
}

/** Parses an ISO-8601 time given on the command line. */
export function parseTime(value: string, option: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime()))
    throw new CliError(`${option} must be an ISO-8601 time such as 2026-01-31T00:00:00Z, not "${value}"`, 2);
  return date;
}

/** The categories a replay reads: the connector's, or the requested subset of them. */
export function replayCategories(connector: ConnectorDefinition, requested: string | undefined): Category[] {
  if (requested === undefined) return [...connector.categories];
  const names = requested
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  for (const name of names) {
    if (!(CATEGORIES as readonly string[]).includes(name))
      throw new CliError(`--categories: unknown category ${name} (one of ${CATEGORIES.join(', ')})`, 2);
    if (!(connector.categories as string[]).includes(name))
      throw new CliError(
        `--categories: connector ${connector.name} does not take ${name} (it takes ${connector.categories.join(', ')})`,
        2,
      );
  }
  if (names.length === 0) throw new CliError('--categories: name at least one category', 2);
  return names as Category[];
}

async function offsetsAt(admin: Admin, topic: string, time: number): Promise<Map<number, string>> {
  return new Map((await admin.fetchTopicOffsetsByTimestamp(topic, time)).map((o) => [o.partition, o.offset]));
}

/** Start offsets from Kafka's offsets for `from` (less the clock skew); end offsets at `to`, or the high watermarks. */
export async function planReplay(admin: Admin, categories: readonly Category[], from: Date, to: Date | null): Promise<ReplayPlan> {
  const topics = categories.map(topicFor);
  const start: OffsetMap = new Map();
  const end: OffsetMap = new Map();
  for (const topic of topics) {
    start.set(topic, await offsetsAt(admin, topic, from.getTime() - CLOCK_SKEW_MS));
    end.set(
      topic,
      to === null
        ? new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]))
        : await offsetsAt(admin, topic, to.getTime()),
    );
  }
  return { topics, start, end };
}

/** Per partition: the offsets from `position` (the checkpoint, or the start) to the end, and how many messages that is. */
export function partitionRanges(plan: ReplayPlan, position: OffsetMap): PartitionRange[] {
  const ranges: PartitionRange[] = [];
  for (const topic of plan.topics) {
    for (const [partition, endOffset] of plan.end.get(topic) ?? new Map<number, string>()) {
      const startOffset = position.get(topic)?.get(partition) ?? plan.start.get(topic)?.get(partition) ?? endOffset;
      const messages = Math.max(0, Number(BigInt(endOffset) - BigInt(startOffset)));
      ranges.push({ topic, partition, start: startOffset, end: endOffset, messages });
    }
  }
  return ranges.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

/**
 * Topics whose retained data begins after `from`: a partition that lost records (low watermark > 0) and whose start
 * is its first retained record, received after `from`. Kafka's offset-for-time lookup is monotonic, so the time of
 * that first record is found by bisection without reading it.
 */
export async function retentionGaps(admin: Admin, plan: ReplayPlan, from: Date): Promise<RetentionGap[]> {
  const gaps: RetentionGap[] = [];
  for (const topic of plan.topics) {
    let latest = 0;
    for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
      if (low === '0' || plan.start.get(topic)?.get(partition) !== low) continue;
      // Nothing retained at all: the data goes back to now.
      const earliest = low === high ? Date.now() : await firstRecordTime(admin, topic, partition, low);
      if (earliest > from.getTime()) latest = Math.max(latest, earliest);
    }
    if (latest > 0) gaps.push({ topic, earliestAvailable: new Date(latest).toISOString() });
  }
  return gaps;
}

async function firstRecordTime(admin: Admin, topic: string, partition: number, low: string): Promise<number> {
  let below = 0; // offsets(below) === low
  let above = Date.now() + 86_400_000; // offsets(above) > low, or nothing
  while (above - below > 1000) {
    const middle = Math.floor((below + above) / 2);
    if ((await offsetsAt(admin, topic, middle)).get(partition) === low) below = middle;
    else above = middle;
  }
  return below;
}

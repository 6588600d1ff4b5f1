import type { ConnectorDefinition } from '@vigil/connector';
import { CATEGORIES, MAX_FUTURE_TIME_MS, type Category } from '@vigil/events';
import type { OffsetMap } from '@vigil/kafka';
import { OperationsErrorCode, OperationsException } from './operations.exception';

/**
 * How far before `--from` a replay starts reading Kafka. Kafka's timestamps are when an event was published; its `time`
 * may be up to a day later (the validator's bound, MAX_FUTURE_TIME_MS), and the clock that stamped the record may differ
 * from the validating one by a few minutes more. An event published earlier than this before `--from` cannot be inside
 * it, so nothing the validator accepts is missed; what is read in the extra day and stamped before `--from` is skipped
 * from its bytes (EventCodec.peekTime) without being decoded.
 */
export const REPLAY_LOOKBACK_MS = MAX_FUTURE_TIME_MS + 5 * 60_000;

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

const invalid = (message: string): OperationsException => new OperationsException(OperationsErrorCode.INVALID_ARGUMENT, message);

/** Parses an ISO-8601 time given by the operator. */
export function parseTime(value: string, option: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime()))
    throw invalid(`${option} must be an ISO-8601 time such as 2026-01-31T00:00:00Z, not "${value}"`);
  return date;
}

const LOOKBACK = /^(\d{1,5})(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** The longest `--lookback` taken: a week. */
export const MAX_REPLAY_LOOKBACK_MS = 7 * UNIT_MS.d;

/**
 * `--lookback` (minutes, hours or days: `0m`, `30m`, `2h`, `1d`) in milliseconds, or REPLAY_LOOKBACK_MS when not
 * given. Shorter than the default, a replay reads less before `--from`, and misses an event stamped further ahead of
 * its publishing than that: for operators who know their producers' clocks and times.
 */
export function parseLookback(value: string | undefined): number {
  if (value === undefined) return REPLAY_LOOKBACK_MS;
  const match = LOOKBACK.exec(value.trim());
  const ms = match === null ? Number.NaN : Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (!(ms <= MAX_REPLAY_LOOKBACK_MS))
    throw invalid(`--lookback must be minutes, hours or days such as 30m, 2h or 1d, at most 7d, not "${value}"`);
  return ms;
}

/** A positive events-per-second rate, or none. */
export function parseRate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const rate = Number(value);
  if (!Number.isFinite(rate) || rate <= 0) throw invalid(`--rate must be a positive number of events per second, not "${value}"`);
  return rate;
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
      throw invalid(`--categories: unknown category ${name} (one of ${CATEGORIES.join(', ')})`);
    if (!(connector.categories as string[]).includes(name))
      throw invalid(`--categories: connector ${connector.name} does not take ${name} (it takes ${connector.categories.join(', ')})`);
  }
  if (names.length === 0) throw invalid('--categories: name at least one category');
  return names as Category[];
}

export function sameArgs(a: ReplayArgs, b: ReplayArgs): boolean {
  return a.from === b.from && a.to === b.to && [...a.categories].sort().join() === [...b.categories].sort().join();
}

/** The arguments as the command line that gives them. */
export function describeArgs(a: ReplayArgs): string {
  return `--from ${a.from}${a.to === null ? '' : ` --to ${a.to}`} --categories ${a.categories.join(',')}`;
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

/** Where the replay stands: the replay group's committed offsets, else the plan's start offsets. */
export function replayPosition(plan: ReplayPlan, committed: OffsetMap): OffsetMap {
  const position: OffsetMap = new Map();
  for (const [topic, starts] of plan.start) {
    position.set(topic, new Map([...starts].map(([p, start]) => [p, committed.get(topic)?.get(p) ?? start])));
  }
  return position;
}

import type { Outcome } from '@vigil/events';

/**
 * A validated event filter; times in epoch microseconds, `to` exclusive. The one filter of the store: the SQL
 * builder (`buildEventWhere`, event-sql.mapper.ts) and the in-memory matcher (`eventMatches`, event-match.util.ts)
 * both read it, and both are tested against the same table of cases (libs/testing/src/event-filter-cases.util.ts).
 */
export interface EventFilter {
  fromMicros: number;
  toMicros: number;
  /** Whether `to` was given; a defaulted `to` (now) is pinned in the cursor instead of hashed into it. */
  toGiven: boolean;
  categories?: string[];
  /** Exact actions. */
  actions?: string[];
  /** Action prefixes from `user.login.*`, without the `*` (`user.login.`). */
  actionPrefixes?: string[];
  outcome?: Outcome;
  actorId?: string;
  actorName?: string;
  targetType?: string;
  targetId?: string;
  /** An address (`10.0.0.1`) or a network (`10.0.0.0/8`); `clientIpIsNetwork` says which. */
  clientIp?: string;
  clientIpIsNetwork?: boolean;
  service?: string;
  correlationId?: string;
  traceId?: string;
  text?: string;
}

/** The criteria of a filter without its time range (the live tail has none). */
export type EventCriteria = Omit<EventFilter, 'fromMicros' | 'toMicros' | 'toGiven'>;

export type EventOrder = 'NEWEST_FIRST' | 'OLDEST_FIRST';

export const GROUP_BY = ['ACTION', 'CATEGORY', 'OUTCOME', 'ACTOR', 'CLIENT_IP', 'SERVICE'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export const BUCKETS = ['MINUTE', 'HOUR', 'DAY'] as const;
export type Bucket = (typeof BUCKETS)[number];

export const BUCKET_MICROS: Record<Bucket, number> = { MINUTE: 60e6, HOUR: 3600e6, DAY: 86_400e6 };

/** A position in (time, id) order. */
export interface Keyset {
  timeMicros: string;
  id: string;
}

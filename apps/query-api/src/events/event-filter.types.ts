import type { Outcome } from '@vigil/events';

/** A validated event filter; times in epoch microseconds, `to` exclusive. */
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

import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@vigil/common';
import { APP_CONFIG } from '@vigil/config';
import {
  AuditEventQueryRepository,
  BUCKET_MICROS,
  MAX_COUNT_ROWS,
  StoreErrorCode,
  StoreException,
  type Bucket,
  type CountRow,
  type EventFilter,
  type EventOrder,
  type GroupBy,
  type StoredAuditEvent,
  type TenantScope,
  type TopRow,
} from '@vigil/store';
import { QueryErrorCode, QueryException } from '../query.exception';
import type { QueryApiConfig } from '../query-api.config';
import type { RowBudget } from '../limits/row-budget.util';
import { CursorCodec } from './cursor.codec';
import { validateFilter, type EventFilterFields } from './event-filter.validator';

export const DEFAULT_PAGE_SIZE = 100;
/** Most buckets one count query may span (a week of minutes). */
export const MAX_BUCKETS = 10_080;
export const MAX_TOP = 100;

export interface EventPage {
  events: { cursor: string; event: StoredAuditEvent }[];
  hasNextPage: boolean;
}

/** The store's timeout as the caller's TIMEOUT; anything else as it is. */
function translated(err: unknown): unknown {
  if (err instanceof StoreException && err.code === StoreErrorCode.QUERY_TIMEOUT)
    return new QueryException(
      QueryErrorCode.TIMEOUT,
      'the query took longer than the statement timeout; narrow the time range or the filter',
    );
  return err;
}

async function read<T>(query: Promise<T>): Promise<T> {
  try {
    return await query;
  } catch (err) {
    throw translated(err);
  }
}

/** The use cases behind the resolvers and the export: validate, bound, page with signed cursors, aggregate. */
@Injectable()
export class EventQueryService {
  private readonly cursors: CursorCodec;

  constructor(
    private readonly repository: AuditEventQueryRepository,
    @Inject(APP_CONFIG) private readonly config: QueryApiConfig,
    private readonly clock: Clock,
  ) {
    this.cursors = new CursorCodec(config.QUERY_API_CURSOR_SECRET ?? randomBytes(32).toString('base64url'));
  }

  /** Validates a caller's filter; a missing `to` is now, by the injected clock. */
  filter(input: EventFilterFields): EventFilter {
    return validateFilter(input, { maxSpanDays: this.config.QUERY_API_MAX_SPAN_DAYS }, this.clock.now().getTime() * 1000);
  }

  async page(
    scope: TenantScope,
    input: EventFilterFields,
    first: number | null | undefined,
    after: string | null | undefined,
    order: EventOrder,
    budget?: RowBudget,
  ): Promise<EventPage> {
    const size = first ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(size) || size < 1 || size > this.config.QUERY_API_MAX_PAGE_SIZE) {
      throw QueryException.badInput('first', `must be 1 to ${this.config.QUERY_API_MAX_PAGE_SIZE}`);
    }
    budget?.take(size);
    let filter = this.filter(input);
    const position = after != null ? this.cursors.decode(after, scope, filter, order) : undefined;
    if (position && !filter.toGiven) filter = { ...filter, toMicros: position.toMicros };
    // The page's share of the request's bytes, as `first` is its share of the request's rows (the row budget).
    const maxBytes = Math.floor((this.config.QUERY_API_MAX_PAGE_BYTES * size) / this.config.QUERY_API_MAX_PAGE_SIZE);
    const { rows, cut } = await read(this.repository.page(scope, filter, size, order, position?.after, maxBytes));
    const events = rows.slice(0, size).map((row) => ({
      event: row,
      cursor: this.cursors.encode({ timeMicros: String(row.event.time), id: row.event.id }, filter.toMicros, scope, filter, order),
    }));
    return { events, hasNextPage: cut || rows.length > size };
  }

  async counts(
    scope: TenantScope,
    input: EventFilterFields,
    bucket: Bucket,
    groupBy?: GroupBy | null,
  ): Promise<{ rows: CountRow[]; truncated: boolean }> {
    const filter = this.filter(input);
    if ((filter.toMicros - filter.fromMicros) / BUCKET_MICROS[bucket] > MAX_BUCKETS) {
      throw QueryException.badInput(
        'bucket',
        `the range holds more than ${MAX_BUCKETS} ${bucket.toLowerCase()} buckets; use a wider bucket`,
      );
    }
    const rows = await read(this.repository.counts(scope, filter, bucket, groupBy ?? undefined));
    return { rows: rows.slice(0, MAX_COUNT_ROWS), truncated: rows.length > MAX_COUNT_ROWS };
  }

  async top(scope: TenantScope, input: EventFilterFields, by: GroupBy, limit: number | null | undefined): Promise<TopRow[]> {
    const n = limit ?? 10;
    if (!Number.isInteger(n) || n < 1 || n > MAX_TOP) throw QueryException.badInput('limit', `must be 1 to ${MAX_TOP}`);
    return read(this.repository.top(scope, this.filter(input), by, n));
  }

  findById(scope: TenantScope, id: string): Promise<StoredAuditEvent | null> {
    return read(this.repository.findById(scope, id));
  }

  /** Every matching event in order (the export); a timeout surfaces as TIMEOUT wherever the stream is. */
  async *stream(scope: TenantScope, filter: EventFilter, order: EventOrder): AsyncGenerator<StoredAuditEvent> {
    try {
      yield* this.repository.stream(scope, filter, order);
    } catch (err) {
      throw translated(err);
    }
  }
}

/** Why a query was refused; each edge (GraphQL, HTTP) maps every code exhaustively. */
export enum QueryErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  RATE_LIMITED = 'RATE_LIMITED',
  /** The key already runs its QUERY_API_KEY_CONCURRENCY units of database work, and its queue is full. */
  TOO_MANY_CONCURRENT = 'TOO_MANY_CONCURRENT',
  /** The key already holds its QUERY_API_LIVE_MAX_PER_KEY live-tail subscriptions. */
  TOO_MANY_SUBSCRIPTIONS = 'TOO_MANY_SUBSCRIPTIONS',
  /** QUERY_API_MAX_EXPORTS exports already run on this instance. */
  EXPORTS_BUSY = 'EXPORTS_BUSY',
  TIMEOUT = 'TIMEOUT',
  /** The change conflicts with what exists (a stream name taken, the tenant's stream limit reached). */
  CONFLICT = 'CONFLICT',
  /** A dependency the request needs is down (Kafka, for the audit event of a stream change); nothing was changed. */
  UNAVAILABLE = 'UNAVAILABLE',
}

/** A refusal the caller can act on. The message is safe to show: it never holds SQL, a stack or a secret. */
export class QueryException extends Error {
  constructor(
    readonly code: QueryErrorCode,
    message: string,
    /** The input field at fault (BAD_USER_INPUT), e.g. `filter.clientIp`. */
    readonly field?: string,
    /** Seconds to wait (RATE_LIMITED, TOO_MANY_CONCURRENT, EXPORTS_BUSY). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'QueryException';
  }

  static badInput(field: string, rule: string): QueryException {
    return new QueryException(QueryErrorCode.BAD_USER_INPUT, `${field}: ${rule}`, field);
  }
}

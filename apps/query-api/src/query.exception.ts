/** Why a query was refused; each edge (GraphQL, HTTP) maps every code exhaustively. */
export enum QueryErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  RATE_LIMITED = 'RATE_LIMITED',
  TIMEOUT = 'TIMEOUT',
}

/** A refusal the caller can act on. The message is safe to show: it never holds SQL, a stack or a secret. */
export class QueryException extends Error {
  constructor(
    readonly code: QueryErrorCode,
    message: string,
    /** The input field at fault (BAD_USER_INPUT), e.g. `filter.clientIp`. */
    readonly field?: string,
    /** Seconds to wait (RATE_LIMITED). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'QueryException';
  }

  static badInput(field: string, rule: string): QueryException {
    return new QueryException(QueryErrorCode.BAD_USER_INPUT, `${field}: ${rule}`, field);
  }
}

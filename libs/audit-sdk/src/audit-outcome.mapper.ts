import { HttpException } from '@nestjs/common';
import type { Outcome } from '@vigil/events';

export interface AuditOutcome {
  outcome: Outcome;
  statusCode: number | null;
}

/** How a handler's settlement becomes the event's outcome and HTTP status. */
export class AuditOutcomeMapper {
  /** A handler that returned: SUCCESS, unless it set an error status itself (e.g. through `@Res()`). */
  static fromResult(statusCode: number | null | undefined): AuditOutcome {
    const status = typeof statusCode === 'number' ? statusCode : null;
    return { outcome: status !== null && status >= 400 ? 'FAILURE' : 'SUCCESS', statusCode: status };
  }

  /** A handler that threw: FAILURE, with the HttpException's status or 500 for anything else (as Nest answers). */
  static fromError(error: unknown): AuditOutcome {
    return { outcome: 'FAILURE', statusCode: error instanceof HttpException ? error.getStatus() : 500 };
  }
}

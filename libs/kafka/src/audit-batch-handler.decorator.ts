import { SetMetadata } from '@nestjs/common';
import type { AuditBatchHandlerOptions } from './audit-batch.types';

export const AUDIT_BATCH_HANDLER = 'vigil:audit-batch-handler';

/** Static options, or options read from the provider instance (its injected config) when the host starts. */
export type AuditBatchHandlerDeclaration<T extends object = object> =
  AuditBatchHandlerOptions | ((instance: T) => AuditBatchHandlerOptions);

/**
 * Declares a method of a provider or controller as the handler of one consumer group: it receives decoded
 * partition batches (`DecodedBatch`) and may return dead letters (`BatchOutcome`). The consumer host
 * (`AuditBatchTransport`) decodes, dead-letters, commits after the method resolved, and retries it when it throws.
 */
export function AuditBatchHandler<T extends object>(declaration: AuditBatchHandlerDeclaration<T>): MethodDecorator {
  return SetMetadata(AUDIT_BATCH_HANDLER, declaration);
}

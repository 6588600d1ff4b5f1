import { SetMetadata } from '@nestjs/common';
import type { Action } from '@vigil/events';
import type { AuditRequest, AuditTarget } from './audit-module.types';
import { AUDITED_METADATA } from './audit.tokens';

export interface AuditedOptions {
  /** What the call acted on; `result` is undefined when the handler threw. */
  targets?: (request: AuditRequest, result: unknown) => AuditTarget[];
  /** The tenant when the principal has none (or to override it), e.g. from a route parameter or a header. */
  tenantId?: string | ((request: AuditRequest) => string | undefined);
  /** Human-readable summary; defaults to the catalog's description of the action. */
  description?: string;
}

export interface AuditedMetadata {
  action: Action;
  options: AuditedOptions;
}

/**
 * Audits a NestJS HTTP route or GraphQL resolver: once the handler settled, an event with the caller,
 * client address, request and outcome is published (and awaited) before the response leaves.
 */
export function Audited(action: Action, options: AuditedOptions = {}): MethodDecorator {
  return SetMetadata<string, AuditedMetadata>(AUDITED_METADATA, { action, options });
}

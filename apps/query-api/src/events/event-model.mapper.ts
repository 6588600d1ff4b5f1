import type { AuditEvent } from '@vigil/events';
import type { ChainPosition } from '@vigil/store';
import { toAuditEventFieldsModel } from '../generated/audit-event.model';
import type { AuditEventModel } from './event.model';

/** An event (from the store or the live tail) as the GraphQL AuditEvent. */
export function toEventModel(event: AuditEvent, ingestedAt: Date | null = null, chain: ChainPosition | null = null): AuditEventModel {
  return { ...toAuditEventFieldsModel(event), ingestedAt: ingestedAt ? ingestedAt.toISOString() : null, chain };
}

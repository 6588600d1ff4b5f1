import { Column, Entity, Index } from 'typeorm';
import { AuditEventEnvelopeColumns } from './generated/audit-event.columns';

/**
 * One stored audit event: the envelope's columns (generated from avro/envelope.avsc), its Kafka origin and when it
 * was stored. The table is created by migrations (it is partitioned, which TypeORM cannot
 * synchronise); this entity names its columns and indexes for readers. TypeORM hydrates timestamptz into
 * a Date (milliseconds): read `time` through `AuditEventRepository` when microseconds matter.
 */
@Entity({ name: 'audit_event', synchronize: false })
@Index('audit_event_tenant_time_idx', ['tenantId', 'time', 'id'])
@Index('audit_event_tenant_actor_time_idx', ['tenantId', 'actorId', 'time', 'id'])
@Index('audit_event_tenant_action_time_idx', ['tenantId', 'action', 'time', 'id'])
@Index('audit_event_targets_idx', ['targets'])
@Index('audit_event_tenant_client_ip_time_idx', ['tenantId', 'clientIp', 'time'], { where: 'client_ip IS NOT NULL' })
@Index('audit_event_tenant_failure_time_idx', ['tenantId', 'time', 'id'], { where: `outcome = 'FAILURE'` })
@Index('audit_event_time_brin_idx', ['time'])
@Index('audit_event_chain_idx', ['tenantId', 'category', 'chainSeq'], { where: 'chain_seq IS NOT NULL' })
// Not on the parent: each daily partition gets `<partition>_search_trgm_idx`, GIN (SEARCH_BLOB_SQL gin_trgm_ops), once
// its day has ended (PartitionManager.indexEndedDays; docs/store.md, "Free text").
export class AuditEventEntity extends AuditEventEnvelopeColumns {
  @Column({ name: 'kafka_topic', type: 'text' })
  kafkaTopic!: string;

  @Column({ name: 'kafka_partition', type: 'integer' })
  kafkaPartition!: number;

  /** A bigint; pg returns it as a string so no offset loses precision. */
  @Column({ name: 'kafka_offset', type: 'bigint' })
  kafkaOffset!: string;

  @Column({ name: 'ingested_at', type: 'timestamptz', precision: 6, default: () => 'now()' })
  ingestedAt!: Date;

  /** The event's place in its tenant's chain of its category (docs/integrity.md); null for rows stored before the chain. */
  @Column({ name: 'chain_seq', type: 'bigint', nullable: true })
  chainSeq!: string | null;

  /** The event's link: SHA-256 of the previous link and the event's canonical bytes. */
  @Column({ name: 'chain_hash', type: 'bytea', nullable: true })
  chainHash!: Buffer | null;
}

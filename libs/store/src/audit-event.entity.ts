import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One stored audit event. The table is created by migrations (it is partitioned, which TypeORM cannot
 * synchronise); this entity names its columns and indexes for readers. TypeORM hydrates timestamptz into
 * a Date (milliseconds): read `time` through `AuditEventRepository` when microseconds matter.
 */
@Entity({ name: 'audit_event', synchronize: false })
@Index('audit_event_tenant_time_idx', ['tenantId', 'time', 'id'])
@Index('audit_event_id_idx', ['id'])
@Index('audit_event_tenant_actor_time_idx', ['tenantId', 'actorId', 'time', 'id'])
@Index('audit_event_tenant_action_time_idx', ['tenantId', 'action', 'time', 'id'])
@Index('audit_event_targets_idx', ['targets'])
@Index('audit_event_tenant_client_ip_time_idx', ['tenantId', 'clientIp', 'time'], { where: 'client_ip IS NOT NULL' })
@Index('audit_event_tenant_failure_time_idx', ['tenantId', 'time', 'id'], { where: `outcome = 'FAILURE'` })
@Index('audit_event_time_brin_idx', ['time'])
export class AuditEventEntity {
  @PrimaryColumn({ type: 'timestamptz', precision: 6 })
  time!: Date;

  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'observed_time', type: 'timestamptz', precision: 6 })
  observedTime!: Date;

  @Column({ type: 'text' })
  category!: string;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'text' })
  outcome!: string;

  @Column({ type: 'text' })
  severity!: string;

  @Column({ name: 'actor_id', type: 'text' })
  actorId!: string;

  @Column({ name: 'actor_name', type: 'text', nullable: true })
  actorName!: string | null;

  @Column({ name: 'actor_type', type: 'text' })
  actorType!: string;

  @Column({ name: 'actor_roles', type: 'text', array: true, default: () => `'{}'` })
  actorRoles!: string[];

  @Column({ name: 'client_ip', type: 'inet', nullable: true })
  clientIp!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ name: 'service_name', type: 'text' })
  serviceName!: string;

  @Column({ name: 'service_version', type: 'text', nullable: true })
  serviceVersion!: string | null;

  @Column({ name: 'service_host', type: 'text', nullable: true })
  serviceHost!: string | null;

  @Column({ name: 'http_method', type: 'text', nullable: true })
  httpMethod!: string | null;

  @Column({ name: 'http_url', type: 'text', nullable: true })
  httpUrl!: string | null;

  @Column({ name: 'http_operation', type: 'text', nullable: true })
  httpOperation!: string | null;

  @Column({ name: 'http_status', type: 'integer', nullable: true })
  httpStatus!: number | null;

  @Column({ name: 'correlation_id', type: 'text', nullable: true })
  correlationId!: string | null;

  @Column({ name: 'trace_id', type: 'text', nullable: true })
  traceId!: string | null;

  @Column({ name: 'span_id', type: 'text', nullable: true })
  spanId!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'jsonb', default: () => `'[]'` })
  targets!: unknown[];

  @Column({ type: 'jsonb', nullable: true })
  payload!: Record<string, unknown> | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  attributes!: Record<string, unknown>;

  @Column({ name: 'kafka_topic', type: 'text' })
  kafkaTopic!: string;

  @Column({ name: 'kafka_partition', type: 'integer' })
  kafkaPartition!: number;

  /** A bigint; pg returns it as a string so no offset loses precision. */
  @Column({ name: 'kafka_offset', type: 'bigint' })
  kafkaOffset!: string;

  @Column({ name: 'ingested_at', type: 'timestamptz', precision: 6, default: () => 'now()' })
  ingestedAt!: Date;
}

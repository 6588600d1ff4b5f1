import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import { AuditEventFieldsModel } from '../generated/audit-event.model';

export { BucketEnum, EventOrderEnum, GroupByEnum, JsonScalar, OutcomeEnum } from './event-scalars.model';

/** The envelope's fields come from avro/envelope.avsc (generated); what the store adds is declared here. */
@ObjectType('AuditEvent', { description: 'One audit event with every field' })
export class AuditEventModel extends AuditEventFieldsModel {
  @Field(() => String, { nullable: true, description: 'When the store wrote it (null on the live tail)' }) ingestedAt!: string | null;
  @Field(() => ChainPositionModel, {
    nullable: true,
    description: 'Its place in the tenant’s hash chain of its category (null on the live tail and for rows stored before the chain)',
  })
  chain!: ChainPositionModel | null;
}

@ObjectType('ChainPosition', { description: 'An event’s place in its hash chain (docs/integrity.md)' })
export class ChainPositionModel {
  @Field(() => Float, { description: 'Sequence number in the chain, from 1 (exact up to 2^53)' }) seq!: number;
  @Field({ description: 'The link: SHA-256 of the previous link and the event’s canonical bytes, hex' }) hash!: string;
}

@ObjectType('ChainCheckpoint', { description: 'A chain’s head signed with Ed25519, or the anchor a dropped day left' })
export class ChainCheckpointModel {
  @Field() tenantId!: string;
  @Field() category!: string;
  @Field(() => Float) seq!: number;
  @Field() hash!: string;
  @Field({
    description:
      'signed (a chain head), or retention (the anchor a dropped day leaves: its highest place, signed when the materializer has keys)',
  })
  kind!: string;
  @Field({ description: 'When the head was taken, ISO-8601 (part of what is signed)' }) at!: string;
  @Field(() => String, { nullable: true }) keyId!: string | null;
  @Field(() => String, { nullable: true, description: 'Ed25519 signature of the checkpoint’s RFC 8785 JSON, base64' }) signature!:
    string | null;
}

@ObjectType('EventEdge')
export class EventEdgeModel {
  @Field() cursor!: string;
  @Field(() => AuditEventModel) node!: AuditEventModel;
}

@ObjectType('PageInfo')
export class PageInfoModel {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType('EventConnection')
export class EventConnectionModel {
  @Field(() => [EventEdgeModel]) edges!: EventEdgeModel[];
  @Field(() => PageInfoModel) pageInfo!: PageInfoModel;
}

@ObjectType('EventCount')
export class EventCountModel {
  @Field({ description: 'Start of the bucket, ISO-8601 UTC' }) bucket!: string;
  @Field(() => String, { nullable: true, description: 'The group key (null without groupBy, or for events without the field)' })
  key!: string | null;
  @Field(() => Int) count!: number;
}

@ObjectType('EventCounts')
export class EventCountsModel {
  @Field(() => [EventCountModel]) counts!: EventCountModel[];
  @Field({ description: 'True when more than 20,000 (bucket, key) rows matched and the rest were left out' }) truncated!: boolean;
}

@ObjectType('TopEntry')
export class TopEntryModel {
  @Field(() => String, { nullable: true }) key!: string | null;
  @Field(() => Int) count!: number;
}

import { Field, Int, ObjectType } from '@nestjs/graphql';
import { AuditEventFieldsModel } from '../generated/audit-event.model';

export { BucketEnum, EventOrderEnum, GroupByEnum, JsonScalar, OutcomeEnum } from './event-scalars.model';

/** The envelope's fields come from avro/envelope.avsc (generated); what the store adds is declared here. */
@ObjectType('AuditEvent', { description: 'One audit event with every field' })
export class AuditEventModel extends AuditEventFieldsModel {
  @Field(() => String, { nullable: true, description: 'When the store wrote it (null on the live tail)' }) ingestedAt!: string | null;
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

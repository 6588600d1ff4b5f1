import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { OUTCOMES } from '@vigil/events';
import { BUCKETS, GROUP_BY } from '@vigil/store';

function literal(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literal(f.value)]));
    case Kind.LIST:
      return node.values.map(literal);
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.BOOLEAN:
      return node.value;
    case Kind.NULL:
    case Kind.VARIABLE:
      return null;
  }
}

/** Free-form JSON (an event's attributes and category payload). */
export const JsonScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value: an event attribute map or category payload',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literal,
});

export const OutcomeEnum = Object.fromEntries(OUTCOMES.map((o) => [o, o])) as { [K in (typeof OUTCOMES)[number]]: K };
registerEnumType(OutcomeEnum, { name: 'Outcome' });
export const BucketEnum = Object.fromEntries(BUCKETS.map((b) => [b, b])) as { [K in (typeof BUCKETS)[number]]: K };
registerEnumType(BucketEnum, { name: 'Bucket', description: 'Width of a count bucket (UTC)' });
export const GroupByEnum = Object.fromEntries(GROUP_BY.map((g) => [g, g])) as { [K in (typeof GROUP_BY)[number]]: K };
registerEnumType(GroupByEnum, { name: 'GroupBy', description: 'The event field counts are grouped by (ACTOR: actor id)' });
export const EventOrderEnum = { NEWEST_FIRST: 'NEWEST_FIRST', OLDEST_FIRST: 'OLDEST_FIRST' } as const;
registerEnumType(EventOrderEnum, { name: 'EventOrder' });

@ObjectType('Actor')
export class ActorModel {
  @Field() id!: string;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field({ description: 'USER, SERVICE or SYSTEM' }) type!: string;
  @Field(() => [String]) roles!: string[];
}

@ObjectType('Client')
export class ClientModel {
  @Field(() => String, { nullable: true }) ip!: string | null;
  @Field(() => String, { nullable: true }) userAgent!: string | null;
}

@ObjectType('Target')
export class TargetModel {
  @Field() type!: string;
  @Field() id!: string;
  @Field(() => String, { nullable: true }) name!: string | null;
}

@ObjectType('Http')
export class HttpModel {
  @Field(() => String, { nullable: true }) method!: string | null;
  @Field(() => String, { nullable: true }) url!: string | null;
  @Field(() => String, { nullable: true }) operation!: string | null;
  @Field(() => Int, { nullable: true }) statusCode!: number | null;
}

@ObjectType('Service')
export class ServiceModel {
  @Field() name!: string;
  @Field(() => String, { nullable: true }) version!: string | null;
  @Field(() => String, { nullable: true }) host!: string | null;
}

@ObjectType('AuditEvent', { description: 'One audit event with every field' })
export class AuditEventModel {
  @Field(() => ID, { description: 'UUIDv7' }) id!: string;
  @Field({ description: 'When it happened: ISO-8601 UTC with microseconds' }) time!: string;
  @Field({ description: 'When the producer observed it: ISO-8601 UTC with microseconds' }) observedTime!: string;
  @Field() tenantId!: string;
  @Field() category!: string;
  @Field() action!: string;
  @Field(() => OutcomeEnum) outcome!: string;
  @Field() severity!: string;
  @Field(() => ActorModel) actor!: ActorModel;
  @Field(() => ClientModel, { nullable: true }) client!: ClientModel | null;
  @Field(() => [TargetModel]) targets!: TargetModel[];
  @Field(() => HttpModel, { nullable: true }) http!: HttpModel | null;
  @Field(() => ServiceModel) service!: ServiceModel;
  @Field(() => String, { nullable: true }) correlationId!: string | null;
  @Field(() => String, { nullable: true }) traceId!: string | null;
  @Field(() => String, { nullable: true }) spanId!: string | null;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => JsonScalar, { nullable: true, description: 'The category payload' }) payload!: unknown;
  @Field(() => JsonScalar) attributes!: unknown;
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

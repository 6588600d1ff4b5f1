import { registerEnumType } from '@nestjs/graphql';
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

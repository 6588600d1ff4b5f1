// The code scripts/codegen.mts derives from the Avro envelope (avro/envelope.avsc) for the store and the query API,
// so that an optional envelope field is added in one place. Envelope fields may carry `x-` properties, read here
// and stripped from the topic schemas (the registry never sees them):
//   x-column        the audit_event column when it is not <record>_<field> in snake_case (columns never change)
//   x-sql-type      the column's type when the Avro type does not say it (inet)
//   x-primary-key   part of audit_event's primary key
//   x-graphql       { type?: 'ID' | <registered enum>, description? } for the GraphQL object type
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

/** Kinds of column, each with one conversion in the row mapper. */
type Kind = 'text' | 'enum' | 'timestamp' | 'int' | 'textArray' | 'json';

export interface Leaf {
  /** Property path in the event, e.g. ['client', 'ip']. */
  path: string[];
  column: string;
  rowKey: string;
  recordKey: string;
  kind: Kind;
  sqlType: string;
  /** The column may be null (the field or its record is nullable). */
  nullable: boolean;
  /** The TypeScript type of the value as selected (jsonb parsed by pg). */
  recordType: string;
  /** The TypeScript type of the entity property. */
  entityType: string;
  sqlDefault?: string;
  primary: boolean;
}

export interface GroupField {
  name: string;
  nullable: boolean;
  recordName: string;
  leaves: Leaf[];
}

const snake = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** `["null", X]` -> [X, true]; anything else -> [it, false]. */
export function unwrapNull(type: Json): [Json, boolean] {
  if (Array.isArray(type) && type.length === 2 && type[0] === 'null') return [type[1] as Json, true];
  return [type, false];
}

/** Removes the `x-` properties (recursively) so the registered schema is the plain Avro one. */
export function stripExtensions(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripExtensions);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !k.startsWith('x-'))
      .map(([k, v]) => [k, stripExtensions(v)]),
  );
}

function leafOf(field: Obj, parent: { name: string; nullable: boolean } | undefined): Leaf {
  const name = field['name'] as string;
  const [type, fieldNullable] = unwrapNull(field['type'] as Json);
  const nullable = fieldNullable || parent?.nullable === true;
  const column = (field['x-column'] as string | undefined) ?? snake(parent ? `${parent.name}_${name}` : name);
  const t = type as Obj | string;
  const logical = typeof t === 'object' && !Array.isArray(t) ? t['logicalType'] : undefined;
  const avroType = typeof t === 'string' ? t : (t['type'] as string);
  let kind: Kind;
  let sqlType: string;
  let recordType: string;
  let entityType: string;
  let sqlDefault: string | undefined;
  if (type === 'PAYLOAD') {
    [kind, sqlType, recordType, entityType] = ['json', 'jsonb', 'Record<string, unknown>', 'Record<string, unknown>'];
  } else if (logical === 'timestamp-micros') {
    [kind, sqlType, recordType, entityType] = ['timestamp', 'timestamptz', 'string', 'Date'];
  } else if (logical === 'uuid') {
    [kind, sqlType, recordType, entityType] = ['text', 'uuid', 'string', 'string'];
  } else if (avroType === 'string') {
    [kind, sqlType, recordType, entityType] = ['text', 'text', 'string', 'string'];
  } else if (avroType === 'enum') {
    [kind, sqlType, recordType, entityType] = ['enum', 'text', 'string', 'string'];
  } else if (avroType === 'int') {
    [kind, sqlType, recordType, entityType] = ['int', 'integer', 'number', 'number'];
  } else if (avroType === 'array' && (t as Obj)['items'] === 'string') {
    [kind, sqlType, recordType, entityType, sqlDefault] = ['textArray', 'text[]', 'string[]', 'string[]', "'{}'"];
  } else if (avroType === 'array') {
    const items = (t as Obj)['items'] as Obj;
    [kind, sqlType, recordType, entityType, sqlDefault] = ['json', 'jsonb', `${items['name'] as string}[]`, 'unknown[]', "'[]'"];
  } else if (avroType === 'map') {
    [kind, sqlType, recordType, entityType, sqlDefault] = [
      'json',
      'jsonb',
      'Record<string, AttributeValue>',
      'Record<string, unknown>',
      "'{}'",
    ];
  } else {
    throw new Error(`envelope field ${name}: no column mapping for Avro type ${JSON.stringify(type)}`);
  }
  sqlType = (field['x-sql-type'] as string | undefined) ?? sqlType;
  return {
    path: parent ? [parent.name, name] : [name],
    column,
    rowKey: camel(column),
    recordKey: kind === 'timestamp' ? `${column}_us` : column,
    kind,
    sqlType,
    nullable,
    recordType: nullable ? `${recordType} | null` : recordType,
    entityType: nullable ? `${entityType} | null` : entityType,
    ...(sqlDefault !== undefined && !nullable ? { sqlDefault } : {}),
    primary: field['x-primary-key'] === true,
  };
}

/** The envelope's fields in order: a leaf per column, records flattened one level (actor_id, client_ip ...). */
export function envelopeFields(envelope: Obj): (Leaf | GroupField)[] {
  return (envelope['fields'] as Obj[]).map((field) => {
    const [type, nullable] = unwrapNull(field['type'] as Json);
    if (typeof type === 'object' && type !== null && !Array.isArray(type) && type['type'] === 'record') {
      const group = { name: field['name'] as string, nullable };
      return { ...group, recordName: type['name'] as string, leaves: (type['fields'] as Obj[]).map((f) => leafOf(f, group)) };
    }
    return leafOf(field, undefined);
  });
}

export const leavesOf = (fields: readonly (Leaf | GroupField)[]): Leaf[] => fields.flatMap((f) => ('leaves' in f ? f.leaves : [f]));

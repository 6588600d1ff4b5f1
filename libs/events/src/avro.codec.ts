import avsc from 'avsc';
import { TOPIC_SCHEMAS } from './generated/schemas';
import type { AttributeValue, AuditEvent, Category } from './generated/event.types';

/** Avro's wrapped form of an attribute value (the attributes union is ambiguous for plain JS numbers). */
export type WrappedAttribute = { string: string } | { long: number } | { double: number } | { boolean: boolean } | { array: string[] };

/** An event as Avro encodes it: the same as AuditEvent except for wrapped attribute values. */
export type AvroEvent = Omit<AuditEvent, 'attributes'> & { attributes: Record<string, WrappedAttribute> };

const readerTypes = new Map<Category, avsc.Type>();

/**
 * The Avro type of a category's topic schema (the schema this build reads and writes). Its records decode as plain
 * objects (prototype Object.prototype, as JSON.parse gives them), so a decoded event needs no copy: avsc builds each
 * record with a generated constructor, and the constructors' prototypes (with avsc's record methods, omitted here) are
 * replaced by Object.prototype.
 */
export function readerType(category: Category): avsc.Type {
  let type = readerTypes.get(category);
  if (type === undefined) {
    type = avsc.Type.forSchema(TOPIC_SCHEMAS[category] as avsc.Schema, { omitRecordMethods: true });
    plainRecords(type, new Set());
    readerTypes.set(category, type);
  }
  return type;
}

/** Makes every record type under `type` construct plain objects. */
function plainRecords(type: avsc.Type, seen: Set<avsc.Type>): void {
  if (seen.has(type)) return;
  seen.add(type);
  if (type instanceof avsc.types.RecordType) {
    // A generated `function` constructor: `new` takes whatever its prototype property holds at the call.
    (type.recordConstructor as { prototype: object }).prototype = Object.prototype;
    for (const field of type.fields) plainRecords(field.type, seen);
  } else if (type instanceof avsc.types.UnwrappedUnionType || type instanceof avsc.types.WrappedUnionType) {
    for (const branch of type.types) plainRecords(branch, seen);
  } else if (type instanceof avsc.types.ArrayType) {
    plainRecords(type.itemsType, seen);
  } else if (type instanceof avsc.types.MapType) {
    plainRecords(type.valuesType as avsc.Type, seen);
  }
}

/** Wraps one plain attribute value; undefined when the value is not a supported attribute type. */
export function wrapAttribute(value: unknown): WrappedAttribute | undefined {
  switch (typeof value) {
    case 'string':
      return { string: value };
    case 'boolean':
      return { boolean: value };
    case 'number':
      if (!Number.isFinite(value)) return undefined;
      // avsc longs stop short of MAX_SAFE_INTEGER itself; integers beyond travel as double.
      return Number.isInteger(value) && Math.abs(value) < Number.MAX_SAFE_INTEGER ? { long: value } : { double: value };
    case 'object':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? { array: value } : undefined;
    default:
      return undefined;
  }
}

export function unwrapAttribute(value: WrappedAttribute): AttributeValue {
  if ('string' in value) return value.string;
  if ('long' in value) return value.long;
  if ('double' in value) return value.double;
  if ('boolean' in value) return value.boolean;
  return value.array;
}

export function toAvro(event: AuditEvent): AvroEvent {
  const attributes: Record<string, WrappedAttribute> = {};
  for (const [key, value] of Object.entries(event.attributes)) {
    const wrapped = wrapAttribute(value);
    if (wrapped === undefined) throw new TypeError(`attributes.${key}: unsupported value`);
    attributes[key] = wrapped;
  }
  return { ...event, attributes };
}

/**
 * A decoded value as JSON would give it back, without the round trip through text: plain objects for avsc's record
 * instances, no undefined fields, and a number JSON cannot hold (NaN, Infinity) as null.
 */
function plain(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : plain(item)));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) out[key] = plain(field);
  }
  return out;
}

/**
 * A record just decoded by a `readerType` (plain objects already) as an event. It consumes the record: its attribute
 * values are unwrapped in place (a number JSON cannot hold, NaN or Infinity, becoming null: only attributes carry
 * doubles) and the record itself is returned, so call it once per decode. No copy is made: every consumer decodes
 * every event through this, and copying each decoded event was about a tenth of a connector's work.
 */
export function fromReaderRecord(record: AvroEvent): AuditEvent {
  const attributes = record.attributes as Record<string, WrappedAttribute | AttributeValue | null>;
  // Own keys only, as before: a `__proto__` key in a hostile message sets the map's prototype rather than a value.
  for (const key of Object.keys(attributes)) {
    const value = unwrapAttribute(attributes[key] as WrappedAttribute);
    attributes[key] = typeof value === 'number' && !Number.isFinite(value) ? null : value;
  }
  // avsc fills a map with `map[key] = value`, so that key made a branch object the map's prototype: a plain map again.
  if (Object.getPrototypeOf(attributes) !== Object.prototype) Object.setPrototypeOf(attributes, Object.prototype);
  return record as unknown as AuditEvent;
}

/** Any Avro record of an event (e.g. one decoded by another version of a schema) as a plain event, copied. */
export function fromAvro(record: AvroEvent): AuditEvent {
  const attributes: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(record.attributes)) attributes[key] = unwrapAttribute(value);
  // Avro records decode as class instances; a plain object serialises and compares like any other. Copied field by
  // field: JSON.parse(JSON.stringify(...)) did the same at several times the cost, on every event every consumer reads.
  return plain({ ...record, attributes }) as AuditEvent;
}

/**
 * The payload with every field of the category's payload record present (defaults for the missing
 * ones), so an event a producer holds is identical to the event consumers decode.
 */
export function completePayload(category: Category, payload: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (payload === null || payload === undefined || typeof payload !== 'object') return payload ?? null;
  const union = (readerType(category) as avsc.types.RecordType).field('payload')?.type as avsc.types.UnwrappedUnionType | undefined;
  const record = union?.types.find((t) => t.typeName === 'record') as avsc.types.RecordType | undefined;
  if (record === undefined) return payload;
  const complete: Record<string, unknown> = { ...payload };
  for (const field of record.fields) {
    if (complete[field.name] === undefined) complete[field.name] = field.defaultValue() as unknown;
  }
  return complete;
}

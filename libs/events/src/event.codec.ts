import avsc from 'avsc';
import { fromReaderRecord, readerType, toAvro, type AvroEvent } from './avro.codec';
import { categoryOfTopic, subjectFor } from './event-catalog.service';
import { AvroBoundsValidator, DEFAULT_AVRO_BOUNDS, type AvroBounds } from './avro-bounds.validator';
import { EventDecodeException, SchemaFormatException, SchemaRegistryException } from './event.exception';
import { TOPIC_SCHEMAS } from './generated/schemas';
import type { AuditEvent, Category } from './generated/event.types';

/**
 * What the codec needs from a schema registry. Defined here, implemented by `RegistryHttpClient` in libs/kafka,
 * so the event library never depends on the Kafka library.
 */
export interface SchemaRegistryPort {
  register(subject: string, schema: object): Promise<number>;
  lookup(subject: string, schema: object): Promise<number | undefined>;
  /** The writer schema of an id; rejects with SchemaFormatException when it is not an Avro schema. */
  schemaById(id: number): Promise<object>;
}

const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;
/** Where encodeWithId writes before copying the event out; grown when an event does not fit, and kept that size. */
let scratch = Buffer.allocUnsafe(64 * 1024);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface EventCodecOptions {
  /**
   * `register`: register this build's schema on first use (producers, CLI `schemas apply`).
   * `lookup`: only look its id up; a subject that lacks the schema is an error (locked-down registries).
   */
  schemaIds: 'register' | 'lookup';
  /** Size and nesting bounds of a message (default DEFAULT_AVRO_BOUNDS). */
  bounds?: AvroBounds;
}

interface Reader {
  writer: avsc.Type;
  /** Undefined when the writer schema is the reader's (its canonical form): avsc then reads without resolving. */
  resolver: avsc.Resolver | undefined;
  /** Whether the writer's record starts with `id` (a string) and `time` (a long): `peekTime` reads them from the bytes. */
  timeSecond: boolean;
}

/** Whether a record type's first fields are `id: string` and `time: long` (every category of this build's). */
function startsWithIdAndTime(type: avsc.Type): boolean {
  const fields = (type as avsc.Type & { fields?: { name: string; type: avsc.Type }[] }).fields ?? [];
  const [id, time] = fields;
  return id?.name === 'id' && id.type.typeName.endsWith('string') && time?.name === 'time' && time.type.typeName.endsWith('long');
}

/**
 * Avro in Confluent framing (magic byte, 4-byte schema id, body) for audit events, with schema ids
 * and writer schemas cached after their first registry round trip. Decoding resolves the writer's
 * schema to this build's reader schema, so old and new producers and consumers interoperate.
 */
export class EventCodec {
  private readonly ids = new Map<Category, Promise<number>>();
  /** The ids of `ids` that resolved, for callers that encode without awaiting (knownSchemaId). */
  private readonly resolvedIds = new Map<Category, number>();
  private readonly writers = new Map<number, Promise<avsc.Type>>();
  /** Readers by writer schema id, then category: looked up for every message, so without building a key. */
  private readonly readers = new Map<number, Map<Category, Reader>>();
  private readonly bounds: AvroBounds;

  constructor(
    private readonly registry: SchemaRegistryPort,
    private readonly options: EventCodecOptions = { schemaIds: 'register' },
  ) {
    this.bounds = options.bounds ?? DEFAULT_AVRO_BOUNDS;
  }

  /** The registry id of this build's schema for a category (cached; concurrent callers share one request). */
  schemaId(category: Category): Promise<number> {
    let id = this.ids.get(category);
    if (id === undefined) {
      id = this.resolveId(category);
      this.ids.set(category, id);
      id.then(
        (resolved) => this.resolvedIds.set(category, resolved),
        () => this.ids.delete(category), // retry on the next call instead of caching a failure
      );
    }
    return id;
  }

  /** The id schemaId() already resolved for a category, or undefined: lets a publisher encode without a promise. */
  knownSchemaId(category: Category): number | undefined {
    return this.resolvedIds.get(category);
  }

  /** Encodes a valid event (see validateEvent) of any category. */
  async encode(event: AuditEvent): Promise<Buffer> {
    return this.encodeWithId(await this.schemaId(event.category), event);
  }

  encodeWithId(schemaId: number, event: AuditEvent): Buffer {
    const type = readerType(event.category);
    const avro = toAvro(event);
    // Written into a scratch buffer after the header, then copied out once: one allocation per event, not two.
    let end = type.encode(avro, scratch, HEADER_BYTES);
    if (end < 0) {
      scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
      end = type.encode(avro, scratch, HEADER_BYTES);
    }
    scratch.writeUInt8(MAGIC_BYTE, 0);
    scratch.writeInt32BE(schemaId, 1);
    return Buffer.from(scratch.subarray(0, end));
  }

  /**
   * Decodes a message of an `audit.<category>` topic. Throws EventDecodeException naming why the
   * message cannot be an event: framing, an unknown schema id, undecodable Avro, or envelope rules.
   */
  async decode(value: Buffer | null, topic: string): Promise<AuditEvent> {
    const category = categoryOfTopic(topic);
    if (category === undefined) throw new EventDecodeException(`topic ${topic} is not an audit category topic`, 'envelope');
    return this.decodeAs(value, category);
  }

  /**
   * A message's event time (`time`, epoch microseconds) read from its bytes without decoding it, for a reader that
   * skips events by time (a replay's start): undefined unless its writer schema was seen already and starts with `id`
   * and `time`, and the bytes hold them. Undefined means "decode it to know", never "skip it"; a time peeked from a
   * message that would not decode is still that message's claim, and such a message is skipped like any other.
   */
  peekTime(value: Buffer | null, category: Category): number | undefined {
    if (value === null || value.length < HEADER_BYTES + 2 || value.readUInt8(0) !== MAGIC_BYTE) return undefined;
    const reader = this.readers.get(value.readInt32BE(1))?.get(category);
    if (reader?.timeSecond !== true) return undefined;
    return AvroBoundsValidator.longAfterString(value, HEADER_BYTES);
  }

  /** Decodes a message as an event of the given category, whatever topic it came from. */
  async decodeAs(value: Buffer | null, category: Category): Promise<AuditEvent> {
    if (value === null || value.length < HEADER_BYTES || value.readUInt8(0) !== MAGIC_BYTE) {
      throw new EventDecodeException('message is not in Confluent wire format (magic byte 0 + schema id)', 'framing');
    }
    if (value.length > this.bounds.maxBytes)
      throw new EventDecodeException(`message of ${value.length} bytes exceeds the bound of ${this.bounds.maxBytes}`, 'too-large');
    const schemaId = value.readInt32BE(1);
    // A cached reader is taken without awaiting: an await per message was a microtask per event read.
    const { writer, resolver } = this.readers.get(schemaId)?.get(category) ?? (await this.reader(schemaId, category));
    const body = value.subarray(HEADER_BYTES);
    // Before avsc sees the body: it allocates for whatever counts the body claims.
    AvroBoundsValidator.check(writer, body, this.bounds);
    let record: AvroEvent;
    try {
      record = readerType(category).fromBuffer(body, resolver) as AvroEvent;
    } catch (err) {
      throw new EventDecodeException(`undecodable Avro for schema id ${schemaId}: ${(err as Error).message}`, 'avro');
    }
    const event = fromReaderRecord(record);
    if (event.category !== category) throw new EventDecodeException(`event category "${event.category}" read as ${category}`, 'envelope');
    if (!UUID.test(event.id)) throw new EventDecodeException(`event id "${event.id.slice(0, 64)}" is not a UUID`, 'envelope');
    if (event.tenantId === '') throw new EventDecodeException('event has an empty tenantId', 'envelope');
    return event;
  }

  private async resolveId(category: Category): Promise<number> {
    const subject = subjectFor(category);
    const schema = TOPIC_SCHEMAS[category];
    try {
      if (this.options.schemaIds === 'register') return await this.registry.register(subject, schema);
      const id = await this.registry.lookup(subject, schema);
      if (id === undefined)
        throw new SchemaRegistryException(`subject ${subject} does not hold this build's schema; run \`npm run vigil -- schemas apply\``);
      return id;
    } catch (err) {
      if (err instanceof SchemaRegistryException) throw err;
      throw new SchemaRegistryException(
        `cannot get the schema id of ${subject}: ${(err as Error).message}`,
        (err as { status?: number }).status,
      );
    }
  }

  private async reader(schemaId: number, category: Category): Promise<Reader> {
    const cached = this.readers.get(schemaId)?.get(category);
    if (cached !== undefined) return cached;
    const writer = await this.writer(schemaId);
    let resolver: avsc.Resolver | undefined;
    try {
      // Nearly every message was written with this build's own schema: reading it through a resolver cost about 4 % of a
      // decode. Equal canonical forms (names, types, field order; not docs or defaults) read alike without one.
      const reader = readerType(category);
      resolver = writer.equals(reader) ? undefined : reader.createResolver(writer);
    } catch (err) {
      throw new EventDecodeException(
        `schema id ${schemaId} cannot be read as a ${category} event: ${(err as Error).message}`,
        'bad-schema',
      );
    }
    const reader = { writer, resolver, timeSecond: startsWithIdAndTime(writer) };
    const byCategory = this.readers.get(schemaId) ?? new Map<Category, Reader>();
    byCategory.set(category, reader);
    this.readers.set(schemaId, byCategory);
    return reader;
  }

  private writer(schemaId: number): Promise<avsc.Type> {
    let writer = this.writers.get(schemaId);
    if (writer === undefined) {
      writer = this.registry.schemaById(schemaId).then(
        (schema) => {
          try {
            return avsc.Type.forSchema(schema as avsc.Schema);
          } catch (err) {
            throw new EventDecodeException(`schema id ${schemaId} is not a valid Avro schema: ${(err as Error).message}`, 'bad-schema');
          }
        },
        (err: unknown) => {
          if (err instanceof SchemaFormatException) throw new EventDecodeException(err.message, 'bad-schema');
          const status = (err as { status?: number }).status;
          if (status === 404) throw new EventDecodeException(`schema id ${schemaId} is not in the registry`, 'unknown-schema');
          throw new SchemaRegistryException(`cannot fetch schema id ${schemaId}: ${(err as Error).message}`, status);
        },
      );
      this.writers.set(schemaId, writer);
      // Only a definite answer is cached; a registry outage is retried on the next message.
      writer.catch((err: unknown) => {
        if (!(err instanceof EventDecodeException)) this.writers.delete(schemaId);
      });
    }
    return writer;
  }
}

import type avsc from 'avsc';
import { EventDecodeException } from './event.exception';

/** Limits of one message body; beyond them a message is a decode error, never an allocation. */
export interface AvroBounds {
  /** Bytes of the whole message (framing included). */
  maxBytes: number;
  /** Nesting of records, arrays, maps and unions. */
  maxDepth: number;
  /** Items of one array or map whose items take no bytes (e.g. nulls); other counts are bounded by the bytes left. */
  maxEmptyItems: number;
}

export const DEFAULT_AVRO_BOUNDS: AvroBounds = { maxBytes: 4 * 1024 * 1024, maxDepth: 32, maxEmptyItems: 100_000 };

/** The fewest bytes a value of the type takes, so a claimed item count can be checked against the bytes left. */
function minBytes(type: avsc.Type, seen = new Set<avsc.Type>()): number {
  if (seen.has(type)) return 0;
  seen.add(type);
  const t = type as unknown as Record<string, unknown>;
  switch (type.typeName) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return t['size'] as number;
    case 'record':
    case 'error':
      return (t['fields'] as { type: avsc.Type }[]).reduce((sum, f) => sum + minBytes(f.type, seen), 0);
    default:
      if (type.typeName.startsWith('logical:')) return minBytes(t['underlyingType'] as avsc.Type, seen);
      // boolean, int, long, enum, string, bytes, array, map, union: at least one byte (a varint or a length)
      return 1;
  }
}

/**
 * Walks an Avro body against its writer schema before avsc decodes it: every block count, length and union or
 * enum index is checked against the bytes left (avsc would allocate first: a claimed 2^40 array items exhaust the
 * heap), and nesting is bounded. Cost: one pass over the bytes, no allocation beyond the walk.
 */
export class AvroBoundsValidator {
  private pos = 0;
  private readonly minSizes = new Map<avsc.Type, number>();

  private constructor(
    private readonly buf: Buffer,
    private readonly bounds: AvroBounds,
  ) {}

  /** Throws EventDecodeException (`too-large`, `too-deep` or `avro`) when the body cannot be decoded within bounds. */
  static check(type: avsc.Type, body: Buffer, bounds: AvroBounds = DEFAULT_AVRO_BOUNDS): void {
    new AvroBoundsValidator(body, bounds).value(type, 0);
  }

  private fail(rule: string): never {
    throw new EventDecodeException(`Avro body ${rule} (at byte ${this.pos} of ${this.buf.length})`, 'avro');
  }

  private left(): number {
    return this.buf.length - this.pos;
  }

  /** A zigzag varint as a JS number (exact up to 2^53, which is all a bound needs). */
  private long(): number {
    let result = 0;
    let factor = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) this.fail('ends inside a number');
      result += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      factor *= 128;
    }
    return this.fail('has a number longer than 10 bytes');
  }

  private skip(bytes: number): void {
    if (bytes < 0 || bytes > this.left()) this.fail(`claims ${bytes} bytes where ${this.left()} are left`);
    this.pos += bytes;
  }

  private minSize(type: avsc.Type): number {
    let size = this.minSizes.get(type);
    if (size === undefined) {
      size = minBytes(type);
      this.minSizes.set(type, size);
    }
    return size;
  }

  /** Block counts of an array or map, each checked against the bytes left before any item is read. */
  private blocks(items: avsc.Type, depth: number, keyed: boolean): void {
    const perItem = this.minSize(items) + (keyed ? 1 : 0);
    for (let count = this.long(); count !== 0; count = this.long()) {
      if (count < 0) {
        count = -count;
        this.long(); // the block's byte size, which a reader may use to skip
      }
      if (perItem === 0 ? count > this.bounds.maxEmptyItems : count * perItem > this.left())
        this.fail(`claims ${count} items where ${this.left()} bytes are left`);
      for (let i = 0; i < count; i++) {
        if (keyed) this.skip(this.long());
        this.value(items, depth + 1);
      }
    }
  }

  private value(type: avsc.Type, depth: number): void {
    if (depth > this.bounds.maxDepth)
      throw new EventDecodeException(`Avro body nests deeper than ${this.bounds.maxDepth} levels`, 'too-deep');
    const t = type as unknown as Record<string, unknown>;
    switch (type.typeName) {
      case 'null':
        return;
      case 'boolean':
        return this.skip(1);
      case 'int':
      case 'long':
        this.long();
        return;
      case 'float':
        return this.skip(4);
      case 'double':
        return this.skip(8);
      case 'string':
      case 'bytes':
        return this.skip(this.long());
      case 'fixed':
        return this.skip(t['size'] as number);
      case 'enum': {
        const index = this.long();
        if (index < 0 || index >= (t['symbols'] as string[]).length) this.fail(`has enum index ${index} out of range`);
        return;
      }
      case 'record':
      case 'error':
        for (const field of t['fields'] as { type: avsc.Type }[]) this.value(field.type, depth + 1);
        return;
      case 'array':
        return this.blocks(t['itemsType'] as avsc.Type, depth, false);
      case 'map':
        return this.blocks(t['valuesType'] as avsc.Type, depth, true);
      default: {
        if (type.typeName.startsWith('union')) {
          const types = t['types'] as avsc.Type[];
          const index = this.long();
          const branch = types[index];
          if (branch === undefined) return this.fail(`has union index ${index} out of range`);
          return this.value(branch, depth + 1);
        }
        if (type.typeName.startsWith('logical:')) return this.value(t['underlyingType'] as avsc.Type, depth);
        return this.fail(`has a value of unsupported type ${type.typeName}`);
      }
    }
  }
}

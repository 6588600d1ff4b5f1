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

/** One value's check, compiled once per writer type (walking avsc's types per message cost as much as decoding). */
type Step = (walk: AvroBoundsValidator, depth: number) => void;

const compiled = new WeakMap<avsc.Type, Step>();

function compile(type: avsc.Type): Step {
  const cached = compiled.get(type);
  if (cached !== undefined) return cached;
  // Recursive schemas refer back to a type being compiled: the reference resolves once the step is built.
  let step: Step = (walk, depth) => step(walk, depth);
  compiled.set(type, (walk, depth) => step(walk, depth));
  step = build(type);
  compiled.set(type, step);
  return step;
}

function build(type: avsc.Type): Step {
  const t = type as unknown as Record<string, unknown>;
  const name = type.typeName;
  switch (name) {
    case 'null':
      return () => undefined;
    case 'boolean':
      return (walk) => walk.skip(1);
    case 'int':
    case 'long':
      return (walk) => void walk.long();
    case 'float':
      return (walk) => walk.skip(4);
    case 'double':
      return (walk) => walk.skip(8);
    case 'string':
    case 'bytes':
      return (walk) => walk.skip(walk.long());
    case 'fixed': {
      const size = t['size'] as number;
      return (walk) => walk.skip(size);
    }
    case 'enum': {
      const symbols = (t['symbols'] as string[]).length;
      return (walk) => {
        const index = walk.long();
        if (index < 0 || index >= symbols) walk.fail(`has enum index ${index} out of range`);
      };
    }
    case 'record':
    case 'error': {
      const fields = (t['fields'] as { type: avsc.Type }[]).map((f) => f.type);
      const steps: Step[] = [];
      const nested = (walk: AvroBoundsValidator, depth: number): void => {
        walk.enter(depth);
        for (const fieldStep of steps) fieldStep(walk, depth + 1);
      };
      compiled.set(type, nested);
      steps.push(...fields.map(compile));
      return nested;
    }
    case 'array':
    case 'map': {
      const items = (name === 'array' ? t['itemsType'] : t['valuesType']) as avsc.Type;
      const perItem = minBytes(items) + (name === 'map' ? 1 : 0);
      const keyed = name === 'map';
      let itemStep: Step | undefined;
      return (walk, depth) => {
        walk.enter(depth);
        itemStep ??= compile(items);
        walk.blocks(itemStep, perItem, keyed, depth);
      };
    }
    default: {
      if (name.startsWith('union')) {
        const branches = t['types'] as avsc.Type[];
        let steps: Step[] | undefined;
        return (walk, depth) => {
          walk.enter(depth);
          steps ??= branches.map(compile);
          const index = walk.long();
          const branch = steps[index];
          if (branch === undefined) return walk.fail(`has union index ${index} out of range`);
          branch(walk, depth + 1);
        };
      }
      if (name.startsWith('logical:')) return compile(t['underlyingType'] as avsc.Type);
      return (walk) => walk.fail(`has a value of unsupported type ${name}`);
    }
  }
}

/**
 * Walks an Avro body against its writer schema before avsc decodes it: every block count, length and union or
 * enum index is checked against the bytes left (avsc would allocate first: a claimed 2^40 array items exhaust the
 * heap), and nesting is bounded. Cost: one pass over the bytes, no allocation beyond the walk.
 */
export class AvroBoundsValidator {
  private pos = 0;

  private constructor(
    private readonly buf: Buffer,
    private readonly bounds: AvroBounds,
  ) {}

  /** Throws EventDecodeException (`too-deep` or `avro`) when the body cannot be decoded within bounds. */
  static check(type: avsc.Type, body: Buffer, bounds: AvroBounds = DEFAULT_AVRO_BOUNDS): void {
    compile(type)(new AvroBoundsValidator(body, bounds), 0);
  }

  fail(rule: string): never {
    throw new EventDecodeException(`Avro body ${rule} (at byte ${this.pos} of ${this.buf.length})`, 'avro');
  }

  enter(depth: number): void {
    if (depth > this.bounds.maxDepth)
      throw new EventDecodeException(`Avro body nests deeper than ${this.bounds.maxDepth} levels`, 'too-deep');
  }

  private left(): number {
    return this.buf.length - this.pos;
  }

  /** A zigzag varint as a JS number (exact up to 2^53, which is all a bound needs). */
  long(): number {
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

  skip(bytes: number): void {
    if (bytes < 0 || bytes > this.left()) this.fail(`claims ${bytes} bytes where ${this.left()} are left`);
    this.pos += bytes;
  }

  /** Block counts of an array or map, each checked against the bytes left before any item is read. */
  blocks(item: Step, perItem: number, keyed: boolean, depth: number): void {
    for (let count = this.long(); count !== 0; count = this.long()) {
      if (count < 0) {
        count = -count;
        this.long(); // the block's byte size, which a reader may use to skip
      }
      if (perItem === 0 ? count > this.bounds.maxEmptyItems : count * perItem > this.left())
        this.fail(`claims ${count} items where ${this.left()} bytes are left`);
      for (let i = 0; i < count; i++) {
        if (keyed) this.skip(this.long());
        item(this, depth + 1);
      }
    }
  }
}

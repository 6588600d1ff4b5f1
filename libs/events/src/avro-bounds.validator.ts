import type avsc from 'avsc';
import { EventDecodeException } from './event.exception';

/** Limits of one message body; beyond them a message is a decode error, never an allocation. */
export interface AvroBounds {
  /** Bytes of the whole message (framing included). */
  maxBytes: number;
  /** Nesting of records, arrays, maps and unions. */
  maxDepth: number;
  /**
   * Items whose values take no bytes (e.g. nulls, empty records), counted over the whole message: blocks may repeat
   * and arrays nest, so a bound per block would not bound the walk. Other counts are bounded by the bytes left.
   */
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

/** A writer type's whole check, compiled once per type (walking avsc's types per message cost as much as decoding). */
type Checker = (walk: AvroBoundsValidator, depth: number) => void;

const compiled = new WeakMap<avsc.Type, Checker>();

function checkerOf(type: avsc.Type): Checker {
  let checker = compiled.get(type);
  if (checker === undefined) {
    checker = generate(type);
    compiled.set(type, checker);
  }
  return checker;
}

/**
 * The check of a writer type as generated code, as avsc compiles its readers: one function per record, array, map
 * and union, calling each other directly, with the primitives' steps inline. The chain of closures it replaced, one
 * per field, took 1.1 µs an event; straight code alone saved a tenth of that, and with the one-byte path of `long`
 * the walk takes 0.33 µs. Only numbers taken from the schema (sizes, counts of symbols and branches) and names made
 * here enter the source, never a schema's strings. A recursive schema is a function that calls itself; `enter` bounds
 * the depth.
 */
function generate(root: avsc.Type): Checker {
  const names = new Map<avsc.Type, string>();
  const functions: string[] = [];

  /** The statements that check one value of `type`, whose nesting depth is the expression `depth`. */
  const statements = (type: avsc.Type, depth: string): string => {
    const t = type as unknown as Record<string, unknown>;
    const name = type.typeName;
    switch (name) {
      case 'null':
        return '';
      case 'boolean':
        return 'w.skip(1);';
      case 'int':
      case 'long':
        return 'w.long();';
      case 'float':
        return 'w.skip(4);';
      case 'double':
        return 'w.skip(8);';
      case 'string':
      case 'bytes':
        return 'w.bytes();';
      case 'fixed':
        return `w.skip(${Number(t['size'])});`;
      case 'enum':
        return `w.index(w.long(), ${(t['symbols'] as string[]).length}, 'enum');`;
      case 'record':
      case 'error':
      case 'array':
      case 'map':
        return `${functionOf(type)}(w, ${depth});`;
      default:
        if (name.startsWith('union')) return `${functionOf(type)}(w, ${depth});`;
        if (name.startsWith('logical:')) return statements(t['underlyingType'] as avsc.Type, depth);
        return `w.fail(${JSON.stringify(`has a value of unsupported type ${name}`)});`;
    }
  };

  /** The name of the function that checks a value of a record, array, map or union type, generated on first use. */
  const functionOf = (type: avsc.Type): string => {
    const known = names.get(type);
    if (known !== undefined) return known;
    const name = `c${names.size}`;
    names.set(type, name); // before the body: a recursive reference resolves to this very function
    const t = type as unknown as Record<string, unknown>;
    let body: string;
    if (type.typeName === 'record' || type.typeName === 'error') {
      const fields = (t['fields'] as { type: avsc.Type }[]).map((f) => statements(f.type, 'd + 1'));
      body = ['w.enter(d);', ...fields].join('\n  ');
    } else if (type.typeName === 'array' || type.typeName === 'map') {
      const keyed = type.typeName === 'map';
      const items = (keyed ? t['valuesType'] : t['itemsType']) as avsc.Type;
      const perItem = minBytes(items) + (keyed ? 1 : 0);
      body = [
        'w.enter(d);',
        'for (let n = w.long(); n !== 0; n = w.long()) {',
        '    if (n < 0) {',
        '      n = -n;',
        "      w.long(); // the block's byte size, which a reader may use to skip",
        '    }',
        `    w.items(n, ${perItem});`,
        `    for (let i = 0; i < n; i++) {${keyed ? ' w.bytes();' : ''} ${statements(items, 'd + 1')} }`,
        '  }',
      ].join('\n  ');
    } else {
      const branches = (t['types'] as avsc.Type[]).map((b, i) => `case ${i}: ${statements(b, 'd + 1')} return;`);
      body = [
        'w.enter(d);',
        'const i = w.long();',
        'switch (i) {',
        ...branches.map((b) => `  ${b}`),
        '}',
        `w.index(i, ${branches.length}, 'union');`,
      ].join('\n  ');
    }
    functions.push(`function ${name}(w, d) {\n  ${body}\n}`);
    return name;
  };

  const entry = `function check(w, d) {\n  ${statements(root, 'd')}\n}`;
  // The source is built above from this module's own text and numbers only (see the doc comment).
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const module = new Function(`${functions.join('\n')}\n${entry}\nreturn check;`) as () => Checker;
  return module();
}

/**
 * Walks an Avro body against its writer schema before avsc decodes it: every block count, length and union or
 * enum index is checked against the bytes left (avsc would allocate first: a claimed 2^40 array items exhaust the
 * heap), and nesting is bounded. Cost: one pass over the bytes, no allocation beyond the walk.
 */
export class AvroBoundsValidator {
  /** Items of no bytes claimed so far in this message (AvroBounds.maxEmptyItems). */
  private emptyItems = 0;

  private constructor(
    private readonly buf: Buffer,
    private readonly bounds: AvroBounds,
    private pos = 0,
  ) {}

  /** Throws EventDecodeException (`too-deep` or `avro`) when the body cannot be decoded within bounds. */
  static check(type: avsc.Type, body: Buffer, bounds: AvroBounds = DEFAULT_AVRO_BOUNDS): void {
    checkerOf(type)(new AvroBoundsValidator(body, bounds), 0);
  }

  /**
   * The long that follows a string starting at byte `at` (an event's `time` after its `id`), or undefined if the bytes
   * end first or do not hold them: a peek, for a reader that decodes whatever it cannot peek at.
   */
  static longAfterString(buf: Buffer, at: number): number | undefined {
    const walk = new AvroBoundsValidator(buf, DEFAULT_AVRO_BOUNDS, at);
    try {
      walk.bytes();
      const value = walk.long();
      // Beyond 2^53 the number is not the long the bytes hold (avsc refuses to decode one): no peek, decode it.
      return Number.isSafeInteger(value) ? value : undefined;
    } catch {
      return undefined;
    }
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
    const first = this.buf[this.pos];
    if (first !== undefined && first < 0x80) {
      // One byte, as most lengths, counts and indexes are.
      this.pos++;
      return (first >>> 1) ^ -(first & 1);
    }
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

  /** A string's or bytes' length, and as many bytes. */
  bytes(): void {
    this.skip(this.long());
  }

  /** An array's or map's block of `count` items, checked against the bytes left before any item is read. */
  items(count: number, perItem: number): void {
    if (perItem === 0) {
      this.emptyItems += count;
      if (this.emptyItems > this.bounds.maxEmptyItems)
        this.fail(`claims ${this.emptyItems} items of no bytes, over the bound of ${this.bounds.maxEmptyItems}`);
    } else if (count * perItem > this.left()) this.fail(`claims ${count} items where ${this.left()} bytes are left`);
  }

  /** An enum's symbol or a union's branch: the index must name one of `count`. */
  index(index: number, count: number, of: 'enum' | 'union'): void {
    if (index < 0 || index >= count) this.fail(`has ${of} index ${index} out of range`);
  }
}

import type avsc from 'avsc';
import { EventDecodeException } from './event.exception';

/** Nesting an Avro body may reach (records, arrays, maps, unions); audit events need fewer than 10. */
export const MAX_AVRO_DEPTH = 32;
/** Items of a zero-byte type (null, an empty record) one array or map may claim; they cost no bytes to claim. */
const MAX_FREE_ITEMS = 10_000;

function refuse(message: string): never {
  throw new EventDecodeException(`undecodable Avro: ${message}`, 'avro');
}

/** The least bytes a value of the type takes (0 for null and records of nulls); memoised per type. */
function minBytes(type: avsc.Type, memo: Map<avsc.Type, number>, depth = 0): number {
  const known = memo.get(type);
  if (known !== undefined) return known;
  if (depth > MAX_AVRO_DEPTH) return 1;
  let bytes: number;
  switch (type.typeName) {
    case 'null':
      bytes = 0;
      break;
    case 'float':
      bytes = 4;
      break;
    case 'double':
      bytes = 8;
      break;
    case 'fixed':
      bytes = (type as avsc.types.FixedType).size;
      break;
    case 'record':
    case 'error':
      bytes = (type as avsc.types.RecordType).fields.reduce((sum, f) => sum + minBytes(f.type, memo, depth + 1), 0);
      break;
    default:
      // boolean, int, long, enum, string, bytes, array, map, union: at least one byte (a varint or a block count).
      bytes = 1;
  }
  memo.set(type, bytes);
  return bytes;
}

/**
 * Walks an Avro body against its writer's type without allocating anything, and refuses it when a block
 * count or a length claims more than the bytes left can hold, when it nests deeper than MAX_AVRO_DEPTH, or
 * when it ends early. avsc itself allocates before it checks (an array claiming 2^40 items runs the process
 * out of heap), so this runs first: after it, decoding costs at most linear time and memory in the body.
 */
export function checkAvroBounds(type: avsc.Type, body: Buffer): void {
  let pos = 0;
  const memo = new Map<avsc.Type, number>();
  const left = (): number => body.length - pos;

  const readLong = (): number => {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= body.length) refuse('the body ends inside a number');
      const byte = body[pos++] ?? 0;
      result += (byte & 0x7f) * shift;
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) refuse('a number beyond 2^53');
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2; // zigzag
      }
      shift *= 128;
    }
    return refuse('a number longer than 10 bytes');
  };

  const skip = (bytes: number, what: string): void => {
    if (bytes < 0 || bytes > left()) refuse(`${what} of ${bytes} bytes with ${left()} left`);
    pos += bytes;
  };

  const walk = (t: avsc.Type, depth: number): void => {
    if (depth > MAX_AVRO_DEPTH) refuse(`nested deeper than ${MAX_AVRO_DEPTH} levels`);
    switch (t.typeName) {
      case 'null':
        return;
      case 'boolean':
        return skip(1, 'a boolean');
      case 'int':
      case 'long':
      case 'enum':
        readLong();
        return;
      case 'float':
        return skip(4, 'a float');
      case 'double':
        return skip(8, 'a double');
      case 'fixed':
        return skip((t as avsc.types.FixedType).size, 'a fixed');
      case 'string':
      case 'bytes':
        return skip(readLong(), `a ${t.typeName}`);
      case 'record':
      case 'error':
        for (const field of (t as avsc.types.RecordType).fields) walk(field.type, depth + 1);
        return;
      case 'array':
      case 'map': {
        const map = t.typeName === 'map';
        // avsc's typings declare valuesType and itemsType as any; both are Types.
        const item: avsc.Type = map ? ((t as avsc.types.MapType).valuesType as avsc.Type) : (t as avsc.types.ArrayType).itemsType;
        const itemBytes = minBytes(item, memo) + (map ? 1 : 0); // a map entry's key is a string: at least one byte
        for (;;) {
          let count = readLong();
          if (count === 0) return;
          if (count < 0) {
            count = -count;
            const size = readLong();
            if (size < 0 || size > left()) refuse(`a block of ${size} bytes with ${left()} left`);
          }
          if (itemBytes === 0 ? count > MAX_FREE_ITEMS : count * itemBytes > left()) {
            refuse(`a block claims ${count} items with ${left()} bytes left`);
          }
          for (let i = 0; i < count; i++) {
            if (map) skip(readLong(), 'a map key');
            walk(item, depth + 1);
          }
        }
      }
      default: {
        if (t.typeName.startsWith('union')) {
          const types = (t as avsc.types.UnwrappedUnionType | avsc.types.WrappedUnionType).types;
          const index = readLong();
          const branch = types[index];
          if (branch === undefined) refuse(`union branch ${index} of ${types.length}`);
          return walk(branch, depth + 1);
        }
        const underlying = (t as avsc.types.LogicalType).underlyingType as avsc.Type | undefined;
        if (underlying !== undefined) return walk(underlying, depth);
        refuse(`unsupported type ${t.typeName}`);
      }
    }
  };

  walk(type, 0);
}

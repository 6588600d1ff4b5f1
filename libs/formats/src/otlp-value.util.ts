import type { JsonValue } from './format.types';
import type { OtlpAnyValue, OtlpKeyValue } from './otlp.types';

/** A JSON value as a typed OTLP AnyValue: safe integers as `intValue` strings, other numbers as `doubleValue`. */
export function toAnyValue(value: JsonValue): OtlpAnyValue {
  if (value === null) return {};
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return numberValue(value);
  if (Array.isArray(value)) return { arrayValue: { values: value.map(toAnyValue) } };
  return { kvlistValue: { values: Object.entries(value).map(([key, item]) => ({ key, value: toAnyValue(item) })) } };
}

function numberValue(value: number): OtlpAnyValue {
  if (Number.isSafeInteger(value)) return { intValue: String(value) };
  // proto3 JSON spells the non-finite doubles as strings.
  if (Number.isNaN(value)) return { doubleValue: 'NaN' };
  if (!Number.isFinite(value)) return { doubleValue: value > 0 ? 'Infinity' : '-Infinity' };
  return { doubleValue: value };
}

export function keyValue(key: string, value: JsonValue): OtlpKeyValue {
  return { key, value: toAnyValue(value) };
}

import type { JsonObject, JsonValue } from './format.types';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Narrows a decoded value to JSON; functions, symbols, bigints and non-finite numbers become undefined. */
export function toJsonValue(value: unknown): JsonValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) return value.map((item) => toJsonValue(item) ?? null);
  if (isPlainObject(value)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const json = toJsonValue(item);
      if (json !== undefined) out[key] = json;
    }
    return out;
  }
  return undefined;
}

/** The fields of a typed payload that carry a value; nulls are left out so SIEMs see only what happened. */
export function presentFields(payload: object | null): JsonObject {
  const out: JsonObject = {};
  if (payload === null) return out;
  for (const [key, value] of Object.entries(payload)) {
    const json = toJsonValue(value);
    if (json !== undefined && json !== null) out[key] = json;
  }
  return out;
}

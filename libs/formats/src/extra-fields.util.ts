import type { AuditEvent } from '@vigil/events';
import { FormatErrorCode, FormatException } from './format.exception';
import type { ExtraFieldsOptions, JsonObject, JsonValue } from './format.types';
import { isPlainObject, toJsonValue } from './json.util';

/** Validated extra-fields configuration. */
export interface ExtraFields {
  prefix: string;
  paths: readonly string[];
}

export const DEFAULT_EXTRA_PREFIX = 'extra';

const ENVELOPE_ROOTS: ReadonlySet<string> = new Set([
  'id',
  'time',
  'observedTime',
  'tenantId',
  'category',
  'action',
  'outcome',
  'severity',
  'actor',
  'client',
  'targets',
  'http',
  'service',
  'correlationId',
  'traceId',
  'spanId',
  'description',
  'payload',
  'attributes',
]);
const PREFIX_RULE = /^[a-z][a-z0-9_]*$/;
// Top-level keys the native and ECS documents already use; a prefix must not overwrite them.
const RESERVED_PREFIXES: ReadonlySet<string> = new Set([
  ...ENVELOPE_ROOTS,
  ...['ecs', 'event', 'user', 'source', 'user_agent', 'url', 'host', 'organization', 'trace', 'span', 'message', 'labels', 'vigil'],
]);
const ATTRIBUTES = 'attributes.';

/** Checks the configured paths once, at connector start, so a typo fails with the field named. */
export function parseExtraFields(options: ExtraFieldsOptions | undefined): ExtraFields | undefined {
  if (options === undefined || options.paths.length === 0) return undefined;
  const prefix = options.prefix ?? DEFAULT_EXTRA_PREFIX;
  if (!PREFIX_RULE.test(prefix)) {
    throw new FormatException(
      FormatErrorCode.InvalidExtraPrefix,
      `extraFields.prefix "${prefix}" must be one lowercase word (letters, digits, underscores)`,
    );
  }
  if (RESERVED_PREFIXES.has(prefix)) {
    throw new FormatException(
      FormatErrorCode.InvalidExtraPrefix,
      `extraFields.prefix "${prefix}" would overwrite an output field; choose another`,
    );
  }
  options.paths.forEach((path, index) => assertPath(path, index));
  return { prefix, paths: [...options.paths] };
}

function assertPath(path: string, index: number): void {
  const segments = path.split('.');
  const root = segments[0] ?? '';
  const problem = segments.some((s) => s.length === 0)
    ? 'has an empty segment'
    : !ENVELOPE_ROOTS.has(root)
      ? `starts with "${root}", which is not an event field (${[...ENVELOPE_ROOTS].join(', ')})`
      : root === 'attributes' && segments.length < 2
        ? 'must name an attribute key (attributes.<key>)'
        : undefined;
  if (problem !== undefined) {
    throw new FormatException(FormatErrorCode.InvalidExtraField, `extraFields.paths[${index}] "${path}" ${problem}`);
  }
}

/** The configured paths that hold a value in this event, keyed by path; absent and null values are left out. */
export function pickExtraFields(event: AuditEvent, extra: ExtraFields): JsonObject {
  const out: JsonObject = {};
  for (const path of extra.paths) {
    const value = resolvePath(event, path);
    if (value !== undefined && value !== null) out[path] = value;
  }
  return out;
}

function resolvePath(event: AuditEvent, path: string): JsonValue | undefined {
  // Attribute keys are free-form and may themselves contain dots.
  if (path.startsWith(ATTRIBUTES)) {
    const key = path.slice(ATTRIBUTES.length);
    return Object.hasOwn(event.attributes, key) ? toJsonValue(event.attributes[key]) : undefined;
  }
  let current: unknown = event;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) current = /^\d+$/.test(segment) ? current[Number(segment)] : undefined;
    else if (isPlainObject(current) && Object.hasOwn(current, segment)) current = current[segment];
    else return undefined;
  }
  return toJsonValue(current);
}

// Strict checks of an OTLP/HTTP JSON ExportLogsServiceRequest, as a collector that follows the spec applies them,
// plus the encodings Vigil promises (int64 as strings, hex ids) so a regression to numbers or base64 is caught.

export type OtlpCheck = { ok: true; logRecords: Record<string, unknown>[] } | { ok: false; problem: string };

const ANY_VALUE_KEYS = new Set(['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue']);
const INT64 = /^-?\d+$/;
const UINT64 = /^\d+$/;

class OtlpProblem extends Error {}

function fail(where: string, rule: string): never {
  throw new OtlpProblem(`${where}: ${rule}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown, where: string): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : fail(where, 'must be an array');
}

function checkAnyValue(value: unknown, where: string): void {
  if (!isObject(value)) fail(where, 'AnyValue must be an object');
  const keys = Object.keys(value);
  if (keys.length > 1 || !keys.every((k) => ANY_VALUE_KEYS.has(k)))
    fail(where, `AnyValue must hold one of ${[...ANY_VALUE_KEYS].join(', ')}`);
  const v = value[keys[0] ?? ''];
  if ('stringValue' in value && typeof v !== 'string') fail(where, 'stringValue must be a string');
  if ('boolValue' in value && typeof v !== 'boolean') fail(where, 'boolValue must be a boolean');
  if ('intValue' in value && !(typeof v === 'string' && INT64.test(v))) fail(where, 'intValue must be a decimal string');
  if ('doubleValue' in value && typeof v !== 'number' && !['NaN', 'Infinity', '-Infinity'].includes(String(v)))
    fail(where, 'doubleValue must be a number');
  if ('arrayValue' in value) {
    if (!isObject(v)) fail(where, 'arrayValue must be an object with values');
    list(v['values'], `${where}.arrayValue.values`).forEach((item, i) => checkAnyValue(item, `${where}.arrayValue.values[${i}]`));
  }
  if ('kvlistValue' in value) {
    if (!isObject(v)) fail(where, 'kvlistValue must be an object with values');
    checkKeyValues(v['values'], `${where}.kvlistValue.values`);
  }
}

function checkKeyValues(value: unknown, where: string): void {
  list(value, where).forEach((kv, i) => {
    if (!isObject(kv) || typeof kv['key'] !== 'string') fail(`${where}[${i}]`, 'KeyValue needs a string key');
    checkAnyValue(kv['value'], `${where}[${i}](${kv['key']})`);
  });
}

function checkLogRecord(record: unknown, where: string): Record<string, unknown> {
  if (!isObject(record)) fail(where, 'log record must be an object');
  for (const field of ['timeUnixNano', 'observedTimeUnixNano']) {
    const v = record[field];
    if (v !== undefined && !(typeof v === 'string' && UINT64.test(v))) fail(`${where}.${field}`, 'must be a decimal string (int64)');
  }
  const severity = record['severityNumber'];
  if (severity !== undefined && !(Number.isInteger(severity) && Number(severity) >= 0 && Number(severity) <= 24)) {
    fail(`${where}.severityNumber`, 'must be an integer 0-24');
  }
  const ids: [string, RegExp][] = [
    ['traceId', /^[0-9a-f]{32}$/],
    ['spanId', /^[0-9a-f]{16}$/],
  ];
  for (const [field, rule] of ids) {
    const v = record[field];
    if (v !== undefined && v !== '' && !(typeof v === 'string' && rule.test(v))) fail(`${where}.${field}`, 'must be lowercase hex');
  }
  if (record['body'] !== undefined) checkAnyValue(record['body'], `${where}.body`);
  checkKeyValues(record['attributes'], `${where}.attributes`);
  return record;
}

/** Validates the request and returns its log records, or the first rule broken with where. */
export function checkOtlpLogsRequest(body: unknown): OtlpCheck {
  try {
    if (!isObject(body)) fail('request', 'must be an object');
    const logRecords = list(body['resourceLogs'], 'resourceLogs').flatMap((rl, r) => {
      if (!isObject(rl)) fail(`resourceLogs[${r}]`, 'must be an object');
      if (rl['resource'] !== undefined) {
        if (!isObject(rl['resource'])) fail(`resourceLogs[${r}].resource`, 'must be an object');
        checkKeyValues(rl['resource']['attributes'], `resourceLogs[${r}].resource.attributes`);
      }
      return list(rl['scopeLogs'], `resourceLogs[${r}].scopeLogs`).flatMap((sl, s) => {
        if (!isObject(sl)) fail(`resourceLogs[${r}].scopeLogs[${s}]`, 'must be an object');
        const where = `resourceLogs[${r}].scopeLogs[${s}].logRecords`;
        return list(sl['logRecords'], where).map((lr, l) => checkLogRecord(lr, `${where}[${l}]`));
      });
    });
    return { ok: true, logRecords };
  } catch (err) {
    if (err instanceof OtlpProblem) return { ok: false, problem: err.message };
    throw err;
  }
}

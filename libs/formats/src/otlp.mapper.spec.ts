import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Severity } from '@vigil/events';
import { anAuditEvent } from '@vigil/testing';
import { parseExtraFields } from './extra-fields.util';
import { OtlpMapper } from './otlp.mapper';
import type { ExportLogsServiceRequest, OtlpAnyValue, OtlpKeyValue, OtlpLogRecord } from './otlp.types';

function attribute(list: readonly OtlpKeyValue[], key: string): OtlpAnyValue | undefined {
  return list.find((kv) => kv.key === key)?.value;
}

function onlyRecord(request: ExportLogsServiceRequest): OtlpLogRecord {
  assert.equal(request.resourceLogs.length, 1);
  const record = request.resourceLogs[0]?.scopeLogs[0]?.logRecords[0];
  assert.ok(record);
  return record;
}

const ANY_VALUE_KEYS = new Set(['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue']);

/** Spec check: every AnyValue has at most one of the oneof keys, int64s are decimal strings, arrays sit under `values`. */
function assertAnyValue(value: OtlpAnyValue, where: string): void {
  const keys = Object.keys(value);
  assert.ok(keys.length <= 1 && keys.every((k) => ANY_VALUE_KEYS.has(k)), `${where}: ${JSON.stringify(value)}`);
  if ('intValue' in value) assert.match(value.intValue, /^-?\d+$/, where);
  if ('arrayValue' in value) value.arrayValue.values.forEach((v, i) => assertAnyValue(v, `${where}[${i}]`));
  if ('kvlistValue' in value) value.kvlistValue.values.forEach((kv) => assertAnyValue(kv.value, `${where}.${kv.key}`));
}

describe(OtlpMapper.name, () => {
  const mapper = new OtlpMapper();

  it('writes a Thrive-shaped record: resource attributes, int64 nanos as strings, body and hex ids', () => {
    const event = anAuditEvent({ time: 1768244683006123, observedTime: 1768244683644000, traceId: '1E47ADDFF4D86322EB51230892FFA6E3' });
    const request = mapper.toRequest([event]);
    assert.deepEqual(request.resourceLogs[0]?.resource.attributes, [
      { key: 'service.name', value: { stringValue: 'auth-service' } },
      { key: 'service.version', value: { stringValue: '26.224.0' } },
      { key: 'host.name', value: { stringValue: 'ip-10-187-39-137.eu-west-2.compute.internal' } },
      { key: 'tenant.id', value: { stringValue: 'eu-west-2_wsc5Rc5b4' } },
    ]);
    const record = onlyRecord(request);
    assert.equal(record.timeUnixNano, '1768244683006123000');
    assert.equal(record.observedTimeUnixNano, '1768244683644000000');
    assert.deepEqual(record.body, { stringValue: 'Login failed: incorrect password' });
    assert.equal(record.traceId, '1e47addff4d86322eb51230892ffa6e3');
    assert.equal(record.spanId, 'b5774431ee7650a5');
  });

  it("uses Thrive's attribute names with typed values", () => {
    const event = anAuditEvent();
    const { attributes } = onlyRecord(mapper.toRequest([event]));
    assert.deepEqual(attribute(attributes, 'event.name'), { stringValue: 'user.login.failed' });
    assert.deepEqual(attribute(attributes, 'event.id'), { stringValue: event.id });
    assert.deepEqual(attribute(attributes, 'event.category'), { stringValue: 'authentication' });
    assert.deepEqual(attribute(attributes, 'event.outcome'), { stringValue: 'failure' });
    assert.deepEqual(attribute(attributes, 'http.request.method'), { stringValue: 'POST' });
    assert.deepEqual(attribute(attributes, 'http.url'), { stringValue: '/auth/login' });
    assert.deepEqual(attribute(attributes, 'http.operation'), { stringValue: 'mutation login' });
    assert.deepEqual(attribute(attributes, 'http.response.status_code'), { intValue: '401' });
    assert.deepEqual(attribute(attributes, 'client.address'), { stringValue: '18.171.51.239' });
    assert.deepEqual(attribute(attributes, 'user.id'), { stringValue: '6006b9469145130011ec8497' });
    assert.deepEqual(attribute(attributes, 'user.name'), { stringValue: 'ada.lovelace@example.com' });
    assert.deepEqual(attribute(attributes, 'user.roles'), { arrayValue: { values: [{ stringValue: 'administrator' }] } });
    assert.match(JSON.stringify(attribute(attributes, 'user_agent.original')), /Mozilla/);
    assert.deepEqual(attribute(attributes, 'payload.authMethod'), { stringValue: 'password' });
    assert.deepEqual(attribute(attributes, 'payload.failedAttempts'), { intValue: '3' });
    assert.deepEqual(attribute(attributes, 'correlation.id'), { stringValue: 'f3e7bfca-c6c1-4ed6-b1c1-75a4d6637f6b' });
    assert.deepEqual(attribute(attributes, 'vigil.attributes.risk.score'), { doubleValue: 0.75 });
    assert.equal(attribute(attributes, 'payload.mfaMethod'), undefined, 'null payload fields are left out');
    assert.equal(
      attributes.find((kv) => kv.key === 'tenant.id'),
      undefined,
      'tenant.id is a resource attribute',
    );
  });

  it('emits only spec-valid AnyValues, including booleans, empty arrays and targets', () => {
    const event = anAuditEvent({ attributes: { flag: true, empty: [], big: 2 ** 60, ratio: 1.5 } });
    const request = JSON.parse(mapper.encodeBatch([event])) as ExportLogsServiceRequest;
    const record = onlyRecord(request);
    record.attributes.forEach((kv) => assertAnyValue(kv.value, kv.key));
    assert.deepEqual(attribute(record.attributes, 'vigil.attributes.flag'), { boolValue: true });
    assert.deepEqual(attribute(record.attributes, 'vigil.attributes.empty'), { arrayValue: { values: [] } });
    assert.deepEqual(attribute(record.attributes, 'vigil.attributes.big'), { doubleValue: 2 ** 60 });
    assert.ok(attribute(record.attributes, 'vigil.targets'));
  });

  it('maps Vigil severities into the OpenTelemetry ranges', () => {
    const cases: [Severity, number, string][] = [
      ['INFO', 9, 'INFO'],
      ['LOW', 10, 'INFO2'],
      ['MEDIUM', 13, 'WARN'],
      ['HIGH', 17, 'ERROR'],
      ['CRITICAL', 21, 'FATAL'],
    ];
    for (const [severity, number, text] of cases) {
      const record = onlyRecord(mapper.toRequest([anAuditEvent({ severity })]));
      assert.deepEqual([record.severityNumber, record.severityText], [number, text], severity);
    }
  });

  it('groups events by resource, keeping arrival order within each', () => {
    const a1 = anAuditEvent();
    const b = anAuditEvent({ service: { name: 'user-service', version: null, host: null } });
    const a2 = anAuditEvent();
    const otherTenant = anAuditEvent({ tenantId: 'eu-west-2_eAkPBhZ36' });
    const { resourceLogs } = mapper.toRequest([a1, b, a2, otherTenant]);
    assert.equal(resourceLogs.length, 3);
    const ids = resourceLogs.map((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => attribute(l.attributes, 'event.id'))));
    assert.deepEqual(ids, [[{ stringValue: a1.id }, { stringValue: a2.id }], [{ stringValue: b.id }], [{ stringValue: otherTenant.id }]]);
    assert.deepEqual(
      resourceLogs[1]?.resource.attributes.map((kv) => kv.key),
      ['service.name', 'tenant.id'],
    );
  });

  it('drops a malformed trace id from the record but keeps it as an attribute', () => {
    const record = onlyRecord(mapper.toRequest([anAuditEvent({ traceId: 'not-a-trace', spanId: '0000000000000000' })]));
    assert.equal(record.traceId, undefined);
    assert.equal(record.spanId, undefined);
    assert.deepEqual(attribute(record.attributes, 'vigil.trace_id'), { stringValue: 'not-a-trace' });
  });

  it('adds extra fields as prefixed attributes', () => {
    const withExtra = new OtlpMapper(parseExtraFields({ paths: ['actor.type', 'attributes.login.form'], prefix: 'claims' }));
    const { attributes } = onlyRecord(withExtra.toRequest([anAuditEvent()]));
    assert.deepEqual(attribute(attributes, 'claims.actor.type'), { stringValue: 'USER' });
    assert.deepEqual(attribute(attributes, 'claims.attributes.login.form'), { stringValue: 'web' });
  });

  it('uses the action as body when there is no description', () => {
    const record = onlyRecord(mapper.toRequest([anAuditEvent({ description: null })]));
    assert.deepEqual(record.body, { stringValue: 'user.login.failed' });
  });
});

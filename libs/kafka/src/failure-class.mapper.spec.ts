import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { EventDecodeException, SchemaRegistryException } from '@vigil/events';
import { classifyFailure, NotTheEventsError } from './failure-class.mapper';

function pgError(code: string, message = `pg ${code}`): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -1, syscall: 'connect' });
}

/** Every case the host must tell apart, and what it must do with it: the table of docs/consumer-host.md. */
const cases: [name: string, error: unknown, expected: string][] = [
  ['framing', new EventDecodeException('no magic byte', 'framing'), 'data:framing'],
  ['unknown schema id (registry said 404)', new EventDecodeException('not in the registry', 'unknown-schema'), 'data:unknown-schema'],
  ['non-Avro schema id', new EventDecodeException('a PROTOBUF schema', 'bad-schema'), 'data:bad-schema'],
  ['giant block count', new EventDecodeException('claims 2^40 items', 'avro'), 'data:avro'],
  ['message too large', new EventDecodeException('exceeds the bound', 'too-large'), 'data:too-large'],
  ['nesting too deep', new EventDecodeException('nests deeper', 'too-deep'), 'data:too-deep'],
  ['envelope rule', new EventDecodeException('empty tenantId', 'envelope'), 'data:envelope'],
  ['registry outage', new SchemaRegistryException('not reachable'), 'transient:registry-unavailable'],
  ['registry 503', new SchemaRegistryException('HTTP 503', 503), 'transient:registry-unavailable'],
  ['22021 invalid byte sequence', pgError('22021'), 'data:store-data'],
  ['22P05 untranslatable character (NUL)', pgError('22P05'), 'data:store-data'],
  ['22008 datetime field overflow', pgError('22008'), 'data:store-data'],
  ['23502 not-null violation', pgError('23502'), 'data:store-integrity'],
  ['23514 check violation', pgError('23514'), 'data:store-integrity'],
  ['23505 unique violation (not the (time, id) conflict, which never raises)', pgError('23505'), 'data:store-integrity'],
  [
    '54000 index row size exceeds btree maximum',
    pgError('54000', 'index row size 3120 exceeds btree version 4 maximum 2704'),
    'data:store-limit',
  ],
  ['54001 statement too complex', pgError('54001'), 'data:store-limit'],
  ['08006 connection failure', pgError('08006'), 'transient:database-unavailable'],
  ['08001 cannot connect', pgError('08001'), 'transient:database-unavailable'],
  ['40001 serialization failure', pgError('40001'), 'transient:database-conflict'],
  ['40P01 deadlock', pgError('40P01'), 'transient:database-conflict'],
  ['57P01 admin shutdown', pgError('57P01'), 'transient:database-unavailable'],
  ['57P02 crash shutdown', pgError('57P02'), 'transient:database-unavailable'],
  ['57P03 cannot connect now', pgError('57P03'), 'transient:database-unavailable'],
  ['53300 too many connections', pgError('53300'), 'transient:database-resources'],
  ['a failure no event is to blame for', new NotTheEventsError('stopping'), 'transient:not-the-events'],
  ['53100 disk full', pgError('53100'), 'transient:database-resources'],
  ['42P01 undefined table (a bug, not the event)', pgError('42P01'), 'unknown'],
  ['57014 query canceled', pgError('57014'), 'unknown'],
  ['pg connection lost without SQLSTATE', new Error('Connection terminated unexpectedly'), 'transient:database-unavailable'],
  ['pg pool timeout', new Error('timeout exceeded when trying to connect'), 'transient:database-unavailable'],
  ['ECONNREFUSED', systemError('ECONNREFUSED'), 'transient:network'],
  ['ECONNRESET', systemError('ECONNRESET'), 'transient:network'],
  ['EPIPE (five letters, not a SQLSTATE)', systemError('EPIPE'), 'transient:network'],
  ['kafka connection', new KafkaJSConnectionError('broker down'), 'transient:kafka-unavailable'],
  [
    'kafka retries exhausted',
    new KafkaJSNumberOfRetriesExceeded(new Error('timeout'), { retryCount: 5, retryTime: 1000 }),
    'transient:kafka-unavailable',
  ],
  ['kafka protocol', new KafkaJSProtocolError('NOT_LEADER_FOR_PARTITION'), 'transient:kafka-unavailable'],
  ['TypeError in a handler', new TypeError("Cannot read properties of undefined (reading 'id')"), 'unknown'],
  ['RangeError', new RangeError('Invalid array length'), 'unknown'],
  ['a string thrown', 'boom', 'unknown'],
  ['undefined thrown', undefined, 'unknown'],
];

describe('classifyFailure', () => {
  for (const [name, error, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      const failure = classifyFailure(error);
      assert.equal(failure.kind === 'unknown' ? 'unknown' : `${failure.kind}:${failure.reason}`, expected);
    });
  }

  it('keeps the SQLSTATE in the detail a dead letter carries', () => {
    assert.match(
      classifyFailure(pgError('54000', 'index row size 3120 exceeds btree version 4 maximum 2704')).detail,
      /2704 \(SQLSTATE 54000\)/,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ConnectorErrorCode, type ConnectorDefinition } from '@vigil/connector';
import { createSink, hasSink, SINK_SPECS } from './sink.catalog';

describe('createSink', () => {
  it('refuses a connector type Vigil has no sink for with a coded exception', () => {
    const connector = { name: 'es', type: 'elasticsearch' } as ConnectorDefinition;
    assert.throws(() => createSink(connector, pino({ level: 'silent' })), {
      code: ConnectorErrorCode.UNSUPPORTED,
      message: 'connectors of type elasticsearch are not implemented yet',
    });
  });

  it('ships a sink for exactly the types of its specs', () => {
    assert.deepEqual(
      SINK_SPECS.map((spec) => spec.type),
      ['splunk', 'http', 'datadog', 'sentinel'],
    );
    assert.equal(hasSink('splunk') && hasSink('http') && hasSink('datadog') && hasSink('sentinel') && !hasSink('elasticsearch'), true);
  });
});

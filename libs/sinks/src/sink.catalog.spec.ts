import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONNECTOR_TYPES } from '@vigil/connector';
import { hasSink, SINK_SPECS } from './sink.catalog';

describe('createSink', () => {
  it('ships a sink for every connector type, one spec each', () => {
    assert.deepEqual(SINK_SPECS.map((spec) => spec.type).sort(), [...CONNECTOR_TYPES].sort());
    assert.ok(CONNECTOR_TYPES.every(hasSink));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anAuditEvent } from '@vigil/testing';
import { FormatErrorCode } from './format.exception';
import { mapperFor, mapperForName } from './format.factory';
import { OUTPUT_FORMATS } from './format.types';

describe(mapperFor.name, () => {
  it('gives every format a mapper whose batch body is valid JSON text of its kind', () => {
    const events = [anAuditEvent(), anAuditEvent()];
    for (const format of OUTPUT_FORMATS) {
      const mapper = mapperFor(format);
      assert.equal(mapper.format, format);
      const body = mapper.encodeBatch(events);
      for (const id of events.map((e) => e.id)) assert.ok(body.includes(id), `${format} body carries ${id}`);
      if (format !== 'hec') assert.doesNotThrow(() => JSON.parse(body) as unknown, format);
    }
  });

  it('validates extra fields when the mapper is made', () => {
    assert.throws(() => mapperFor('ecs', { extraFields: { paths: ['nope'] } }), { code: FormatErrorCode.InvalidExtraField });
  });

  it('rejects an unknown format name with the valid ones listed', () => {
    assert.throws(() => mapperForName('splunk'), { code: FormatErrorCode.UnknownFormat, message: /native, ecs, otlp, hec/ });
    assert.equal(mapperForName('otlp').format, 'otlp');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anAuditEvent } from '@vigil/testing';
import { parseExtraFields, pickExtraFields } from './extra-fields.util';
import { FormatErrorCode, FormatException } from './format.exception';

describe(pickExtraFields.name, () => {
  it('copies envelope, payload and attribute values by dotted path, attribute keys with dots included', () => {
    const extra = parseExtraFields({
      paths: ['tenantId', 'actor.name', 'payload.failureReason', 'attributes.login.form', 'targets.0.id', 'client.ip'],
    });
    assert.ok(extra);
    assert.deepEqual(pickExtraFields(anAuditEvent(), extra), {
      tenantId: 'eu-west-2_wsc5Rc5b4',
      'actor.name': 'ada.lovelace@example.com',
      'payload.failureReason': 'Incorrect Password',
      'attributes.login.form': 'web',
      'targets.0.id': '6006b9469145130011ec8497',
      'client.ip': '18.171.51.239',
    });
  });

  it('leaves out paths the event has no value for', () => {
    const extra = parseExtraFields({ paths: ['payload.mfaMethod', 'attributes.nope', 'client.ip', 'actor.name.first'] });
    assert.ok(extra);
    assert.deepEqual(pickExtraFields(anAuditEvent({ client: null }), extra), {});
  });
});

describe(parseExtraFields.name, () => {
  it('defaults the prefix and ignores an empty list', () => {
    assert.equal(parseExtraFields({ paths: ['id'] })?.prefix, 'extra');
    assert.equal(parseExtraFields({ paths: [] }), undefined);
    assert.equal(parseExtraFields(undefined), undefined);
  });

  it('names the bad path and the rule', () => {
    const rejects = (paths: string[], message: RegExp): void =>
      assert.throws(
        () => parseExtraFields({ paths }),
        (err: unknown) => err instanceof FormatException && err.code === FormatErrorCode.InvalidExtraField && message.test(err.message),
      );
    rejects(['id', 'user.email'], /extraFields\.paths\[1\] "user\.email" starts with "user"/);
    rejects(['actor..name'], /empty segment/);
    rejects(['attributes'], /attributes\.<key>/);
  });

  it('rejects a prefix that is not one word or would overwrite an output field', () => {
    for (const prefix of ['Claims', 'a.b', 'event', 'actor']) {
      assert.throws(() => parseExtraFields({ paths: ['id'], prefix }), { code: FormatErrorCode.InvalidExtraPrefix });
    }
  });
});

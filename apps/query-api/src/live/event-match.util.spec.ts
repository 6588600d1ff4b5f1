import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anAuditEvent } from '@vigil/testing';
import { validateCriteria } from '../events/event-filter.validator';
import { TenantScope } from '../events/tenant-scope.types';
import { eventMatches } from './event-match.util';

const event = anAuditEvent({ tenantId: 't1' });
const matches = (criteria: Parameters<typeof validateCriteria>[0], scope = TenantScope.tenant('t1')) =>
  eventMatches(scope, validateCriteria(criteria), event);

describe(eventMatches.name, () => {
  it('never matches another tenant’s event, whatever the filter', () => {
    assert.equal(matches({}, TenantScope.tenant('t2')), false);
    assert.equal(matches({}, TenantScope.all()), true);
  });

  it('applies the filters as the SQL does', () => {
    assert.equal(matches({}), true);
    assert.equal(matches({ actions: ['user.login.*'] }), true);
    assert.equal(matches({ actions: ['user.logout.*', 'user.login.failed'] }), true);
    assert.equal(matches({ actions: ['user.log.*'] }), false);
    assert.equal(matches({ outcome: 'SUCCESS' }), false);
    assert.equal(matches({ clientIp: '18.171.0.0/16' }), true);
    assert.equal(matches({ clientIp: '18.172.0.0/16' }), false);
    assert.equal(matches({ clientIp: '18.171.51.239' }), true);
    assert.equal(matches({ targetType: 'user', targetId: '6006b9469145130011ec8497' }), true);
    assert.equal(matches({ targetType: 'role' }), false);
    assert.equal(matches({ text: 'INCORRECT' }), true);
    assert.equal(matches({ text: 'web' }), true, 'attributes are searched too');
    assert.equal(matches({ categories: ['object-access'] }), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anAuditEvent } from '@vigil/testing';
import { eventFilter, matchesAction } from './event-filter.util';

describe('matchesAction', () => {
  it('matches glob patterns on dotted actions', () => {
    assert.ok(matchesAction('user.login.failed', 'user.login.*'));
    assert.ok(matchesAction('user.login.failed', '*.failed'));
    assert.ok(matchesAction('user.login.failed', '*'));
    assert.ok(matchesAction('user.login.failed', 'user.*'));
    assert.ok(!matchesAction('user.logout', 'user.login.*'));
    assert.ok(!matchesAction('user.login', 'user.login.*'));
    assert.ok(!matchesAction('userxlogin.failed', 'user.login.*'), 'a dot is literal');
  });
});

describe('eventFilter', () => {
  it('keeps included, not excluded actions at or above the minimum severity', () => {
    const accepts = eventFilter({ include: ['user.login.*'], exclude: ['user.login.succeeded'], minSeverity: 'MEDIUM' });
    assert.ok(accepts(anAuditEvent({ action: 'user.login.failed', severity: 'MEDIUM' })));
    assert.ok(accepts(anAuditEvent({ action: 'user.login.failed', severity: 'CRITICAL' })));
    assert.ok(!accepts(anAuditEvent({ action: 'user.login.failed', severity: 'LOW' })));
    assert.ok(!accepts(anAuditEvent({ action: 'user.login.succeeded', severity: 'HIGH' })));
    assert.ok(!accepts(anAuditEvent({ action: 'user.logout', severity: 'HIGH' })));
  });
});

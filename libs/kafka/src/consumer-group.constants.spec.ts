import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectorOfGroup, ConsumerGroups } from './consumer-group.constants';

describe('ConsumerGroups', () => {
  it('keeps the group names operators and checkpoints rely on', () => {
    assert.equal(ConsumerGroups.materializer, 'vigil-materializer');
    assert.equal(ConsumerGroups.connector('splunk-eu'), 'vigil-connector-splunk-eu');
    assert.equal(ConsumerGroups.replay('splunk-eu'), 'vigil-replay-splunk-eu');
    assert.equal(ConsumerGroups.rebuild('public'), 'vigil-rebuild-public');
    assert.match(ConsumerGroups.reader(), /^vigil-cli-reader-[0-9a-f-]{36}$/);
  });

  it('names the connector of its live and replay groups, and none for the materializer', () => {
    assert.equal(connectorOfGroup(ConsumerGroups.connector('a-b')), 'a-b');
    assert.equal(connectorOfGroup(ConsumerGroups.replay('a-b')), 'a-b');
    assert.equal(connectorOfGroup(ConsumerGroups.materializer), undefined);
  });
});

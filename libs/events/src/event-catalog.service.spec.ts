import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogEntry, categoryOfTopic, suggestAction, topicFor } from './event-catalog.service';
import { CATALOG, CATEGORY_INFO } from './generated/catalog';
import { CATEGORIES } from './generated/event.types';

const ECS_CATEGORIES = new Set([
  'authentication',
  'configuration',
  'database',
  'driver',
  'email',
  'file',
  'host',
  'iam',
  'intrusion_detection',
  'malware',
  'network',
  'package',
  'process',
  'registry',
  'session',
  'threat',
  'vulnerability',
  'web',
  'api',
  'library',
]);
const ECS_TYPES = new Set([
  'access',
  'admin',
  'allowed',
  'change',
  'connection',
  'creation',
  'deletion',
  'denied',
  'end',
  'error',
  'group',
  'indicator',
  'info',
  'installation',
  'protocol',
  'start',
  'user',
]);

describe('the event catalog', () => {
  it('has no two entries with the same action', () => {
    const seen = new Set<string>();
    for (const entry of CATALOG) {
      assert.ok(!seen.has(entry.action), `duplicate action ${entry.action}`);
      seen.add(entry.action);
    }
  });

  it('maps each vendor event name to exactly one action', () => {
    const owner = new Map<string, string>();
    for (const entry of CATALOG) {
      for (const source of entry.sources) {
        const key = `${source.vendor}/${source.name}`;
        assert.equal(owner.get(key), undefined, `${key} is claimed by ${owner.get(key) ?? ''} and ${entry.action}`);
        owner.set(key, entry.action);
      }
    }
    for (const vendor of ['thrive', 'thoughtspot', 'strivacity', 'logichub', 'closer']) {
      assert.ok(
        [...owner.keys()].some((k) => k.startsWith(`${vendor}/`)),
        `no event of ${vendor}`,
      );
    }
  });

  it('puts every action on exactly one topic, a topic of a known category', () => {
    for (const entry of CATALOG) {
      assert.ok((CATEGORIES as readonly string[]).includes(entry.category), `${entry.action}: unknown category ${entry.category}`);
      assert.equal(categoryOfTopic(topicFor(entry.category)), entry.category);
    }
    assert.deepEqual(CATEGORY_INFO.map((c) => c.name).sort(), [...CATEGORIES].sort());
  });

  it('uses canonical dotted action names and ECS allowed values', () => {
    for (const entry of CATALOG) {
      assert.match(entry.action, /^[a-z0-9_]+(\.[a-z0-9_]+){1,4}$/, entry.action);
      for (const c of entry.ecs.category) assert.ok(ECS_CATEGORIES.has(c), `${entry.action}: ECS category ${c}`);
      for (const t of entry.ecs.type) assert.ok(ECS_TYPES.has(t), `${entry.action}: ECS type ${t}`);
      assert.ok(entry.description.length > 0 && entry.sources.length > 0, entry.action);
    }
  });

  it('covers the seed events the issues name', () => {
    const names = new Set(CATALOG.flatMap((e) => e.sources.map((s) => `${s.vendor}/${s.name}`)));
    for (const name of [
      'thoughtspot/LOGIN_FAILED',
      'thoughtspot/ROLE_UPDATED',
      'thoughtspot/CREATE_RLS_RULE',
      'thoughtspot/ORG_SWITCH_FAILED',
    ]) {
      assert.ok(names.has(name), `${name} is missing`);
    }
    assert.equal(catalogEntry('user.login.failed')?.category, 'authentication');
  });
});

describe('suggestAction', () => {
  it('suggests the nearest catalog action for a typo', () => {
    assert.equal(suggestAction('user.logn.failed'), 'user.login.failed');
    assert.match(suggestAction('user.logn') ?? '', /^user\.login\./);
  });

  it('suggests nothing for something unrelated', () => {
    assert.equal(suggestAction('completely.different.thing.here'), undefined);
  });
});

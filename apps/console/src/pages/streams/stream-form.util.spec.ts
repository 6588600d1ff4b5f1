import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  CATEGORIES,
  emptyForm,
  formFieldOf,
  formFromStream,
  parseJsonObject,
  secretFieldsOf,
  toCreateInput,
  toUpdateInput,
  type StreamFormState,
} from './stream-form.util.ts';
import type { Stream } from './streams-api.util.ts';

const splunk: Stream = {
  id: 's1',
  tenantId: 'acme',
  name: 'acme splunk',
  type: 'splunk',
  enabled: true,
  categories: ['authentication'],
  actions: { include: ['*'], exclude: ['user.login.succeeded'] },
  minSeverity: 'LOW',
  format: null,
  settings: { url: 'https://splunk.acme.example:8088', index: 'audit', gzip: true, ack: { enabled: true } },
  secretNames: ['token'],
  version: 3,
  health: null,
};

describe('stream form', () => {
  it('splits a stream’s settings into labelled fields and JSON, and never holds a secret value', () => {
    const form = formFromStream(splunk);
    assert.deepEqual(form.settings, { url: 'https://splunk.acme.example:8088', index: 'audit' });
    assert.deepEqual(JSON.parse(form.advanced), { gzip: true, ack: { enabled: true } });
    assert.deepEqual(form.secrets, {});
    assert.equal(form.actionsInclude, '', 'the default * shows as empty');
    assert.equal(form.actionsExclude, 'user.login.succeeded');
    assert.deepEqual(form.categories, ['authentication']);
  });

  it('builds createStream’s input, leaving out what is empty', () => {
    const form: StreamFormState = {
      ...emptyForm('splunk'),
      name: '  acme splunk ',
      settings: { url: 'https://splunk.acme.example:8088', index: ' ' },
      advanced: '{"gzip": true}',
      actionsInclude: 'user.login.*, role.*\n',
      secrets: { token: { value: 'tok', remove: false } },
    };
    const result = toCreateInput(form);
    assert.ok(result.ok);
    assert.deepEqual(result.input, {
      name: 'acme splunk',
      type: 'splunk',
      minSeverity: 'INFO',
      actions: { include: ['user.login.*', 'role.*'] },
      settings: { gzip: true, url: 'https://splunk.acme.example:8088' },
      secrets: { token: 'tok' },
    });
  });

  it('refuses advanced settings that are not a JSON object, and a setting given twice', () => {
    assert.equal(parseJsonObject('').ok, true);
    const broken = parseJsonObject('{"gzip": tru');
    assert.ok(!broken.ok && /not valid JSON/.test(broken.message));
    const array = parseJsonObject('[1]');
    assert.ok(!array.ok && /JSON object/.test(array.message));
    const result = toCreateInput({ ...emptyForm('splunk'), name: 'x', advanced: '{nope}' });
    assert.ok(!result.ok);
    assert.match(result.errors['advanced'] ?? '', /not valid JSON/);
    const twice = toCreateInput({
      ...emptyForm('splunk'),
      name: 'x',
      settings: { url: 'https://a.example' },
      advanced: '{"url":"https://b"}',
    });
    assert.ok(!twice.ok);
    assert.match(twice.errors['advanced'] ?? '', /own field/);
    const nameless = toCreateInput(emptyForm());
    assert.ok(!nameless.ok);
    assert.equal(nameless.errors['name'], 'is required');
  });

  it('builds updateStream’s input: an empty secret keeps it, remove sends null, no filter means all', () => {
    const form = formFromStream(splunk);
    const kept = toUpdateInput({ ...form, categories: [], actionsExclude: '' });
    assert.ok(kept.ok);
    assert.equal(kept.input.secrets, undefined, 'no secret touched');
    assert.deepEqual(kept.input.categories, [...CATEGORIES]);
    assert.deepEqual(kept.input.actions, { include: ['*'], exclude: [] });
    assert.deepEqual(kept.input.settings, { url: 'https://splunk.acme.example:8088', index: 'audit', gzip: true, ack: { enabled: true } });
    const removed = toUpdateInput({ ...form, secrets: { token: { value: '', remove: true } } });
    assert.ok(removed.ok);
    assert.deepEqual(removed.input.secrets, { token: null });
    const replaced = toUpdateInput({ ...form, secrets: { token: { value: 'new', remove: false } } });
    assert.ok(replaced.ok);
    assert.deepEqual(replaced.input.secrets, { token: 'new' });
    const both = toUpdateInput({ ...form, secrets: { token: { value: 'new', remove: true } } });
    assert.ok(!both.ok);
    assert.ok(both.errors['secrets.token']);
  });

  it('lists the type’s secrets and any other secret the stream has', () => {
    assert.deepEqual(
      secretFieldsOf('http', ['headers.X-Api-Key']).map((s) => s.name),
      ['headers.Authorization', 'signingSecret', 'headers.X-Api-Key'],
    );
  });

  it('points an API error’s field at the form field', () => {
    assert.equal(formFieldOf('settings.url', 'splunk'), 'settings.url');
    assert.equal(formFieldOf('settings.ack.enabled', 'splunk'), 'advanced');
    assert.equal(formFieldOf('input.name', 'splunk'), 'name');
    assert.equal(formFieldOf('secrets.token', 'splunk'), 'secrets.token');
    assert.equal(formFieldOf(undefined, 'splunk'), undefined);
  });
});

describe("the console's categories", () => {
  // The console is bundled apart from libs/events, so it keeps its own copy of the category list; this keeps the copy
  // true to the generated one (read as text: the console does not import the libs).
  it("are the generated catalog's, in its order", () => {
    const generated = readFileSync(new URL('../../../../../libs/events/src/generated/event.types.ts', import.meta.url), 'utf8');
    const list = /export const CATEGORIES = \[([^\]]*)\]/.exec(generated)?.[1] ?? '';
    assert.deepEqual(
      [...CATEGORIES],
      [...list.matchAll(/'([^']+)'/g)].map((m) => m[1]),
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { secretFrom, type ConnectorDefinition } from '@vigil/connector';
import { FormatErrorCode } from '@vigil/formats';
import { anAuditEvent } from '@vigil/testing';
import { SplunkHecConnector } from './splunk-hec.sink';
import { splunkHecSpec, type SplunkHecSettings } from './splunk-hec.schema';
import { WebhookConnector } from './webhook.sink';
import { webhookSpec, type WebhookSettings } from './webhook.schema';

const logger = pino({ level: 'silent' });

function definition<S>(
  spec: typeof splunkHecSpec | typeof webhookSpec,
  settings: Record<string, unknown>,
  overrides: Partial<ConnectorDefinition<S>> = {},
): ConnectorDefinition<S> {
  return {
    name: 'unit',
    type: spec.type,
    enabled: true,
    categories: ['authentication'],
    actions: { include: ['*'], exclude: [] },
    minSeverity: 'INFO',
    format: spec.defaultFormat,
    batch: { maxEvents: 100, maxBytes: 900_000, lingerMs: 20 },
    retry: { initialBackoffMs: 50, maxBackoffMs: 400 },
    startFrom: 'latest',
    settings: spec.settings(secretFrom({ TOKEN: 't' })).parse(settings) as S,
    ...overrides,
  };
}

const splunk = (overrides: Partial<ConnectorDefinition<SplunkHecSettings>> = {}) =>
  new SplunkHecConnector(
    definition<SplunkHecSettings>(splunkHecSpec, { url: 'http://127.0.0.1:1', tokenEnv: 'TOKEN', index: 'audit' }, overrides),
    logger,
  );

describe(SplunkHecConnector.name, () => {
  it('copies the connector’s extraFields into each HEC event, under its prefix, as the webhook sink does', () => {
    const extraFields = { paths: ['client.ip', 'payload.authMethod'], prefix: 'claims' };
    const event = anAuditEvent();
    const hec = JSON.parse(splunk({ extraFields }).encode(event)) as { index: string; event: Record<string, unknown> };
    const expected = { 'client.ip': '18.171.51.239', 'payload.authMethod': 'password' };
    assert.deepEqual(hec.event['claims'], expected);
    assert.equal(hec.index, 'audit', 'the HEC settings still apply');

    const webhook = new WebhookConnector(
      definition<WebhookSettings>(webhookSpec, { url: 'http://127.0.0.1:1' }, { extraFields, format: 'native' }),
      logger,
    );
    const document = JSON.parse(webhook.encode(event)) as Record<string, unknown>;
    assert.deepEqual(document['claims'], hec.event['claims'], 'the same extra fields as the webhook');
  });

  it('adds nothing when the connector has no extraFields', () => {
    const hec = JSON.parse(splunk().encode(anAuditEvent())) as { event: Record<string, unknown> };
    assert.equal(hec.event['extra'], undefined);
    assert.equal(hec.event['claims'], undefined);
  });

  it('refuses extraFields that name no event field, like every format', () => {
    assert.throws(() => splunk({ extraFields: { paths: ['nosuch.field'] } }), { code: FormatErrorCode.InvalidExtraField });
  });
});

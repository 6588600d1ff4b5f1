import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ManualClock } from '@vigil/common';
import { SinkHttpClient, secretFrom, type ConnectorDefinition, type HttpAnswer, type HttpPost } from '@vigil/connector';
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
    tenants: 'all',
    settings: spec.settings(secretFrom({ TOKEN: 't' })).parse(settings) as S,
    ...overrides,
  };
}

const splunk = (overrides: Partial<ConnectorDefinition<SplunkHecSettings>> = {}) =>
  new SplunkHecConnector(
    definition<SplunkHecSettings>(
      splunkHecSpec,
      { url: 'http://127.0.0.1:1', allowInsecureHttp: true, tokenEnv: 'TOKEN', index: 'audit' },
      overrides,
    ),
    logger,
  );

/** A HEC that accepts every batch with ackId 7 and never acknowledges it; each ack poll moves the clock 20 s. */
class UnacknowledgingHec extends SinkHttpClient {
  readonly ackPolls: string[] = [];

  constructor(private readonly clock: ManualClock) {
    super();
  }

  override post(request: HttpPost): Promise<HttpAnswer> {
    if (request.url.endsWith('/ack')) {
      this.ackPolls.push(request.body.toString());
      this.clock.set(new Date(this.clock.now().getTime() + 20_000));
      return Promise.resolve({ status: 200, text: '{"acks":{"7":false}}', retryAfterMs: undefined });
    }
    return Promise.resolve({ status: 200, text: '{"text":"Success","code":0,"ackId":7}', retryAfterMs: undefined });
  }
}

describe(SplunkHecConnector.name, () => {
  it('copies the connector’s extraFields into each HEC event, under its prefix, as the webhook sink does', () => {
    const extraFields = { paths: ['client.ip', 'payload.authMethod'], prefix: 'claims' };
    const event = anAuditEvent();
    const hec = JSON.parse(splunk({ extraFields }).encode(event)) as { index: string; event: Record<string, unknown> };
    const expected = { 'client.ip': '18.171.51.239', 'payload.authMethod': 'password' };
    assert.deepEqual(hec.event['claims'], expected);
    assert.equal(hec.index, 'audit', 'the HEC settings still apply');

    const webhook = new WebhookConnector(
      definition<WebhookSettings>(webhookSpec, { url: 'http://127.0.0.1:1', allowInsecureHttp: true }, { extraFields, format: 'native' }),
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

  it('gives up on an unacknowledged batch when the clock passes ack.timeoutMs, asking for a resend', async () => {
    const clock = new ManualClock(new Date('2026-11-26T12:00:00Z'));
    const http = new UnacknowledgingHec(clock);
    const settings = {
      url: 'http://127.0.0.1:1',
      allowInsecureHttp: true,
      tokenEnv: 'TOKEN',
      ack: { enabled: true, pollIntervalMs: 10, timeoutMs: 60_000 },
    };
    const sink = new SplunkHecConnector(definition<SplunkHecSettings>(splunkHecSpec, settings), logger, http, clock);
    const event = anAuditEvent();
    const result = await sink.deliver([{ event, bytes: Buffer.from(sink.encode(event)) }], new AbortController().signal);
    assert.deepEqual(result, { kind: 'retryable', reason: 'batch not acknowledged within 60000 ms (ackId 7); resending it' });
    assert.equal(http.ackPolls.length, 3, 'polled until 60 s had passed on the clock, not on the wall');
    assert.deepEqual(JSON.parse(http.ackPolls[0] ?? ''), { acks: [7] });
  });
});

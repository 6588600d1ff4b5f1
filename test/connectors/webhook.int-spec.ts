import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebhookConnector, webhookSpec } from '@vigil/sinks';
import { requireStack, uniqueName, waitFor } from '@vigil/testing';
import { DoubleServer, readBody, sendJson } from '../doubles/http-double.util';
import { WebhookDouble } from '../doubles/webhook.double';
import { ConnectorHarness, idsOf, logger } from './connector-test.util';

const harness = new ConnectorHarness();
const doubles: (WebhookDouble | DoubleServer)[] = [];

async function aReceiver(): Promise<WebhookDouble> {
  const double = await WebhookDouble.start();
  doubles.push(double);
  return double;
}

function webhookConnector(double: WebhookDouble, settings: Record<string, unknown> = {}, overrides = {}) {
  return harness.definition(
    webhookSpec,
    { url: double.url, allowInsecureHttp: true, signingSecretEnv: 'HOOK_SECRET', ...settings },
    { HOOK_SECRET: double.secret, HOOK_AUTH: 'Bearer s3cr3t' },
    overrides,
  );
}

describe(WebhookConnector.name, () => {
  before(async () => {
    await requireStack(['kafka', 'registry']);
    await harness.open();
  });
  after(async () => {
    await harness.close();
    await Promise.all(doubles.map((d) => d.close()));
  });

  it('posts signed JSON arrays with custom and secret headers, honouring 429 Retry-After', async () => {
    const hook = await aReceiver();
    const from = await harness.endOffsets();
    const c = webhookConnector(hook, { headers: { 'X-Team': 'secops' }, secretHeaders: { Authorization: 'HOOK_AUTH' }, gzip: true });
    await harness.start(c, new WebhookConnector(c, logger), from);
    hook.failNext(1, 429, 1);
    const started = Date.now();
    const events = await harness.publish(uniqueName('tenant'), 60);
    await waitFor(
      () => idsOf(hook.eventIds(), events).length,
      (n) => n >= events.length,
      'every event at the webhook',
    );
    assert.ok(Date.now() - started >= 1000, 'waited for Retry-After');
    assert.deepEqual(
      idsOf(hook.eventIds(), events),
      events.map((e) => e.id),
    );
    const last = hook.lastRequest();
    assert.equal(last?.headers['x-team'], 'secops');
    assert.equal(last?.headers['authorization'], 'Bearer s3cr3t');
    assert.match(String(last?.headers['x-vigil-signature']), /^v1=[0-9a-f]{64}$/);
  });

  it('sends only the listed tenants’ events when the connector names its tenants', async () => {
    const hook = await aReceiver();
    const from = await harness.endOffsets();
    const [mine, other] = [uniqueName('tenant'), uniqueName('tenant')];
    const c = webhookConnector(hook, {}, { tenants: [mine] });
    await harness.start(c, new WebhookConnector(c, logger), from);
    const others = await harness.publish(other, 20);
    const events = await harness.publish(mine, 20);
    await waitFor(
      () => idsOf(hook.eventIds(), events).length,
      (n) => n >= events.length,
      'the listed tenant’s events at the webhook',
    );
    assert.deepEqual(idsOf(hook.eventIds(), others), [], 'another tenant’s events were sent');
  });

  it('sends NDJSON of ECS documents', async () => {
    const hook = await aReceiver();
    const from = await harness.endOffsets();
    const c = webhookConnector(hook, { framing: 'ndjson' }, { format: 'ecs' });
    await harness.start(c, new WebhookConnector(c, logger), from);
    const events = await harness.publish(uniqueName('tenant'), 25);
    await waitFor(
      () => idsOf(hook.eventIds(), events).length,
      (n) => n >= events.length,
      'every event as ECS',
    );
    assert.equal(hook.lastRequest()?.headers['content-type'], 'application/x-ndjson');
  });

  it('sends OTLP/HTTP JSON to /v1/logs, and only the actions and severities asked for', async () => {
    const hook = await aReceiver();
    const from = await harness.endOffsets();
    const c = webhookConnector(hook, {}, { format: 'otlp', actions: { include: ['user.login.*'], exclude: [] }, minSeverity: 'HIGH' });
    await harness.start(c, new WebhookConnector(c, logger), from);
    const tenantId = uniqueName('tenant');
    const login = (severity: 'LOW' | 'HIGH' | 'CRITICAL', action: 'user.login.failed' | 'user.logout.succeeded' = 'user.login.failed') => ({
      action,
      tenantId,
      actor: { id: 'u' },
      severity,
    });
    const events = await harness.publisher.publishMany([
      login('HIGH'),
      login('LOW'),
      login('CRITICAL', 'user.logout.succeeded'),
      login('CRITICAL'),
    ]);
    const wanted = [events[0]?.id, events[3]?.id];
    await waitFor(
      () => idsOf(hook.eventIds(), events).length,
      (n) => n >= 2,
      'the high and critical logins',
    );
    assert.equal(hook.lastRequest()?.path, '/v1/logs');
    assert.deepEqual(idsOf(hook.eventIds(), events), wanted);
  });

  it('isolates an event the receiver refuses by splitting the batch, and dead-letters it', async () => {
    const hook = await aReceiver();
    const from = await harness.endOffsets();
    const dlqFrom = await harness.dlqEndOffsets();
    const c = webhookConnector(hook);
    await harness.start(c, new WebhookConnector(c, logger), from);
    hook.failNext(1, 400);
    const events = await harness.publish(uniqueName('tenant'), 1);
    const [letter] = await harness.deadLettersOf(c, dlqFrom, 1);
    assert.equal(letter?.message.headers?.['vigil-dlq-event-id']?.toString(), events[0]?.id);
    assert.match(letter?.message.headers?.['vigil-dlq-detail']?.toString() ?? '', /HTTP 400/);
  });

  it('never follows a redirect: the batch is not re-posted elsewhere and its secret header never arrives there', async () => {
    const elsewhere: { headers: Record<string, unknown>; body: string }[] = [];
    const recorder = await DoubleServer.listen(async (req, res) => {
      const body = await readBody(req, 10_000_000);
      elsewhere.push({ headers: req.headers, body: body.ok ? body.body.toString() : '' });
      sendJson(res, 200, { ok: true });
    });
    let redirected = 0;
    const redirecting = await DoubleServer.listen(async (req, res) => {
      await readBody(req, 10_000_000);
      redirected += 1;
      res.writeHead(307, { location: `${recorder.url}/collect` });
      res.end();
    });
    doubles.push(recorder, redirecting);
    const from = await harness.endOffsets();
    const c = harness.definition(
      webhookSpec,
      // fetch drops Authorization on a cross-origin redirect by itself, but not a custom header such as X-Api-Key.
      { url: redirecting.url, allowInsecureHttp: true, secretHeaders: { Authorization: 'HOOK_AUTH', 'X-Api-Key': 'HOOK_KEY' } },
      { HOOK_AUTH: 'Bearer must-stay-home', HOOK_KEY: 'key-must-stay-home' },
    );
    await harness.start(c, new WebhookConnector(c, logger), from);
    await harness.publish(uniqueName('tenant'), 5);
    await waitFor(
      () => harness.status.get(c.name)?.state,
      (s) => s === 'failing',
      'the connector to be failing on the redirect',
    );
    assert.match(harness.status.get(c.name)?.reason ?? '', /^HTTP 307: redirect to http:\/\/127\.0\.0\.1:\d+ refused/);
    assert.ok(redirected >= 1);
    assert.deepEqual(elsewhere, [], 'nothing, and no secret, reached the other server');
    assert.deepEqual(await harness.committedPast(c, from), [], 'nothing committed: the events wait for a fixed url');
  });
});

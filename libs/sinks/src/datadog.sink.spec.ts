import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { secretFrom, type ConnectorDefinition, type HttpPost, type SinkHttpClient } from '@vigil/connector';
import { anAuditEvent } from '@vigil/testing';
import { CATEGORIES, type AuditEvent, type Category, type Outcome, type Severity } from '@vigil/events';
import { mapperFor } from '@vigil/formats';
import { DATADOG_MAX_ENTRY_BYTES, DatadogConnector, datadogEncoder, TRUNCATED_MARKER } from './datadog.sink';
import { datadogSpec, type DatadogSettings } from './datadog.schema';

function connector(settings: Record<string, unknown> = {}): ConnectorDefinition<DatadogSettings> {
  return {
    name: 'dd',
    type: 'datadog',
    enabled: true,
    categories: ['authentication'],
    actions: { include: ['*'], exclude: [] },
    minSeverity: 'INFO',
    format: 'native',
    batch: { maxEvents: 5000, maxBytes: 50_000_000, lingerMs: 0 },
    retry: { initialBackoffMs: 10, maxBackoffMs: 100 },
    startFrom: 'latest',
    tenants: 'all',
    settings: datadogSpec.settings(secretFrom({ DD: 'key' })).parse({ apiKeyEnv: 'DD', ...settings }),
  };
}

/** Records what would be posted and answers 202, or `status` for the request numbered `failAt`. */
function recordingClient(failAt?: number, status = 400): { client: SinkHttpClient; posts: HttpPost[] } {
  const posts: HttpPost[] = [];
  const client = {
    post: (request: HttpPost) => {
      posts.push(request);
      const code = posts.length === failAt ? status : 202;
      return Promise.resolve({ status: code, text: '', retryAfterMs: undefined });
    },
  } as unknown as SinkHttpClient; // only post() is used by the sink
  return { client, posts };
}

describe(DatadogConnector.name, () => {
  it('targets the site’s intake unless a URL is given, and requires https', () => {
    assert.equal(connector({ site: 'datadoghq.eu' }).settings.url, 'https://http-intake.logs.datadoghq.eu/api/v2/logs');
    assert.throws(() => connector({ url: 'http://proxy.example/api/v2/logs' }), /must be an https URL/);
  });

  it('cuts a batch into requests of at most 1,000 entries, all sent with DD-API-KEY', async () => {
    const { client, posts } = recordingClient();
    const sink = new DatadogConnector(connector(), pino({ level: 'silent' }), client);
    const records = Array.from({ length: 2500 }, () => anAuditEvent()).map((event) => ({ event, bytes: Buffer.from(sink.encode(event)) }));
    assert.deepEqual(await sink.deliver(records, AbortSignal.timeout(1000)), { kind: 'ok' });
    assert.deepEqual(
      posts.map((p) => (JSON.parse(p.body.toString()) as unknown[]).length),
      [1000, 1000, 500],
    );
    assert.equal(posts[0]?.headers['DD-API-KEY'], 'key');
  });

  it('reports the requests accepted before one was refused, so the runner resends only the rest', async () => {
    const { client } = recordingClient(2, 400);
    const sink = new DatadogConnector(connector(), pino({ level: 'silent' }), client);
    const records = Array.from({ length: 1500 }, () => anAuditEvent()).map((event) => ({ event, bytes: Buffer.from(sink.encode(event)) }));
    const result = await sink.deliver(records, AbortSignal.timeout(1000));
    assert.equal(result.kind, 'rejected');
    assert.equal(result.kind === 'rejected' ? result.delivered.length : -1, 1000);
  });

  it('truncates an entry over 1 MB with a marker, keeping its id', () => {
    const sink = new DatadogConnector(connector(), pino({ level: 'silent' }));
    const event = anAuditEvent({ description: 'x'.repeat(1_200_000) });
    const json = sink.encode(event);
    assert.ok(Buffer.byteLength(json) <= DATADOG_MAX_ENTRY_BYTES);
    const entry = JSON.parse(json) as Record<string, unknown>;
    assert.equal(entry[TRUNCATED_MARKER], true);
    assert.equal((entry['evt'] as { id: string }).id, event.id);
  });

  it('reports how many delivered entries were cut, once Datadog took them (vigil_connector_events_truncated_total)', async () => {
    const { client } = recordingClient();
    const sink = new DatadogConnector(connector(), pino({ level: 'silent' }), client);
    // A normal entry whose own attribute has the marker's name is not counted: only the cut ones end with it.
    const events = [anAuditEvent({ description: 'x'.repeat(1_200_000) }), anAuditEvent({ attributes: { [TRUNCATED_MARKER]: true } })];
    const result = await sink.deliver(
      events.map((event) => ({ event, bytes: Buffer.from(sink.encode(event)) })),
      AbortSignal.timeout(1000),
    );
    assert.deepEqual(result, { kind: 'ok', truncated: 1 });
  });
});

describe(datadogEncoder.name, () => {
  /** The entry as the encoder built it before its tags were cached and its date formatted once a second. */
  function formerEntry(event: AuditEvent, tags: string[]): string {
    const status: Record<Severity, string> = { INFO: 'info', LOW: 'notice', MEDIUM: 'warning', HIGH: 'error', CRITICAL: 'critical' };
    const tagValue = (tag: string): string => tag.replace(/,/g, '_').slice(0, 200);
    const own = [
      `tenant:${event.tenantId}`,
      `category:${event.category}`,
      `action:${event.action}`,
      `outcome:${event.outcome.toLowerCase()}`,
    ];
    return JSON.stringify({
      ddsource: 'vigil',
      ddtags: [...own.map(tagValue), ...tags].join(','),
      service: event.service.name || 'vigil',
      hostname: event.service.host ?? null,
      message: event.description ?? `${event.action} by ${event.actor.id}: ${event.outcome}`,
      status: status[event.severity],
      date: new Date(Math.floor(event.time / 1000)).toISOString(),
      evt: { id: event.id, name: event.action, category: event.category, outcome: event.outcome.toLowerCase() },
      usr: { id: event.actor.id, name: event.actor.name },
      network: event.client?.ip ? { client: { ip: event.client.ip } } : undefined,
      http:
        event.http === null && event.client?.userAgent == null
          ? undefined
          : {
              method: event.http?.method ?? undefined,
              url: event.http?.url ?? undefined,
              status_code: event.http?.statusCode ?? undefined,
              useragent: event.client?.userAgent ?? undefined,
            },
      trace_id: event.traceId ?? undefined,
      vigil: mapperFor('native', {}).toRecord(event),
    });
  }

  it('writes every entry as before, whichever tenant, category, action and outcome came before it', () => {
    const tags = ['env:prod', 'team:sec'];
    const encode = datadogEncoder({ settings: { source: 'vigil', service: 'vigil', hostname: undefined, tags }, extraFields: undefined });
    const outcomes: Outcome[] = ['SUCCESS', 'FAILURE', 'UNKNOWN'];
    const actions = ['user.login', 'user.logout', 'a,b', 'x'.repeat(300), 'y'.repeat(10_000)]; // the last is never cached
    // Seeded, drawing from the generator's high bits (its low bits cycle).
    let seed = 7;
    const random = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
    const base = anAuditEvent();
    const seen = new Set<string>();
    // Over 4,096 combinations (the cache starts over, more than once), many seen again.
    for (let i = 0; i < 30_000; i++) {
      const event = {
        ...base,
        tenantId: `tenant-${random(1500)}`,
        category: CATEGORIES[random(CATEGORIES.length)] as Category,
        action: actions[random(actions.length)] as string,
        outcome: outcomes[random(outcomes.length)] as Outcome,
        time: base.time + random(5_000_000_000) - 2_500_000_000,
      } as AuditEvent; // a category with another category's payload: the entry's own fields are what is compared
      seen.add(`${event.tenantId} ${event.category} ${event.action} ${event.outcome}`);
      assert.equal(encode(event), formerEntry(event, tags), `event ${i}`);
    }
    assert.ok(seen.size > 2 * 4096, `${seen.size} combinations`);
    for (const action of actions)
      assert.ok(
        [...seen].some((key) => key.includes(` ${action} `)),
        action.slice(0, 20),
      );
  });

  it('never gives one tenant’s tags to another with the same action', () => {
    const encode = datadogEncoder({
      settings: { source: 'vigil', service: 'vigil', hostname: undefined, tags: [] },
      extraFields: undefined,
    });
    const tagsOf = (json: string) => (JSON.parse(json) as { ddtags: string }).ddtags;
    assert.match(tagsOf(encode(anAuditEvent({ tenantId: 'acme' }))), /^tenant:acme,/);
    assert.match(tagsOf(encode(anAuditEvent({ tenantId: 'globex' }))), /^tenant:globex,/);
  });
});

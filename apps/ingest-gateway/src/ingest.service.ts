import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { AuditPublisher, connectionOf, PublishErrorCode, PublishException, type UntypedAuditEventInput } from '@vigil/audit-sdk';
import { TokenBuckets } from '@vigil/common';
import { APP_CONFIG } from '@vigil/config';
import { EventValidationException, misspeltFieldIssues, type AuditEvent, type EventIssue } from '@vigil/events';
import { Logger } from 'nestjs-pino';
import { MetricsService } from '@vigil/observability';
import { BodyBudget, IngestRefusal } from './ingest-body.util';
import type { IngestGatewayConfig } from './ingest-gateway.config';
import type { Producer } from './producer-auth.service';

export type EventResult =
  | { index: number; status: 'accepted'; id: string }
  | { index: number; status: 'rejected'; errors: EventIssue[] }
  | { index: number; status: 'failed'; error: string };

export interface IngestAnswer {
  status: number;
  body: { accepted: number; rejected: number; failed: number; results: EventResult[] };
}

/** Why an event was not accepted: the `reason` label of vigil_ingest_events_total (a fixed set). */
type Reason = 'invalid' | 'other-tenant' | 'too-large' | 'kafka';

/**
 * Validates each event of a request on its own and publishes the valid ones; answers only once Kafka acknowledged
 * every accepted event, with one result per event, so a partial batch is never ambiguous: `accepted` (with the id),
 * `rejected` (field path and rule; resending it unchanged fails again) or `failed` (not published; resend it).
 */
@Injectable()
export class IngestService implements OnModuleDestroy {
  private readonly publisher: AuditPublisher;
  private readonly limits: TokenBuckets;
  /** Shared by every endpoint's body reads. */
  readonly bodies: BodyBudget;
  private readonly events: Counter<'tenant' | 'result' | 'reason'>;
  private readonly requestSeconds: Histogram<'endpoint'>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: IngestGatewayConfig,
    metrics: MetricsService,
    private readonly logger: Logger,
  ) {
    this.publisher = new AuditPublisher({
      ...connectionOf(config, 'vigil-ingest-gateway'),
      service: { name: 'ingest-gateway' },
      batch: { lingerMs: 2 },
    });
    this.bodies = new BodyBudget(config.VIGIL_INGEST_MAX_INFLIGHT_BYTES);
    this.limits = new TokenBuckets(config.VIGIL_INGEST_RATE_PER_SECOND, config.VIGIL_INGEST_RATE_BURST, () => Date.now());
    this.events = metrics.counter({
      name: 'vigil_ingest_events_total',
      help: 'Events the gateway accepted (acknowledged by Kafka), rejected or failed, by tenant and reason',
      labelNames: ['tenant', 'result', 'reason'],
    });
    this.requestSeconds = metrics.histogram({
      name: 'vigil_ingest_request_seconds',
      help: 'Time from a request to its answer (for 202: until Kafka acknowledged every accepted event)',
      labelNames: ['endpoint'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  }

  /** Starts a request's timer; the returned function records it. */
  timer(endpoint: string): () => void {
    return this.requestSeconds.startTimer({ endpoint });
  }

  /** Charges a producer's rate for `count` events; a 429 with Retry-After when its bucket cannot pay. */
  charge(producer: Producer, count: number): void {
    const wait = this.limits.take(producer.keyId, Math.max(1, count));
    if (wait > 0)
      throw new IngestRefusal(
        429,
        'RATE_LIMITED',
        `this key sent more than ${this.config.VIGIL_INGEST_RATE_PER_SECOND} events/s; retry in ${wait} s`,
        { 'retry-after': String(wait) },
      );
  }

  /** Refuses a request of more events (or log records) than VIGIL_INGEST_MAX_EVENTS, before any is looked at. */
  checkCount(count: number): void {
    if (count > this.config.VIGIL_INGEST_MAX_EVENTS)
      throw new IngestRefusal(
        413,
        'TOO_MANY_EVENTS',
        `${count} events in one request; at most ${this.config.VIGIL_INGEST_MAX_EVENTS} (VIGIL_INGEST_MAX_EVENTS)`,
      );
  }

  /** Checks every input against the producer's tenant and the event rules; publishes the valid ones. */
  ingest(producer: Producer, inputs: readonly unknown[], bodyBytes = Number.POSITIVE_INFINITY): Promise<IngestAnswer> {
    return this.ingestItems(
      producer,
      inputs.map((input) => ({ input })),
      bodyBytes,
    );
  }

  /**
   * As ingest(), for items a mapper already turned into envelopes or refused (OTLP records, imported formats).
   * `bodyBytes`, the request's size: when it is within the event bound, no event of it can be over, and none is measured.
   */
  async ingestItems(
    producer: Producer,
    items: readonly ({ input: unknown } | { issues: EventIssue[] })[],
    bodyBytes = Number.POSITIVE_INFINITY,
  ): Promise<IngestAnswer> {
    this.checkCount(items.length);
    this.charge(producer, items.length);
    const measure = bodyBytes > this.config.VIGIL_INGEST_MAX_EVENT_BYTES;
    const logged = new Set<string>();
    const results: (EventResult | Promise<EventResult>)[] = items.map((item, index) => {
      const checked: { event: AuditEvent } | { errors: EventIssue[]; reason: Reason } =
        'issues' in item ? { errors: item.issues, reason: 'invalid' } : this.check(producer, item.input, measure);
      if ('errors' in checked) {
        this.count(producer, 'rejected', checked.reason);
        return { index, status: 'rejected', errors: checked.errors };
      }
      return this.publisher.publishPrepared(checked.event).then(
        (event): EventResult => {
          this.count(producer, 'accepted');
          return { index, status: 'accepted', id: event.id };
        },
        (err: unknown): EventResult => {
          this.count(producer, 'failed', 'kafka');
          const error = describe(err);
          // Once per request and answer, with the underlying error, which the producer is not shown.
          if (!logged.has(error)) {
            logged.add(error);
            this.logger.warn({ tenantId: producer.tenantId, err }, `events not published: ${error}`);
          }
          return { index, status: 'failed', error };
        },
      );
    });
    const settled = await Promise.all(results.map(async (r) => r));
    const tally = { accepted: 0, rejected: 0, failed: 0 };
    for (const r of settled) tally[r.status]++;
    // Anything not published is said with a status a client retries on; a request with nothing valid is a 400.
    const status = tally.failed > 0 ? 503 : tally.accepted > 0 || settled.length === 0 ? 202 : 400;
    return { status, body: { ...tally, results: settled } };
  }

  /** Rules the gateway adds to the SDK's: the producer's tenant, and an event's size. */
  private check(producer: Producer, input: unknown, measure = true): { event: AuditEvent } | { errors: EventIssue[]; reason: Reason } {
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      return { errors: [{ path: '', rule: 'must be a JSON object (an event envelope)' }], reason: 'invalid' };
    const bytes = measure ? Buffer.byteLength(JSON.stringify(input)) : 0;
    if (bytes > this.config.VIGIL_INGEST_MAX_EVENT_BYTES)
      return {
        errors: [
          {
            path: '',
            rule: `the event is ${bytes} bytes; at most ${this.config.VIGIL_INGEST_MAX_EVENT_BYTES} (VIGIL_INGEST_MAX_EVENT_BYTES)`,
          },
        ],
        reason: 'too-large',
      };
    const envelope = input as Record<string, unknown>;
    const shape = shapeIssues(envelope);
    if (shape.length > 0) return { errors: shape, reason: 'invalid' };
    const tenantId = envelope['tenantId'] ?? producer.tenantId;
    if (tenantId !== producer.tenantId)
      return { errors: [{ path: 'tenantId', rule: `this key publishes for tenant ${producer.tenantId} only` }], reason: 'other-tenant' };
    // A client's own UUIDv7 without a time: the time its id carries, so a retry is the same row (the store's key is
    // time and id), not a new one stamped with the retry's moment.
    const time = envelope['time'] ?? timeOfUuidV7(envelope['id']);
    // JSON written for Vigil: `clinet` is refused with a hint instead of the event being published without its client.
    // Looked for in the envelope as sent, before the gateway fills in a tenant and a time (`tiem` would not be missed).
    const misspelt = misspeltFieldIssues(envelope);
    try {
      const event = this.publisher.prepare({ ...envelope, tenantId, ...(time !== undefined && { time }) } as UntypedAuditEventInput);
      return misspelt.length === 0 ? { event } : { errors: misspelt, reason: 'invalid' };
    } catch (err) {
      if (err instanceof EventValidationException) return { errors: [...err.issues, ...misspelt], reason: 'invalid' };
      // A shape shapeIssues does not know: said, never a 500 (and the SDK's internals are not shown).
      this.logger.warn({ err }, 'envelope refused by the SDK with an unexpected error');
      return { errors: [{ path: '', rule: 'malformed envelope: a field holds a value of the wrong type' }], reason: 'invalid' };
    }
  }

  private count(producer: Producer, result: 'accepted' | 'rejected' | 'failed', reason = ''): void {
    this.events.inc({ tenant: producer.tenantId, result, reason });
  }

  /** Answers every event still in flight (Kafka acknowledges them) before the process exits. */
  async onModuleDestroy(): Promise<void> {
    await this.publisher.close();
  }
}

/** The creation time of a UUIDv7 (its first 48 bits, milliseconds) in microseconds; undefined for anything else. */
export function timeOfUuidV7(id: unknown): number | undefined {
  if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id)) return undefined;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16) * 1000;
}

/** Where the envelope has an object or a list, a value of another type is refused by path before the SDK sees it. */
const SHAPES: Record<string, 'an object' | 'an array'> = {
  actor: 'an object',
  client: 'an object',
  targets: 'an array',
  http: 'an object',
  service: 'an object',
  payload: 'an object',
  attributes: 'an object',
};

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function shapeIssues(envelope: Record<string, unknown>): EventIssue[] {
  const issues: EventIssue[] = [];
  for (const [field, kind] of Object.entries(SHAPES)) {
    const value = envelope[field];
    if (value === undefined || value === null) continue;
    if (kind === 'an array' ? !Array.isArray(value) : !isPlainObject(value)) issues.push({ path: field, rule: `must be ${kind}` });
  }
  const targets = envelope['targets'];
  if (Array.isArray(targets))
    targets.forEach((t, i) => {
      if (!isPlainObject(t)) issues.push({ path: `targets[${i}]`, rule: 'must be an object' });
    });
  const roles = isPlainObject(envelope['actor']) ? (envelope['actor'] as Record<string, unknown>)['roles'] : undefined;
  if (roles !== undefined && roles !== null && !Array.isArray(roles)) issues.push({ path: 'actor.roles', rule: 'must be an array' });
  return issues;
}

/**
 * What a producer is told about an event that was not published: what happened, in words of its own, never the
 * underlying error's text, which names Kafka's and the registry's addresses (and could carry credentials written
 * into a URL). The gateway logs that text instead.
 */
export function describe(err: unknown): string {
  const code = err instanceof PublishException ? err.code : undefined;
  switch (code) {
    case PublishErrorCode.CLOSED:
      return 'the gateway is shutting down; not published, send it again';
    case PublishErrorCode.REGISTRY_UNAVAILABLE:
      return 'not published, send it again: the schema registry did not answer';
    case PublishErrorCode.EVENT_TOO_LARGE:
      return 'not published: the event is larger than Kafka accepts on its topic';
    case PublishErrorCode.INVALID_EVENT:
      // The rules the event broke: about the producer's own input, nothing of the gateway's.
      return `not published: ${(err as Error).message}`;
    case PublishErrorCode.KAFKA_UNAVAILABLE:
      return 'not published, send it again: Kafka did not acknowledge it';
    default:
      return 'not published, send it again';
  }
}

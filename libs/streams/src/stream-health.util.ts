import type { Counter, Gauge } from 'prom-client';
import type { MetricsService } from '@vigil/observability';
import type { DeliveryStatus } from '@vigil/connector';
import { STREAM_STATES, type StreamHealth, type StreamState } from './stream.repository';

const HOUR_MS = 3_600_000;

/** The metrics of every stream of the app, labelled by stream id and tenant. */
export class StreamMetrics {
  readonly state: Gauge<'stream' | 'tenant' | 'state'>;
  readonly delivered: Counter<'stream' | 'tenant'>;
  readonly deadLettered: Counter<'stream' | 'tenant'>;
  readonly failures: Counter<'stream' | 'tenant' | 'kind'>;
  readonly lagEvents: Gauge<'stream' | 'tenant'>;
  readonly lagSeconds: Gauge<'stream' | 'tenant'>;
  readonly detached: Counter<'reason'>;
  readonly catchUps: Gauge;

  constructor(metrics: MetricsService) {
    const labels = ['stream', 'tenant'] as const;
    this.state = metrics.gauge({
      name: 'vigil_stream_state',
      help: '1 for the state the stream is in',
      labelNames: ['stream', 'tenant', 'state'],
    });
    this.delivered = metrics.counter({
      name: 'vigil_stream_events_delivered_total',
      help: "Events the stream's SIEM accepted",
      labelNames: labels,
    });
    this.deadLettered = metrics.counter({
      name: 'vigil_stream_dead_lettered_total',
      help: 'Events of the stream sent to audit.dlq',
      labelNames: labels,
    });
    this.failures = metrics.counter({
      name: 'vigil_stream_errors_total',
      help: 'Failed deliveries by kind',
      labelNames: ['stream', 'tenant', 'kind'],
    });
    this.lagEvents = metrics.gauge({
      name: 'vigil_stream_lag_events',
      help: "Records on the stream's topics it has not passed yet",
      labelNames: labels,
    });
    this.lagSeconds = metrics.gauge({
      name: 'vigil_stream_lag_seconds',
      help: "How far behind the stream's deliveries are",
      labelNames: labels,
    });
    this.detached = metrics.counter({
      name: 'vigil_stream_detached_total',
      help: 'Streams that left the shared path, by why',
      labelNames: ['reason'],
    });
    this.catchUps = metrics.gauge({ name: 'vigil_streams_catching_up', help: 'Streams reading from their own checkpoint right now' });
  }

  forget(stream: string, tenant: string): void {
    for (const state of STREAM_STATES) this.state.remove({ stream, tenant, state });
    for (const g of [this.lagEvents, this.lagSeconds]) g.remove({ stream, tenant });
  }
}

/**
 * One stream's health as a customer reads it: state and why, lag, events delivered in the last 24 hours (hourly
 * buckets), last success, last error as the SIEM said it (already bounded and free of secrets by BatchDelivery).
 */
export class StreamHealthTracker implements DeliveryStatus {
  state: StreamState = 'active';
  reason: string | undefined;
  lagEvents = 0;
  lagSeconds = 0;
  lastSuccessAt: Date | undefined;
  lastErrorAt: Date | undefined;
  lastError: string | undefined;
  deadLetteredTotal = 0;
  deliveredTotal = 0;
  /** Consecutive credential refusals; reset by any success. */
  authFailures = 0;
  private readonly hours = new Map<number, number>();

  constructor(
    private readonly stream: string,
    private readonly tenant: string,
    private readonly metrics: StreamMetrics,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Carries over what the last run stored (a restart keeps the 24-hour count, last success and last error). */
  seed(stored: StreamHealth): void {
    this.lastSuccessAt = stored.lastSuccessAt;
    this.lastErrorAt = stored.lastErrorAt;
    this.lastError = stored.lastError;
    this.deadLetteredTotal = stored.deadLetteredTotal;
    if (stored.delivered24h > 0) this.hours.set(Math.floor(stored.updatedAt.getTime() / HOUR_MS), stored.delivered24h);
  }

  setState(state: StreamState, reason?: string): void {
    this.state = state;
    this.reason = state === 'active' ? undefined : reason;
    for (const s of ['active', 'catching_up', 'failing', 'paused', 'suspended'] as const)
      this.metrics.state.set({ stream: this.stream, tenant: this.tenant, state: s }, s === state ? 1 : 0);
  }

  recordDelivered(_name: string, events: number): void {
    const now = this.now();
    this.lastSuccessAt = now;
    this.authFailures = 0;
    this.deliveredTotal += events;
    const hour = Math.floor(now.getTime() / HOUR_MS);
    this.hours.set(hour, (this.hours.get(hour) ?? 0) + events);
    for (const h of this.hours.keys()) if (h <= hour - 24) this.hours.delete(h);
    this.metrics.delivered.inc({ stream: this.stream, tenant: this.tenant }, events);
  }

  recordFailure(_name: string, kind: string, message: string): void {
    this.lastErrorAt = this.now();
    this.lastError = message;
    if (kind === 'auth') this.authFailures++;
    this.metrics.failures.inc({ stream: this.stream, tenant: this.tenant, kind });
  }

  recordDeadLettered(_name: string, events: number): void {
    this.deadLetteredTotal += events;
    this.metrics.deadLettered.inc({ stream: this.stream, tenant: this.tenant }, events);
  }

  setLag(events: number, seconds: number): void {
    this.lagEvents = events;
    this.lagSeconds = seconds;
    this.metrics.lagEvents.set({ stream: this.stream, tenant: this.tenant }, events);
    this.metrics.lagSeconds.set({ stream: this.stream, tenant: this.tenant }, seconds);
  }

  /** Events accepted in the 24 hours up to now (the current hour's bucket included). */
  delivered24h(): number {
    const hour = Math.floor(this.now().getTime() / HOUR_MS);
    let total = 0;
    for (const [h, n] of this.hours) if (h > hour - 24) total += n;
    return total;
  }

  snapshot(streamId: string): StreamHealth {
    return {
      streamId,
      state: this.state,
      reason: this.reason,
      lagEvents: this.lagEvents,
      lagSeconds: this.lagSeconds,
      delivered24h: this.delivered24h(),
      deadLetteredTotal: this.deadLetteredTotal,
      lastSuccessAt: this.lastSuccessAt,
      lastErrorAt: this.lastErrorAt,
      lastError: this.lastError,
      updatedAt: this.now(),
    };
  }
}

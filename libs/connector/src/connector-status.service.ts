import { Injectable } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsService } from '@vigil/observability';
import type { ConnectorType } from './connector-config.schema';
import { Clock } from '@vigil/common';

export const CONNECTOR_STATES = ['running', 'backing_off', 'paused', 'failing'] as const;
/** running: delivering; backing_off: a retryable failure, retrying; paused: by an operator; failing: needs an operator (credentials). */
export type ConnectorState = (typeof CONNECTOR_STATES)[number];

export interface ConnectorStatus {
  name: string;
  type: ConnectorType;
  state: ConnectorState;
  /** Why the connector is not running, when it is not. */
  reason: string | undefined;
  /** Events on its topics it has not committed yet (as of the last lag poll). */
  lag: number;
  eventsSent: number;
  batchesSent: number;
  retries: number;
  deadLettered: number;
  lastSuccessAt: Date | undefined;
  lastError: { at: Date; message: string } | undefined;
}

/** Pause and resume of one connector, registered by its runner (for the CLI's `connectors pause|resume`). */
export interface ConnectorControl {
  pause(): void;
  resume(): void;
}

/** The one place connector state lives: read by /health, /metrics and (later) the CLI; written by the runners. */
@Injectable()
export class ConnectorStatusService {
  private readonly statuses = new Map<string, ConnectorStatus>();
  private readonly controls = new Map<string, ConnectorControl>();
  private readonly state: Gauge<'connector' | 'state'>;
  private readonly lag: Gauge<'connector'>;
  private readonly eventsSent: Counter<'connector'>;
  private readonly batchesSent: Counter<'connector'>;
  private readonly retries: Counter<'connector'>;
  private readonly deadLettered: Counter<'connector'>;
  private readonly truncated: Counter<'connector'>;
  private readonly errors: Counter<'connector' | 'kind'>;
  private readonly lastSuccess: Gauge<'connector'>;
  private readonly deliverySeconds: Histogram<'connector'>;

  constructor(
    metrics: MetricsService,
    private readonly clock: Clock,
  ) {
    const c = ['connector'] as const;
    this.state = metrics.gauge({
      name: 'vigil_connector_state',
      help: '1 for the state the connector is in',
      labelNames: ['connector', 'state'],
    });
    this.lag = metrics.gauge({ name: 'vigil_connector_lag_events', help: 'Events not yet delivered and committed', labelNames: c });
    this.eventsSent = metrics.counter({ name: 'vigil_connector_events_sent_total', help: 'Events the SIEM accepted', labelNames: c });
    this.batchesSent = metrics.counter({ name: 'vigil_connector_batches_sent_total', help: 'Batches the SIEM accepted', labelNames: c });
    this.retries = metrics.counter({ name: 'vigil_connector_retries_total', help: 'Batch deliveries retried', labelNames: c });
    this.deadLettered = metrics.counter({ name: 'vigil_connector_dead_lettered_total', help: 'Events sent to audit.dlq', labelNames: c });
    this.truncated = metrics.counter({
      name: 'vigil_connector_events_truncated_total',
      help: 'Events the SIEM accepted only after the sink cut them to its size limit (marked in the entry)',
      labelNames: c,
    });
    this.errors = metrics.counter({
      name: 'vigil_connector_errors_total',
      help: 'Failed deliveries by kind',
      labelNames: ['connector', 'kind'],
    });
    this.lastSuccess = metrics.gauge({
      name: 'vigil_connector_last_success_timestamp_seconds',
      help: 'When the SIEM last accepted a batch',
      labelNames: c,
    });
    this.deliverySeconds = metrics.histogram({
      name: 'vigil_connector_delivery_seconds',
      help: 'Time for the SIEM to accept a batch',
      labelNames: c,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
  }

  register(name: string, type: ConnectorType, control?: ConnectorControl): void {
    this.statuses.set(name, {
      name,
      type,
      state: 'running',
      reason: undefined,
      lag: 0,
      eventsSent: 0,
      batchesSent: 0,
      retries: 0,
      deadLettered: 0,
      lastSuccessAt: undefined,
      lastError: undefined,
    });
    if (control !== undefined) this.controls.set(name, control);
    this.setState(name, 'running');
  }

  /** Every connector of this app, in registration order. */
  list(): ConnectorStatus[] {
    return [...this.statuses.values()].map((s) => ({ ...s }));
  }

  get(name: string): ConnectorStatus | undefined {
    const status = this.statuses.get(name);
    return status === undefined ? undefined : { ...status };
  }

  control(name: string): ConnectorControl | undefined {
    return this.controls.get(name);
  }

  setState(name: string, state: ConnectorState, reason?: string): void {
    const status = this.statuses.get(name);
    if (status === undefined) return;
    status.state = state;
    status.reason = state === 'running' ? undefined : reason;
    for (const s of CONNECTOR_STATES) this.state.set({ connector: name, state: s }, s === state ? 1 : 0);
  }

  recordDelivered(name: string, events: number, seconds: number): void {
    const status = this.statuses.get(name);
    if (status === undefined) return;
    status.eventsSent += events;
    status.batchesSent++;
    status.lastSuccessAt = this.clock.now();
    this.eventsSent.inc({ connector: name }, events);
    this.batchesSent.inc({ connector: name });
    this.lastSuccess.set({ connector: name }, status.lastSuccessAt.getTime() / 1000);
    this.deliverySeconds.observe({ connector: name }, seconds);
  }

  recordFailure(name: string, kind: string, message: string, retried: boolean): void {
    const status = this.statuses.get(name);
    if (status === undefined) return;
    status.lastError = { at: this.clock.now(), message };
    this.errors.inc({ connector: name, kind });
    if (retried) {
      status.retries++;
      this.retries.inc({ connector: name });
    }
  }

  recordTruncated(name: string, events: number): void {
    if (this.statuses.has(name)) this.truncated.inc({ connector: name }, events);
  }

  recordDeadLettered(name: string, events: number): void {
    const status = this.statuses.get(name);
    if (status === undefined) return;
    status.deadLettered += events;
    this.deadLettered.inc({ connector: name }, events);
  }

  setLag(name: string, lag: number): void {
    const status = this.statuses.get(name);
    if (status === undefined) return;
    status.lag = lag;
    this.lag.set({ connector: name }, lag);
  }
}

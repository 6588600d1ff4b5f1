import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Clock } from '@vigil/common';
import { BatchDelivery, connectorFilter, ConnectorStatusService, type ConnectorDefinition, type PendingRecord } from '@vigil/connector';
import { EventCodec, EventDecodeException } from '@vigil/events';
import { ConsumerGroups, DeadLetterProducer, KAFKA, type KafkaClient } from '@vigil/kafka';
import { MetricsService } from '@vigil/observability';
import { createSink } from '@vigil/sinks';
import type { DeadLetterEntry } from './dead-letter.repository';
import { OPERATIONS_LOGGER, type OperationObserver } from './operations.types';

export interface RedriveResult {
  connector: string;
  sent: number;
  deadLetteredAgain: number;
  /** Letters that still cannot be decoded (their schema or framing is the problem, not the SIEM). */
  undecodable: { ref: string; reason: string }[];
  /**
   * Letters the connector would never have sent (another tenant's, or an action or severity its filter leaves out):
   * a redrive to the wrong connector cannot put one tenant's events in another's SIEM.
   */
  refused: { ref: string; reason: string }[];
}

/**
 * Sends dead letters back to their connector through its sink and delivery rules (batching, retries, dead letters):
 * once the cause is fixed they are delivered; refused again, they are dead-lettered again with the new answer.
 */
@Injectable()
export class DlqRedriveService {
  constructor(
    @Inject(KAFKA) private readonly kafka: KafkaClient,
    private readonly codec: EventCodec,
    private readonly clock: Clock,
    @Inject(OPERATIONS_LOGGER) private readonly logger: Logger,
  ) {}

  async redrive(
    definition: ConnectorDefinition,
    letters: readonly DeadLetterEntry[],
    observer: OperationObserver,
    signal: AbortSignal,
  ): Promise<RedriveResult> {
    const status = new ConnectorStatusService(new MetricsService(), this.clock);
    status.register(definition.name, definition.type);
    const sink = createSink(definition, this.logger);
    const deadLetters = new DeadLetterProducer(this.kafka, ConsumerGroups.connector(definition.name), undefined, this.clock);
    const delivery = new BatchDelivery({
      connector: definition.name,
      sink,
      deadLetters,
      status,
      retry: definition.retry,
      logger: this.logger,
      hooks: {
        stall: (state, reason) => observer.notice?.('warning', `${definition.name}: ${state}: ${reason} (retrying)`),
        recover: () => undefined,
      },
    });
    const undecodable: RedriveResult['undecodable'] = [];
    const refused: RedriveResult['refused'] = [];
    const accepts = connectorFilter({ actions: definition.actions, minSeverity: definition.minSeverity, tenants: definition.tenants });
    const records: PendingRecord[] = [];
    for (const letter of letters) {
      try {
        const event = await this.codec.decode(letter.value, letter.origin.topic);
        if (!accepts(event)) {
          const tenantOk = definition.tenants === 'all' || definition.tenants.includes(event.tenantId);
          refused.push({
            ref: letter.ref,
            reason: tenantOk
              ? `${definition.name} does not send ${event.action} at ${event.severity} (its actions or minSeverity)`
              : `${definition.name} does not send tenant ${event.tenantId}'s events (its tenants)`,
          });
          continue;
        }
        const origin = { ...letter.origin, key: letter.key, value: letter.value };
        records.push({ event, bytes: Buffer.from(sink.encode(event)), whole: event, origin, settle: () => undefined });
      } catch (err) {
        if (!(err instanceof EventDecodeException)) throw err;
        undecodable.push({ ref: letter.ref, reason: `${err.reason}: ${err.message}` });
      }
    }
    try {
      for (let i = 0; i < records.length; i += definition.batch.maxEvents) {
        await delivery.deliver(records.slice(i, i + definition.batch.maxEvents), signal);
      }
    } finally {
      await deadLetters.close();
      await sink.close?.();
    }
    const final = status.get(definition.name);
    return { connector: definition.name, sent: final?.eventsSent ?? 0, deadLetteredAgain: final?.deadLettered ?? 0, undecodable, refused };
  }
}

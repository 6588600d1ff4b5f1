import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { Clock } from '@vigil/common';
import { APP_CONFIG } from '@vigil/config';
import type { EventCodec } from '@vigil/events';
import {
  AUDIT_EVENT_CODEC,
  DeadLetterProducer,
  KAFKA,
  SCHEMA_REGISTRY_OPTIONS,
  type KafkaClient,
  type SchemaRegistryOptions,
} from '@vigil/kafka';
import type { ConnectorDefinition, ConnectorTypeSpec } from './connector-config.schema';
import { ConnectorControlConsumer } from './connector-control.consumer';
import { ConnectorStatusPublisher } from './connector-status.publisher';
import { ConnectorStatusService } from './connector-status.service';
import { ConnectorRunner } from './connector.runner';
import { CONNECTOR_DEFINITIONS, CONNECTOR_MODULE_OPTIONS } from './connector.tokens';
import type { SinkFactory } from './sink.types';

export interface ConnectorModuleOptions<Settings> {
  spec: ConnectorTypeSpec<Settings>;
  createSink: SinkFactory<Settings>;
}

/** Starts a runner per configured connector of the app's type once the app is up, and stops them on shutdown. */
@Injectable()
export class ConnectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly runners: ConnectorRunner[] = [];
  private readonly deadLetters: DeadLetterProducer[] = [];
  private publisher: ConnectorStatusPublisher | undefined;
  private control: ConnectorControlConsumer | undefined;

  constructor(
    @Inject(KAFKA) private readonly kafka: KafkaClient,
    @Inject(AUDIT_EVENT_CODEC) private readonly codec: EventCodec,
    @Inject(CONNECTOR_DEFINITIONS) private readonly definitions: readonly ConnectorDefinition[],
    @Inject(CONNECTOR_MODULE_OPTIONS) private readonly options: ConnectorModuleOptions<unknown>,
    private readonly status: ConnectorStatusService,
    private readonly logger: PinoLogger,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: { VIGIL_STATUS_INTERVAL_MS?: number; VIGIL_ENCODE_THREADS?: number },
    @Inject(SCHEMA_REGISTRY_OPTIONS) private readonly registry: SchemaRegistryOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.definitions.length === 0) this.logger.logger.warn(`no enabled ${this.options.spec.type} connector in the connectors file`);
    for (const definition of this.definitions) {
      const logger = this.logger.logger.child({ context: ConnectorRunner.name });
      const deadLetters = new DeadLetterProducer(this.kafka, `vigil-connector-${definition.name}`);
      this.deadLetters.push(deadLetters);
      const sink = this.options.createSink(definition, logger);
      this.runners.push(
        new ConnectorRunner(definition, {
          kafka: this.kafka,
          codec: this.codec,
          sink,
          encodeThreads: this.config.VIGIL_ENCODE_THREADS ?? 0,
          registry: this.registry,
          deadLetters,
          status: this.status,
          logger,
          clock: this.clock,
        }),
      );
    }
    await Promise.all(this.runners.map((runner) => runner.start()));
    if (this.runners.length === 0) return;
    const logger = this.logger.logger.child({ context: ConnectorService.name });
    const publisher = new ConnectorStatusPublisher(
      this.kafka,
      this.status,
      this.config.VIGIL_STATUS_INTERVAL_MS ?? 5000,
      logger,
      this.clock,
    );
    this.publisher = publisher;
    this.control = new ConnectorControlConsumer(this.kafka, this.status, () => void publisher.publish(), logger);
    publisher.start();
    void this.control.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.control?.stop();
    await Promise.all(this.runners.map((runner) => runner.stop()));
    await Promise.all(this.deadLetters.map((d) => d.close()));
    await this.publisher?.stop();
  }
}

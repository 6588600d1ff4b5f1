import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { ClockModule } from '@vigil/common';
import { EventCodec } from '@vigil/events';
import {
  createKafka,
  KAFKA,
  KAFKA_CLIENT_OPTIONS,
  KafkaAdminService,
  KeyedRecordProducer,
  RegistryHttpClient,
  TopicReader,
  type KafkaClientOptions,
} from '@vigil/kafka';
import { createLogger } from '@vigil/observability';
import { ConnectorCatalog } from './connector-catalog.service';
import { ConnectorStatusUseCase } from './connector-status.use-case';
import { DeadLetterRepository } from './dead-letter.repository';
import { DlqRedriveService } from './dlq-redrive.service';
import { DlqUseCase } from './dlq.use-case';
import { OPERATIONS_LOGGER, OPERATIONS_OPTIONS, type OperationsOptions } from './operations.types';
import { RebuildUseCase } from './rebuild.use-case';
import { VerifyUseCase } from './verify.use-case';
import { ReplayCheckpointRepository } from './replay-checkpoint.repository';
import { ReplayPlanner } from './replay-planner.service';
import { ReplayRunner } from './replay-runner.service';
import { ReplayUseCase } from './replay.use-case';
import { TopicsUseCase } from './topics.use-case';

const USE_CASES = [ReplayUseCase, RebuildUseCase, DlqUseCase, ConnectorStatusUseCase, TopicsUseCase, VerifyUseCase];

/**
 * The operations use-cases with the Kafka, registry and clock they run on. An operations process (the CLI) is short
 * and interactive: its Kafka client retries briefly, so an unreachable broker is reported in seconds.
 */
@Module({})
export class OperationsModule {
  static forRoot(options: OperationsOptions): DynamicModule {
    return {
      module: OperationsModule,
      imports: [ClockModule],
      providers: [
        { provide: OPERATIONS_OPTIONS, useValue: options },
        { provide: OPERATIONS_LOGGER, useFactory: (): Logger => createLogger(options.kafka.clientId, options.logLevel) },
        {
          provide: KAFKA_CLIENT_OPTIONS,
          useValue: {
            brokers: options.kafka.brokers,
            clientId: options.kafka.clientId,
            security: options.kafka.security,
            overrides: { retry: { retries: 2 }, connectionTimeout: 3000 },
          } satisfies KafkaClientOptions,
        },
        { provide: KAFKA, inject: [KAFKA_CLIENT_OPTIONS, OPERATIONS_LOGGER], useFactory: createKafka },
        { provide: RegistryHttpClient, useFactory: () => new RegistryHttpClient(options.registry) },
        // Operations decode what others produced: look schema ids up, never register.
        {
          provide: EventCodec,
          inject: [RegistryHttpClient],
          useFactory: (r: RegistryHttpClient) => new EventCodec(r, { schemaIds: 'lookup' }),
        },
        KafkaAdminService,
        TopicReader,
        KeyedRecordProducer,
        ConnectorCatalog,
        ReplayPlanner,
        ReplayCheckpointRepository,
        ReplayRunner,
        DeadLetterRepository,
        DlqRedriveService,
        ...USE_CASES,
      ],
      exports: [...USE_CASES, RegistryHttpClient, KafkaAdminService, ConnectorCatalog],
    };
  }
}

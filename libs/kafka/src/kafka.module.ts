import { Global, Module } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { APP_CONFIG } from '@vigil/config';
import { createKafka, type KafkaClientOptions } from './kafka.client';
import { KafkaHealthIndicator } from './kafka.health';
import { KAFKA, KAFKA_CLIENT_OPTIONS, SCHEMA_REGISTRY, SCHEMA_REGISTRY_OPTIONS } from './kafka.tokens';
import { createSchemaRegistry, type SchemaRegistryOptions } from './schema-registry.client';
import { SchemaRegistryHealthIndicator } from './schema-registry.health';

interface KafkaAppConfig {
  KAFKA_BROKERS: string[];
  KAFKA_CLIENT_ID: string;
  SCHEMA_REGISTRY_URL: string;
  SCHEMA_REGISTRY_USERNAME?: string | undefined;
  SCHEMA_REGISTRY_PASSWORD?: string | undefined;
}

/** The app's kafkajs client and schema registry client, built from the validated config. */
@Global()
@Module({
  providers: [
    {
      provide: KAFKA_CLIENT_OPTIONS,
      inject: [APP_CONFIG],
      useFactory: (config: KafkaAppConfig): KafkaClientOptions => ({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID }),
    },
    {
      provide: KAFKA,
      inject: [KAFKA_CLIENT_OPTIONS, PinoLogger],
      useFactory: (options: KafkaClientOptions, logger: PinoLogger) => createKafka(options, logger.logger.child({ context: 'kafkajs' })),
    },
    {
      provide: SCHEMA_REGISTRY_OPTIONS,
      inject: [APP_CONFIG],
      useFactory: (config: KafkaAppConfig): SchemaRegistryOptions => ({
        url: config.SCHEMA_REGISTRY_URL,
        username: config.SCHEMA_REGISTRY_USERNAME,
        password: config.SCHEMA_REGISTRY_PASSWORD,
      }),
    },
    { provide: SCHEMA_REGISTRY, inject: [SCHEMA_REGISTRY_OPTIONS], useFactory: createSchemaRegistry },
    KafkaHealthIndicator,
    SchemaRegistryHealthIndicator,
  ],
  exports: [KAFKA, KAFKA_CLIENT_OPTIONS, SCHEMA_REGISTRY, SCHEMA_REGISTRY_OPTIONS, KafkaHealthIndicator, SchemaRegistryHealthIndicator],
})
export class KafkaModule {}

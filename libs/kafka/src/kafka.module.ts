import { Global, Module } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { APP_CONFIG, kafkaConnectionOf, registryConnectionOf, type KafkaSecurityConfig, type RegistrySecurityConfig } from '@vigil/config';
import { EventCodec } from '@vigil/events';
import { createKafka, type KafkaClientOptions } from './kafka.client';
import { KafkaHealthIndicator } from './kafka.health';
import { AUDIT_EVENT_CODEC, KAFKA, KAFKA_CLIENT_OPTIONS, SCHEMA_REGISTRY_OPTIONS } from './kafka.tokens';
import { RegistryHttpClient } from './registry-http.client';
import type { SchemaRegistryOptions } from './schema-registry.client';
import { SchemaRegistryHealthIndicator } from './schema-registry.health';

interface KafkaAppConfig extends KafkaSecurityConfig, RegistrySecurityConfig {
  KAFKA_BROKERS: string[];
  KAFKA_CLIENT_ID: string;
  SCHEMA_REGISTRY_USERNAME?: string | undefined;
  SCHEMA_REGISTRY_PASSWORD?: string | undefined;
}

/** The app's Kafka client, schema registry client and consumer-side event codec, built from the validated config. */
@Global()
@Module({
  providers: [
    {
      provide: KAFKA_CLIENT_OPTIONS,
      inject: [APP_CONFIG],
      useFactory: (config: KafkaAppConfig): KafkaClientOptions => kafkaConnectionOf(config, config.KAFKA_CLIENT_ID),
    },
    {
      provide: KAFKA,
      inject: [KAFKA_CLIENT_OPTIONS, PinoLogger],
      useFactory: (options: KafkaClientOptions, logger: PinoLogger) => createKafka(options, logger.logger.child({ context: 'kafkajs' })),
    },
    {
      provide: SCHEMA_REGISTRY_OPTIONS,
      inject: [APP_CONFIG],
      useFactory: (config: KafkaAppConfig): SchemaRegistryOptions => registryConnectionOf(config),
    },
    {
      provide: AUDIT_EVENT_CODEC,
      inject: [SCHEMA_REGISTRY_OPTIONS],
      // Lookup only: consumers need the writers' schemas by id, never a registration.
      useFactory: (registry: SchemaRegistryOptions) => new EventCodec(new RegistryHttpClient(registry), { schemaIds: 'lookup' }),
    },
    KafkaHealthIndicator,
    SchemaRegistryHealthIndicator,
  ],
  exports: [KAFKA, KAFKA_CLIENT_OPTIONS, SCHEMA_REGISTRY_OPTIONS, AUDIT_EVENT_CODEC, KafkaHealthIndicator, SchemaRegistryHealthIndicator],
})
export class KafkaModule {}

import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaSecurity, SaslSettings } from '@vigil/config';

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  /** TLS and SASL from the environment (`kafkaConnectionOf`); none means PLAINTEXT. */
  security?: KafkaSecurity | undefined;
  /** Extra kafkajs settings (timeouts, retries); brokers, clientId and security above win. */
  overrides?: Omit<KafkaConfig, 'brokers' | 'clientId'>;
}

/**
 * The client libs/kafka's classes are built from. Other libraries pass it along (from `KAFKA` or `createKafka`)
 * without ever calling kafkajs themselves.
 */
export type KafkaClient = Kafka;

const levels: Record<logLevel, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.NOTHING]: 'debug',
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

function saslOptions({ mechanism, username, password }: SaslSettings): SASLOptions {
  // kafkajs types each mechanism apart; the three Vigil offers all take a user and a password.
  switch (mechanism) {
    case 'plain':
      return { mechanism, username, password };
    case 'scram-sha-256':
      return { mechanism, username, password };
    case 'scram-sha-512':
      return { mechanism, username, password };
  }
}

/** kafkajs' `ssl` and `sasl` settings for the security the environment describes. */
export function securitySettings(security: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (security === undefined) return {};
  const { ssl, sasl } = security;
  return {
    ...(ssl !== undefined ? { ssl: { ...ssl } } : {}),
    ...(sasl !== undefined ? { sasl: saslOptions(sasl) } : {}),
  };
}

/**
 * The one place Vigil creates a kafkajs client. kafkajs is unmaintained since 2.2.4, so nothing
 * outside libs/kafka imports it directly: replacing the client means changing this library only.
 */
export function createKafka(options: KafkaClientOptions, logger: Logger): KafkaClient {
  return new Kafka({
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 30_000 },
    ...options.overrides,
    brokers: [...options.brokers],
    clientId: options.clientId,
    ...securitySettings(options.security),
    // kafkajs logs INFO lines for every group join; WARN keeps the signal without the chatter.
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, ...extra } = log;
        // Vigil bounds producer retries on purpose (a publish must reject with its reason, and events carry
        // ids for deduplication), so kafkajs' warning about it on every producer creation is noise.
        if (message.startsWith('Limiting retries for the idempotent producer')) return;
        // A broker that has not yet heard of a topic just created answers a metadata request with this; the admin
        // service waits it out (KafkaAdminService.createTopics), so it is not an error to report.
        const expected =
          namespace === 'Connection' &&
          extra['error'] === 'This server does not host this topic-partition' &&
          message.startsWith('Response Metadata');
        logger[expected ? 'debug' : levels[level]]({ kafkajs: namespace, ...extra }, message);
      },
  });
}

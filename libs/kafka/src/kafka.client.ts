import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  /** Extra kafkajs settings (SASL, SSL, timeouts); brokers and clientId above win. */
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
    // kafkajs logs INFO lines for every group join; WARN keeps the signal without the chatter.
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, ...extra } = log;
        // Vigil bounds producer retries on purpose (a publish must reject with its reason, and events carry
        // ids for deduplication), so kafkajs' warning about it on every producer creation is noise.
        if (message.startsWith('Limiting retries for the idempotent producer')) return;
        logger[levels[level]]({ kafkajs: namespace, ...extra }, message);
      },
  });
}

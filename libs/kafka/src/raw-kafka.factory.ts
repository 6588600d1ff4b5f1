import { Partitioners, type Admin, type Consumer, type KafkaMessage, type Producer, type ProducerBatch } from 'kafkajs';
import type { Logger } from 'pino';
import { createKafka, type KafkaClient, type KafkaClientOptions } from './kafka.client';

/*
 * Raw kafkajs, for benchmark baselines and tests only: a baseline must measure kafkajs itself, and a test must
 * produce or read exactly the bytes it asserts on. Production code goes through the consumer host and the
 * producers of this library instead.
 */
export type RawKafka = KafkaClient;
export type RawAdmin = Admin;
export type RawConsumer = Consumer;
export type RawProducer = Producer;
export type RawKafkaMessage = KafkaMessage;
export type RawProducerBatch = ProducerBatch;

export interface RawProducerOptions {
  idempotent?: boolean;
  maxInFlightRequests?: number;
}

/** A plain kafkajs producer with the default (murmur2, Java-compatible) partitioner, as every Vigil producer uses. */
export function createRawProducer(kafka: KafkaClient, options: RawProducerOptions = {}): RawProducer {
  return kafka.producer({ ...options, createPartitioner: Partitioners.DefaultPartitioner });
}

/** A raw kafkajs client (the same settings as `createKafka`), for baselines and tests that drive kafkajs directly. */
export function createRawKafka(options: KafkaClientOptions, logger: Logger): RawKafka {
  return createKafka(options, logger);
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defineConfig, kafkaConnectionOf, loadConfig, kafkaEnv } from '@vigil/config';
import type { KafkaClientOptions } from '@vigil/kafka';

/**
 * The secured three-broker stack `npm run test:cluster` and `npm run chaos` run against (scripts/lib/kafka-cluster.mts):
 * `CLUSTER_SECURE_DIR` holds one `<principal>.json` (and `.env`) file per app principal, as `stack:up -- cluster` wrote them.
 */
const clusterEnvSchema = defineConfig({
  CLUSTER_SECURE_DIR: z.string().min(1).optional(),
});

export type ClusterPrincipal =
  'vigil-admin' | 'vigil-producer' | 'vigil-query-api' | 'vigil-materializer' | 'vigil-connector' | 'vigil-operator';

function secureDir(): string {
  const dir = loadConfig(clusterEnvSchema).CLUSTER_SECURE_DIR;
  if (dir === undefined) throw new Error('CLUSTER_SECURE_DIR is not set: run these tests with `npm run test:cluster` (or `npm run chaos`)');
  return dir;
}

/** The variables an app runs with as `principal` (KAFKA_BROKERS, KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_CA_FILE). */
export function principalEnv(principal: ClusterPrincipal): Record<string, string> {
  return JSON.parse(readFileSync(path.join(secureDir(), `${principal}.json`), 'utf8')) as Record<string, string>;
}

/** Kafka client options of `principal`, made by the same config code the apps use. */
export function principalKafka(principal: ClusterPrincipal, clientId: string = principal): KafkaClientOptions {
  const config = loadConfig(defineConfig(kafkaEnv), principalEnv(principal));
  return kafkaConnectionOf(config, clientId);
}

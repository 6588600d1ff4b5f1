import type { KafkaClientOptions, SchemaRegistryOptions } from '@vigil/kafka';

/**
 * How a use-case reports what it is doing, without knowing who listens: the CLI draws a progress bar on stderr, an
 * operations API could stream events. Every method is optional.
 */
export interface OperationObserver {
  /** A phase with a known amount of work starts (e.g. `replay splunk-eu`, 12,000 events). */
  begin?(label: string, total: number): void;
  /** `n` more units of the current phase are done. */
  advance?(n: number): void;
  /** The current phase ended. */
  end?(): void;
  /** A line for a person: `warning` always matters, `info` is narration a script does not need. */
  notice?(level: 'info' | 'warning', message: string): void;
}

/** What the operations library needs to know, from the app that hosts it. */
export interface OperationsOptions {
  kafka: Pick<KafkaClientOptions, 'brokers' | 'clientId' | 'security'>;
  registry: SchemaRegistryOptions;
  databaseUrl: string;
  /** Days the store keeps events (rebuild keeps the same window). */
  retentionDays: number;
  /** The connectors file (the same one the connector apps read). */
  connectorsFile: string;
  /** Reads the named environment variables of a connector's secrets, through the host's validated config. */
  secrets(names: readonly string[]): Readonly<Record<string, string | undefined>>;
  /** Level of the operations' own logs (kafkajs, sinks). */
  logLevel: string;
  /** Worker threads a replay decodes and maps events in (VIGIL_ENCODE_THREADS; 0: on the main thread). */
  encodeThreads?: number;
}

export const OPERATIONS_OPTIONS = Symbol('OPERATIONS_OPTIONS');

/** The pino logger of the operations (sinks, kafkajs, runners log through it; quiet by default in the CLI). */
export const OPERATIONS_LOGGER = Symbol('OPERATIONS_LOGGER');

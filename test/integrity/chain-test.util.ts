import { generateKeyPairSync } from 'node:crypto';
import type { AuditEvent } from '@vigil/events';
import { GENESIS, nextLink } from '@vigil/integrity';
import { testEnv, type SchemaStore } from '@vigil/testing';
import { runCli, type CliRun } from '../replay/replay-test.util';

/** Each category's links, computed here from the events as published, in publish order (Kafka order per tenant). */
export function expectedChains(events: readonly AuditEvent[]): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  const last = new Map<string, Buffer>();
  for (const event of events) {
    const link = nextLink(last.get(event.category) ?? GENESIS, event);
    last.set(event.category, link);
    chains.set(event.category, [...(chains.get(event.category) ?? []), link.toString('hex')]);
  }
  return chains;
}

/** Each category's links as the store holds them, in chain order, with their sequence numbers. */
export async function storedChains(store: SchemaStore, tenantId: string): Promise<Map<string, string[]>> {
  const { rows } = await store.pool.query<{ category: string; seq: string; hash: string }>(
    `SELECT category, chain_seq AS seq, encode(chain_hash, 'hex') AS hash FROM ${store.schema}.audit_event
      WHERE tenant_id = $1 ORDER BY category, chain_seq`,
    [tenantId],
  );
  const chains = new Map<string, string[]>();
  for (const row of rows) {
    const hashes = chains.get(row.category) ?? [];
    if (Number(row.seq) !== hashes.length + 1) throw new Error(`${row.category}: seq ${row.seq} after ${hashes.length}`);
    chains.set(row.category, [...hashes, row.hash]);
  }
  return chains;
}

export type VerifyRun = CliRun;

/** `vigil verify` as an operator runs it, against the test's store. */
export function verify(store: SchemaStore, args: readonly string[], env: Record<string, string> = {}): Promise<VerifyRun> {
  return vigil(store, ['verify', ...args], env);
}

/** Any `vigil` command against the test's store and the test stack, with exactly this environment. */
export function vigil(store: SchemaStore, args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, {
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: testEnv.schemaRegistryUrl,
    DATABASE_URL: store.databaseUrl(),
    LOG_LEVEL: 'error',
    ...env,
  });
}

/** A fresh Ed25519 signing key as VIGIL_CHAIN_SIGNING_KEYS takes it (id:base64 PKCS#8 DER). */
export function aSigningKey(id: string): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return `${id}:${privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')}`;
}

/** Injection tokens of libs/kafka. */
export const KAFKA = Symbol('KAFKA');
export const SCHEMA_REGISTRY = Symbol('SCHEMA_REGISTRY');
export const SCHEMA_REGISTRY_OPTIONS = Symbol('SCHEMA_REGISTRY_OPTIONS');
export const KAFKA_CLIENT_OPTIONS = Symbol('KAFKA_CLIENT_OPTIONS');

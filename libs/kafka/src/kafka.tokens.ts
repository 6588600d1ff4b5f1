/** Injection tokens of libs/kafka. */
export const KAFKA = Symbol('KAFKA');
export const SCHEMA_REGISTRY_OPTIONS = Symbol('SCHEMA_REGISTRY_OPTIONS');
export const KAFKA_CLIENT_OPTIONS = Symbol('KAFKA_CLIENT_OPTIONS');
/** The EventCodec the consumer host decodes with (schema ids looked up, never registered). */
export const AUDIT_EVENT_CODEC = Symbol('AUDIT_EVENT_CODEC');

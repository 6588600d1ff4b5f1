import { errorChain } from '@vigil/common';

/**
 * What a person should do about a failure to reach Kafka, when the error says (a rejected password, a missing ACL,
 * an untrusted certificate, a plaintext client at a TLS listener). kafkajs' errors are recognised by name and type,
 * so this library needs no Kafka client; the error chain (`cause`, kafkajs' `originalError`) is searched.
 */
export function kafkaFailureHint(err: unknown): string | undefined {
  for (const e of errorChain(err)) {
    const message = typeof e.message === 'string' ? e.message : '';
    if (e.name === 'KafkaJSSASLAuthenticationError')
      return `Kafka rejected this app's SASL credentials: check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM (${message})`;
    if (typeof e.type === 'string' && e.type.endsWith('_AUTHORIZATION_FAILED'))
      return `Kafka's ACLs do not let this app's principal (KAFKA_SASL_USERNAME) do that (${e.type}): grant it the rights docs/operations.md#principals-and-acls lists`;
    if (/self[- ]signed certificate|unable to (get local issuer|verify)|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_HAS_EXPIRED/i.test(message))
      return `the broker's TLS certificate is not trusted: set KAFKA_SSL_CA_FILE to the CA that signed it (${message})`;
    if (/Hostname\/IP does not match certificate|ERR_TLS_CERT_ALTNAME_INVALID/i.test(message))
      return `the broker's TLS certificate does not name the address in KAFKA_BROKERS (${message})`;
    if (/SSL routines|wrong version number|packet length too long/i.test(message))
      return `the TLS handshake failed: is KAFKA_SECURITY_PROTOCOL right for this listener (SSL or SASL_SSL only where the broker speaks TLS)? (${message})`;
  }
  return undefined;
}

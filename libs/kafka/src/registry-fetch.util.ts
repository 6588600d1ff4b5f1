import type { TlsSettings } from '@vigil/config';
import { Agent, fetch as undiciFetch } from 'undici';

/** What the registry clients need of a response. */
export interface RegistryResponse {
  ok: boolean;
  status: number;
  text(): Promise<string>;
}

export type RegistryFetch = (
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<RegistryResponse>;

/**
 * `fetch` for the schema registry: the platform's own when the system's CAs are enough, and undici's with an agent
 * that trusts the configured CA (and presents a client certificate) when TLS settings are given. Node's bundled fetch
 * takes no CA per request, and NODE_EXTRA_CA_CERTS would trust that CA for every connection the process makes.
 */
export function registryFetch(tls: TlsSettings | undefined): RegistryFetch {
  if (tls === undefined) return (url, init) => fetch(url, init);
  const dispatcher = new Agent({
    connect: {
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
      ...(tls.key !== undefined ? { key: tls.key } : {}),
      ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
      rejectUnauthorized: tls.rejectUnauthorized,
    },
  });
  return (url, init) => undiciFetch(url, { ...init, dispatcher });
}

/** The reason a request failed before any response: undici says "fetch failed" and keeps the cause (a TLS or socket error) apart. */
export function fetchFailure(err: unknown): string {
  const error = err as Error & { cause?: { message?: string; code?: string } };
  const cause = error.cause;
  if (cause?.message !== undefined)
    return `${error.message}: ${cause.message}${cause.code !== undefined && !cause.message.includes(cause.code) ? ` (${cause.code})` : ''}`;
  return error.message;
}
